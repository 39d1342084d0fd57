from fastapi.testclient import TestClient
from sqlalchemy import Engine

from store.db import make_sessionmaker
from web.app import create_app
from winback.runtime import Runtime
from winback.settings import Settings


def test_healthz_answers_with_store(sqlite_engine: Engine, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=str(sqlite_engine.url))
    runtime = Runtime(settings, sqlite_engine, make_sessionmaker(sqlite_engine))
    with TestClient(create_app(runtime)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
