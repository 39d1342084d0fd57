"""Throwaway PostgreSQL databases for bench/ingest.py: one server, fresh migrated stores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store.db import make_engine, make_sessionmaker
from store.ingest import ingest_file
from store.migrate import upgrade


@contextmanager
def postgres_server(server_url: str | None) -> Iterator[str]:
    """The server to create the bench's databases on: the one given, or a throwaway one."""
    if server_url:
        yield server_url
        return
    from tests.support.postgres import postgres_cluster

    with postgres_cluster() as url:
        yield url


class PostgresStores:
    """Fresh migrated databases on one server, made on demand and all dropped at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.made: list[str] = []

    def new(self, customers: Path) -> str:
        """A new database holding the bench's customers."""
        from tests.support.postgres import create_database

        url = create_database(self.server_url)
        self.made.append(url)
        engine = make_engine(url)
        try:
            upgrade(engine)
            ingest_file(make_sessionmaker(engine), customers, "customers")
        finally:
            engine.dispose()
        return url

    def drop_all(self) -> None:
        import psycopg

        admin = self.server_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as connection:
            for url in self.made:
                connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
