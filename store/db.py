"""Engine and session factory: made once per process at start-up and passed in, never global."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_MMAP_BYTES = 2**31 - 2**16  # SQLite's default compile-time ceiling


def make_engine(database_url: str, **kwargs: object) -> Engine:
    """An engine for SQLite (WAL, foreign keys on, parent folder made) or PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)  # type: ignore[arg-type]

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Read pages through a memory map rather than read() into SQLite's small page
            # cache: a scan seeks into the event index once per customer (~15% faster).
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    with factory() as session, session.begin():
        yield session


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def conflict_insert(dialect: str) -> Callable[..., Any]:
    """The INSERT that takes ON CONFLICT clauses, in this database's dialect."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"winback supports SQLite and PostgreSQL, not {dialect}")
    return insert


def driver_rows(connection: Connection, statement: Executable) -> Sequence[Any]:
    """The statement's rows as the driver returns them (plain tuples): building SQLAlchemy
    Row objects and running result processors can cost as much as the query on hot reads."""
    result = connection.execute(statement)
    try:
        rows: Sequence[Any] = result.cursor.fetchall()
        return rows
    finally:
        result.close()
