"""The ingestion API over HTTP: bearer auth, JSON arrays and JSON Lines, 422 with row errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from store.db import make_sessionmaker
from store.models import ActivityEvent, Customer
from web.app import create_app
from winback.runtime import Runtime
from winback.settings import Settings

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CUSTOMERS = [
    {"external_id": "C-1", "name": "Acme", "value_per_year": 1200, "plan": "gold"},
    {
        "external_id": "C-2",
        "name": "Birch",
        "status": "cancelled",
        "status_changed_on": "2024-02-01",
    },
]


def client_for(engine: Engine, tmp_path: Path, token: str | None) -> TestClient:
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(engine.url),
        api_token=SecretStr(token) if token is not None else None,
    )
    runtime = Runtime(settings, engine, make_sessionmaker(engine))
    return TestClient(create_app(runtime))


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(engine, tmp_path, TOKEN) as client:
        yield client


def test_json_array_upserts_idempotently(client: TestClient, engine: Engine) -> None:
    first = client.post("/api/v1/customers", json=CUSTOMERS, headers=AUTH)
    assert first.status_code == 200, first.text
    assert {k: first.json()[k] for k in ("rows", "inserted", "updated", "unchanged")} == {
        "rows": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
    }
    again = client.post("/api/v1/customers", json=CUSTOMERS, headers=AUTH)
    assert (again.json()["inserted"], again.json()["unchanged"]) == (0, 2)
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 2
        acme = session.scalars(select(Customer).where(Customer.external_id == "C-1")).one()
        assert acme.attributes == {"plan": "gold"} and acme.value_per_year == 1200.0


def test_json_lines_body(client: TestClient, engine: Engine) -> None:
    client.post("/api/v1/customers", json=CUSTOMERS, headers=AUTH)
    body = "\n".join(
        json.dumps({"customer_external_id": "C-1", "occurred_at": f"2024-01-0{d}", "kind": "login"})
        for d in (1, 2, 3)
    )
    response = client.post(
        "/api/v1/events",
        content=body.encode(),
        headers={**AUTH, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 3
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ActivityEvent)) == 3


def test_validation_errors_are_422_with_rows_and_nothing_written(
    client: TestClient, engine: Engine
) -> None:
    bad = [*CUSTOMERS, {"external_id": "C-3", "name": "", "value_per_year": "-4"}]
    response = client.post("/api/v1/customers", json=bad, headers=AUTH)
    assert response.status_code == 422
    payload = response.json()
    assert payload["total_errors"] == 2
    assert payload["errors"] == [
        {"row": 3, "line": None, "field": "name", "reason": "is required but missing or empty"},
        {"row": 3, "line": None, "field": "value_per_year", "reason": "must be 0 or more, got -4"},
    ]
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_ndjson_syntax_error_names_the_line(client: TestClient) -> None:
    body = b'{"external_id": "C-1", "name": "A"}\n{"external_id": \n'
    response = client.post(
        "/api/v1/customers", content=body, headers={**AUTH, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["line"]) == (2, 2) and error["reason"].startswith("invalid JSON")


def test_body_that_is_not_an_array(client: TestClient) -> None:
    response = client.post("/api/v1/customers", json={"external_id": "C-1"}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body must be a JSON array of records")


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}]
)
def test_missing_or_wrong_token_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/api/v1/customers", json=CUSTOMERS, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_api_off_without_a_configured_token_is_503(sqlite_engine: Engine, tmp_path: Path) -> None:
    with client_for(sqlite_engine, tmp_path, None) as client:
        response = client.post("/api/v1/customers", json=CUSTOMERS, headers=AUTH)
    assert response.status_code == 503
    assert "set WINBACK_API_TOKEN" in response.json()["detail"]


def test_unknown_kind_is_rejected(client: TestClient) -> None:
    assert client.post("/api/v1/invoices", json=[], headers=AUTH).status_code == 422


def test_csv_body(client: TestClient) -> None:
    body = b"handle,name,team,role\nana,Ana Ruiz,north,lead\nbo,Bo Chen,north,member\n"
    response = client.post(
        "/api/v1/team", content=body, headers={**AUTH, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 2
    bad = client.post(
        "/api/v1/team",
        content=b"handle,name\nana,Ana\n",
        headers={**AUTH, "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "team"
