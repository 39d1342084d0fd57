"""Write validated records by natural key: insert the new, update the changed, skip the rest.

Each chunk costs one SELECT of the keys it holds, one bulk insert of the new rows, and one
UPDATE per set of changed fields. On PostgreSQL both go through COPY (store/ingest/pg_copy.py);
on SQLite new rows go by INSERT ... ON CONFLICT DO NOTHING and changes by UPDATE executemany.
The caller owns the transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy.sql.dml import Insert

from store.db import conflict_insert
from store.ingest.pg_copy import CopyWriter
from store.ingest.schemas.base import KindSchema, Record
from store.sql_lists import among

CHUNK_ROWS = 5000
# SQLite's default page cache is 2 MB; a large load inserts into indexes at random places,
# and with a bigger cache for the duration of the load it runs about twice as fast.
SQLITE_BULK_CACHE_KB = 256 * 1024
# New rows by COPY on PostgreSQL; bench/ingest.py turns it off to time the executemany path.
USE_COPY_ON_POSTGRES = True


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # What was inserted or changed, and the stored values of changed rows as they were
    # (events: whose activity rollup to redo).
    written: list[Record] = field(default_factory=list)
    replaced: list[dict[str, object]] = field(default_factory=list)


def insert_ignoring_conflicts(connection: Connection, table: Table, key: str) -> Insert:
    """INSERT that skips rows whose natural key already exists, in this database's dialect."""
    insert: Insert = conflict_insert(connection.dialect.name)(table).on_conflict_do_nothing(
        index_elements=[key]
    )
    return insert


@contextmanager
def bulk_load_cache(connection: Connection, rows: int) -> Iterator[None]:
    """A larger SQLite page cache while `rows` rows are written, then the old size again."""
    if connection.dialect.name != "sqlite" or rows <= CHUNK_ROWS:
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(previous or -2000)}")


def chunked(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def upsert(
    connection: Connection,
    schema: KindSchema,
    records: Iterable[Record],
    on_chunk: Callable[[int], None] | None = None,
) -> WriteCounts:
    """Upsert `records` (unique keys) into the schema's table; counts what happened."""
    counts = WriteCounts()
    table = schema.table
    insert = insert_ignoring_conflicts(connection, table, schema.key)
    copier = (
        CopyWriter(connection, table, schema.key)
        if USE_COPY_ON_POSTGRES and connection.dialect.name == "postgresql"
        else None
    )
    if copier is not None:
        # Every import takes row locks in key order: concurrent ones wait, never deadlock.
        records = sorted(records, key=lambda record: str(record[schema.key]))
    for chunk in chunked(records, CHUNK_ROWS):
        existing = _existing(connection, schema, chunk)
        new: list[Record] = []
        changed: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for record in chunk:
            old = existing.get(record[schema.key])
            if old is None:
                new.append({**schema.defaults, **record})
                counts.written.append(record)
                continue
            changes = _changes(schema, old, record)
            if changes:
                params = {f"new_{name}": value for name, value in changes.items()}
                params["old_key"] = record[schema.key]
                changed.setdefault(tuple(sorted(changes)), []).append(params)
                counts.written.append(record)
                counts.replaced.append(old)
            else:
                counts.unchanged += 1
        if new and copier is not None:
            inserted = copier.insert(new)
            counts.inserted += inserted
            counts.unchanged += len(new) - inserted  # a concurrent import stored them first
        elif new:
            connection.execute(insert, new)
            counts.inserted += len(new)
        for names, params_list in changed.items():
            if copier is not None:
                counts.updated += copier.update(
                    names,
                    [
                        {schema.key: p["old_key"], **{n: p[f"new_{n}"] for n in names}}
                        for p in params_list
                    ],
                )
                continue
            statement = (
                update(table)
                .where(table.c[schema.key] == bindparam("old_key"))
                .values({name: bindparam(f"new_{name}") for name in names})
            )
            connection.execute(statement, params_list)
            counts.updated += len(params_list)
        if on_chunk:
            on_chunk(len(chunk))
    return counts


def _existing(
    connection: Connection, schema: KindSchema, chunk: list[Record]
) -> dict[object, dict[str, object]]:
    names = sorted({name for record in chunk for name in record})
    query = select(*(schema.table.c[name] for name in names)).where(
        among(
            connection.dialect.name,
            schema.table.c[schema.key],
            [str(r[schema.key]) for r in chunk],
            "keys",
        )
    )
    return {row[schema.key]: dict(row) for row in connection.execute(query).mappings()}


def _changes(schema: KindSchema, old: dict[str, object], record: Record) -> dict[str, object]:
    changes: dict[str, object] = {}
    for name, value in record.items():
        if name in schema.merge_json and isinstance(value, dict):
            value = {**(old[name] or {}), **value}  # type: ignore[dict-item]
        if old[name] != value:
            changes[name] = value
    for trigger in schema.resets.keys() & changes.keys():
        changes.update(schema.resets[trigger])
    return changes
