"""Who may do what: token login, roles per page, CSRF on every form, the local-admin mode."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.support.dashboard_seed import seed_dashboard
from tests.support.web_app import LEADER, MEMBERS, OPS, csrf_of, dashboard_app, sign_in
from web.auth import ANONYMOUS, SESSION_SECONDS, Access, User

HTML = {"accept": "text/html"}


def test_signed_out_browser_is_sent_to_login(sqlite_engine: Engine, tmp_path: Path) -> None:
    with TestClient(dashboard_app(sqlite_engine, tmp_path, api_token="api-secret")) as web:
        response = web.get("/pipeline", headers=HTML, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/pipeline"
        assert web.get("/pipeline").status_code == 401  # API clients get JSON, not a redirect
        page = web.get("/login").text
        bad = web.post("/login", data={"token": "guess", "csrf_token": csrf_of(page)})
        assert bad.status_code == 401 and "not valid" in bad.text
        assert "Local admin" not in page
        # API routes keep JSON errors even for a browser (no login redirect, no HTML page).
        api = web.post("/api/v1/customers", headers=HTML, content=b"[]", follow_redirects=False)
        assert api.status_code == 401 and api.headers["content-type"] == "application/json"


def test_roles_decide_pages(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seeded = seed_dashboard(sqlite_sessions)
    app = dashboard_app(sqlite_engine, tmp_path)
    with TestClient(app) as leader, TestClient(app) as ops, TestClient(app) as ana:
        sign_in(leader, LEADER)
        sign_in(ops, OPS)
        sign_in(ana, MEMBERS["ana"])
        for path in ("/", "/pipeline", "/listening", "/customers/C000", "/tasks"):
            assert leader.get(path, headers=HTML).status_code == 200, path
        refused = leader.get("/ops/models", headers=HTML)
        assert refused.status_code == 403 and "needs the ops role" in refused.text
        assert ops.get("/ops/models", headers=HTML).status_code == 200
        assert ana.get("/", headers=HTML).status_code == 403
        assert ana.get("/ops/models", headers=HTML).status_code == 403
        # Members open the customers of their own tasks, not everyone's.
        own = re.search(r'href="/customers/(C\d+)"', ana.get("/tasks").text)
        assert own and ana.get(f"/customers/{own.group(1)}").status_code == 200
        bo_customer = re.search(
            r'href="/customers/(C\d+)"',
            leader.get("/tasks").text.split(f'id="task-{seeded.open_task_ids["bo"][0]}"')[1],
        )
        assert bo_customer
        assert ana.get(f"/customers/{bo_customer.group(1)}", headers=HTML).status_code == 403
        tasks = ana.get("/tasks").text
        assert all(f'id="task-{i}"' in tasks for i in seeded.open_task_ids["ana"])
        assert not any(f'id="task-{i}"' in tasks for i in seeded.open_task_ids["bo"])
        # Leaders see every task but cannot act on them.
        assert "Record outcome" not in leader.get("/tasks").text
        # A member cannot act on someone else's task.
        bo_task = seeded.open_task_ids["bo"][0]
        other = ana.post(
            f"/tasks/{bo_task}/claim", headers=HTML, data={"csrf_token": csrf_of(tasks)}
        )
        assert other.status_code == 403


def test_forms_need_a_matching_csrf_token(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_dashboard(sqlite_sessions)
    with TestClient(dashboard_app(sqlite_engine, tmp_path)) as ops:
        sign_in(ops, OPS)
        form = {"item_id": 1, "category_id": "fees"}
        assert ops.post("/ops/models/relabel", data=form, headers=HTML).status_code == 403
        forged = ops.post(
            "/ops/models/relabel", data={**form, "csrf_token": "0" * 64}, headers=HTML
        )
        assert forged.status_code == 403 and "CSRF" in forged.text
        good = ops.post(
            "/ops/models/relabel",
            headers=HTML,
            data={**form, "csrf_token": csrf_of(ops.get("/ops/models").text)},
        )
        assert good.status_code == 200 and "relabelled" in good.text


def test_session_cookie_cannot_be_forged(sqlite_engine: Engine, tmp_path: Path) -> None:
    with TestClient(dashboard_app(sqlite_engine, tmp_path)) as web:
        web.cookies.set("wb_session", "leader,ops|ana|9999999999|" + "f" * 64)
        assert web.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_a_shared_session_secret_signs_in_on_every_replica(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Two replicas with the same WINBACK_SESSION_SECRET accept each other's sessions (and a
    restart keeps them); a replica with its own random key does not."""
    first = dashboard_app(sqlite_engine, tmp_path, session_secret="shared-secret")
    second = dashboard_app(sqlite_engine, tmp_path, session_secret="shared-secret")
    stranger = dashboard_app(sqlite_engine, tmp_path)
    with TestClient(first) as web:
        sign_in(web, LEADER)
        cookie = web.cookies["wb_session"]
    for replica, accepted in ((second, True), (stranger, False)):
        with TestClient(replica) as web:
            web.cookies.set("wb_session", cookie)
            status = web.get("/", headers=HTML, follow_redirects=False).status_code
            assert (status == 200) is accepted, status


def test_an_expired_session_is_refused_even_if_the_browser_sends_it() -> None:
    clock = [1_000_000.0]
    access = Access(tokens={"t": User(roles=frozenset({"leader"}))}, clock=lambda: clock[0])
    cookie = access.session_cookie(User(roles=frozenset({"leader"})))
    assert access.user_from_cookie(cookie).has("leader")
    clock[0] += SESSION_SECONDS + 1
    assert access.user_from_cookie(cookie) == ANONYMOUS
    roles, handle, expires, mac = cookie.split("|")  # a later expiry needs a new signature
    assert access.user_from_cookie(f"{roles}|{handle}|{int(expires) + 10**6}|{mac}") == ANONYMOUS


def test_no_tokens_means_local_admin_with_banner(sqlite_engine: Engine, tmp_path: Path) -> None:
    with TestClient(dashboard_app(sqlite_engine, tmp_path, tokens=False)) as web:
        page = web.get("/ops/models")
        assert page.status_code == 200 and 'id="local-admin-banner"' in page.text
