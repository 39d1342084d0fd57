"""New and changed rows into PostgreSQL with COPY: the fast path for large imports.

psycopg's executemany sends one statement per row; COPY streams a whole chunk in one command.
New rows go to a temporary table first, then `INSERT ... SELECT ... ON CONFLICT (key) DO
NOTHING` moves them into the real table, so two imports of the same keys at once still store
each key once and neither fails. Keys are inserted in one order (byte order, as Python sorts
`str`; upsert sorts the records on PostgreSQL) so two such imports wait for each other
instead of deadlocking. Changed rows are COPYed the same way and applied with one
`UPDATE ... FROM` per chunk and set of changed columns. Values pass through each column's
own bind processor and the model's Python-side defaults (and `onupdate` stamps) are filled
in here, so what is stored is exactly what SQLAlchemy's statements would have stored (UTC
times, JSON text, booleans, NULLs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table

Row = dict[str, object]


class CopyWriter:
    """Inserts new rows and updates changed ones through a per-transaction temporary table.

    The temporary table holds only the insertable columns (`CREATE TABLE AS ... WITH NO DATA`
    rather than `LIKE ... INCLUDING DEFAULTS`, which would copy the id column's NOT NULL and
    sequence default and draw an id from the real sequence for every staged row). It is
    made on first use and dropped at commit.
    """

    def __init__(self, connection: Connection, table: Table, key: str) -> None:
        if connection.dialect.name != "postgresql":
            raise ValueError(f"COPY needs PostgreSQL, not {connection.dialect.name}")
        self.connection = connection
        self.table = table
        self.key = key
        self.staging = f"winback_copy_{table.name}"
        self.insertable = [c for c in table.columns if not _is_generated_id(c)]
        self._created = False

    def insert(self, rows: Sequence[Row]) -> int:
        """Insert `rows` whose key is not stored yet; returns how many were inserted."""
        if not rows:
            return 0
        names = self._columns_for(rows)
        defaults = {name: _python_default(self.table.c[name]) for name in names}
        self._stage(names, ([row[n] if n in row else defaults[n]() for n in names] for row in rows))
        column_list = ", ".join(f'"{name}"' for name in names)
        inserted = self._run(
            f"INSERT INTO {self.table.name} ({column_list}) SELECT {column_list} "
            f'FROM {self.staging} ORDER BY "{self.key}" COLLATE "C" '
            f'ON CONFLICT ("{self.key}") DO NOTHING'
        )
        return inserted

    def update(self, names: Sequence[str], rows: Sequence[Row]) -> int:
        """Set `names` of the stored rows with the same key (`rows` give key and names);
        columns the model stamps on every update (`onupdate`) are stamped too."""
        if not rows:
            return 0
        stamps = {
            c.name: _python_default(c, c.onupdate)
            for c in self.insertable
            if c.onupdate is not None and c.name not in names
        }
        staged = [self.key, *names, *stamps]
        self._stage(
            staged,
            ([row[n] for n in (self.key, *names)] + [s() for s in stamps.values()] for row in rows),
        )
        assignments = ", ".join(f'"{n}" = s."{n}"' for n in staged[1:])
        return self._run(
            f"UPDATE {self.table.name} AS t SET {assignments} FROM {self.staging} AS s "
            f'WHERE t."{self.key}" = s."{self.key}"'
        )

    def _stage(self, names: Sequence[str], rows: Iterable[list[object]]) -> None:
        """COPY the rows (values in `names` order) into the empty staging table."""
        self._create_staging()
        dialect = self.connection.dialect
        processors = [self.table.c[name].type.bind_processor(dialect) for name in names]
        column_list = ", ".join(f'"{name}"' for name in names)
        with self._cursor() as cursor:
            with cursor.copy(f"COPY {self.staging} ({column_list}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(
                        [v if p is None else p(v) for p, v in zip(processors, values, strict=True)]
                    )

    def _run(self, statement: str) -> int:
        """Move staged rows with `statement`, empty the staging table; the rows affected."""
        with self._cursor() as cursor:
            cursor.execute(statement)
            affected = cursor.rowcount
            cursor.execute(f"TRUNCATE {self.staging}")
        return affected

    def _cursor(self) -> Any:
        driver = self.connection.connection.driver_connection
        assert driver is not None
        return driver.cursor()

    def _create_staging(self) -> None:
        if self._created:
            return
        columns = ", ".join(f'"{c.name}"' for c in self.insertable)
        # IF NOT EXISTS: a second upsert in the same transaction finds it already there.
        self.connection.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {self.staging} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {self.table.name} WITH NO DATA"
        )
        self.connection.exec_driver_sql(f"TRUNCATE {self.staging}")
        self._created = True

    def _columns_for(self, rows: Sequence[Row]) -> list[str]:
        """The columns rows give, plus those the model fills itself (as its INSERT would)."""
        given = {name for row in rows for name in row}
        unknown = given - {c.name for c in self.insertable}
        if unknown:
            raise ValueError(f"{self.table.name} has no column(s) {', '.join(sorted(unknown))}")
        return [c.name for c in self.insertable if c.name in given or c.default is not None]


def _is_generated_id(column: Column[Any]) -> bool:
    return bool(column.primary_key and column.autoincrement in (True, "auto")) and (
        column.type.python_type is int
    )


def _python_default(column: Column[Any], default: Any = None) -> Callable[[], object]:
    """What SQLAlchemy would put in the column when an INSERT (or, given the column's
    `onupdate`, an UPDATE) leaves it out."""
    default = default if default is not None else column.default
    if default is None:
        return lambda: None
    if default.is_scalar:  # type: ignore[attr-defined]
        value = default.arg  # type: ignore[attr-defined]
        return lambda: value
    if default.is_callable:  # type: ignore[attr-defined]
        make = default.arg  # type: ignore[attr-defined]
        return lambda: make(None)  # SQLAlchemy wraps zero-argument callables to take a context
    raise ValueError(f"{column.table.name}.{column.name}: SQL defaults are not supported by COPY")
