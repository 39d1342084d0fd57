"""Dashboard pages over HTTP on SQLite and PostgreSQL: numbers match independent SQL,
filters change them, and the model actions change the store."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.support.dashboard_seed import seed_dashboard, train_small_model
from tests.support.web_app import OPS, csrf_of, dashboard_app, number, sign_in
from winback.money import money

HTML = {"accept": "text/html"}


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def test_assets_page_matches_sql_and_filters(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seeded = seed_dashboard(sessions)
    start = _months_back(seeded.today, 5)
    with engine.connect() as db, TestClient(dashboard_app(engine, tmp_path, tokens=False)) as web:
        for segment in ("", "smb"):
            where = " AND segment = :segment" if segment else ""
            new_count, new_value = db.execute(
                text(
                    "SELECT COUNT(*), COALESCE(SUM(value_per_year), 0) FROM customers "
                    f"WHERE start_date >= :start{where}"
                ),
                {"start": start, "segment": segment},
            ).one()
            lost_count, lost_value = db.execute(
                text(
                    "SELECT COUNT(*), COALESCE(SUM(value_per_year), 0) FROM customers "
                    "WHERE status IN ('cancelled', 'non_renewed', 'lost') "
                    f"AND status_changed_on >= :start{where}"
                ),
                {"start": start, "segment": segment},
            ).one()
            page = web.get(f"/?period=month&segment={segment}").text
            assert number(page, "kpi-new-count") == str(new_count)
            assert number(page, "kpi-new-value") == money(new_value)
            assert number(page, "kpi-lost-count") == str(lost_count)
            assert number(page, "kpi-lost-value") == money(lost_value)
            assert number(page, "kpi-net-count") == f"{new_count - lost_count:+d}"
            assert number(page, "kpi-net-value") == money(new_value - lost_value)
            if segment:
                assert new_count < seeded.customers  # the filter really narrowed it
        reasons = db.execute(
            text(
                "SELECT c.name, COUNT(*) FROM rescue_cases r JOIN categories c "
                "ON c.id = r.lost_category_id WHERE r.status = 'lost' GROUP BY c.name"
            )
        ).all()
        page = web.get("/?period=quarter").text
        for name, count in reasons:
            assert re.search(rf"<td>{name}</td><td>[^<]+</td><td class=\"n\">{count}</td>", page)
        stated = db.execute(
            text(
                "SELECT outcome_reason, COUNT(*) FROM rescue_cases WHERE "
                "status = 'lost' GROUP BY outcome_reason"
            )
        ).all()
        for reason, count in stated:
            assert f'<q>{reason}</q></td><td class="n">{count}</td>' in page
        assert "Charged twice" in page and "Local admin" in page
        empty = web.get("/?period=week&segment=no-such-segment").text
        assert "No coded reasons in this window." in empty and "none has a stage yet" in empty
        assert web.get("/?period=decade", headers=HTML).status_code == 400


def test_pipeline_page_matches_sql_and_filters(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_dashboard(sessions)
    now = datetime.now(UTC)
    with engine.connect() as db, TestClient(dashboard_app(engine, tmp_path, tokens=False)) as web:
        cases = db.execute(
            text(
                "SELECT r.id, r.opened_at, r.team, r.status, r.escalated, r.value_saved, c.segment "
                "FROM rescue_cases r JOIN customers c ON c.id = r.customer_id"
            )
        ).all()
        claimed = {
            cid
            for (cid,) in db.execute(
                text("SELECT DISTINCT case_id FROM rescue_events WHERE kind = 'claimed'")
            )
        }
        for team, segment, days in (
            ("", "", 90),
            ("north", "", 90),
            ("", "", 30),
            ("", "smb", 90),
            ("north", "smb", 365),
        ):
            since = now - timedelta(days=days)
            chosen = [
                c
                for c in cases
                if (not team or c.team == team)
                and (not segment or c.segment == segment)
                and _aware(c.opened_at) >= since
            ]
            if segment:  # the filter really narrows the cases
                assert (
                    0
                    < len(chosen)
                    < sum(
                        1
                        for c in cases
                        if (not team or c.team == team) and _aware(c.opened_at) >= since
                    )
                )
            decided = [c for c in chosen if c.status in ("rescued", "lost", "no_contact")]
            rescued = [c for c in decided if c.status == "rescued"]
            page = web.get(f"/pipeline?days={days}&team={team}&segment={segment}").text
            assert number(page, "kpi-flagged") == str(len(chosen))
            assert number(page, "kpi-save-rate") == f"{100 * len(rescued) / len(decided):.0f}%"
            assert number(page, "kpi-value-saved") == money(sum(c.value_saved for c in chosen))
            escalated = sum(1 for c in chosen if c.escalated and c.status == "open")
            assert number(page, "kpi-escalated") == str(escalated)
            alarm = re.search(r'<div class="kpi ?(\w*)"><span>Escalated', page)
            assert alarm and alarm.group(1) == ("bad" if escalated else "")  # no red zero
            claimed_here = sum(1 for c in chosen if c.id in claimed)
            assert re.search(
                rf'data-step="claimed"><td>claimed</td><td class="n">{claimed_here}<', page
            )
        assert number(web.get("/pipeline?days=30").text, "kpi-flagged") != number(
            web.get("/pipeline?days=90").text, "kpi-flagged"
        )
        # A new audit line shows at once (the page's cache is keyed on the newest event).
        before = len(claimed)
        unclaimed = next(c.id for c in cases if c.id not in claimed)
        db.execute(
            text(
                "INSERT INTO rescue_events (case_id, event_key, kind, step, actor, at, "
                "data) VALUES (:c, 'late-claim', 'claimed', 'claim', 'ana', :at, '{}')"
            ),
            {"c": unclaimed, "at": now},
        )
        db.commit()
        page = web.get("/pipeline?days=90").text
        assert re.search(rf'data-step="claimed"><td>claimed</td><td class="n">{before + 1}<', page)


def _aware(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_listening_page_matches_sql(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seeded = seed_dashboard(sessions)
    start = seeded.today - timedelta(days=27)
    with engine.connect() as db, TestClient(dashboard_app(engine, tmp_path, tokens=False)) as web:
        totals = dict(
            db.execute(
                text(
                    "SELECT category_id, SUM(count) FROM category_daily WHERE day >= :start "
                    "GROUP BY category_id"
                ),
                {"start": start},
            ).all()
        )
        defectors = dict(
            db.execute(
                text(
                    "SELECT f.category_id, COUNT(DISTINCT f.customer_id) FROM feedback_items f "
                    "JOIN rescue_cases r ON r.customer_id = f.customer_id GROUP BY f.category_id"
                )
            ).all()
        )
        page = web.get("/listening").text
        for category, total in totals.items():
            row = re.search(rf'data-category="{category}">(.*?)</tr>', page, re.S)
            assert row, category
            assert f"data-total>{total}<" in row.group(1)
            assert f"data-defectors>{defectors.get(category, 0)}<" in row.group(1)
        assert 'data-spike="fees"' in page and 'data-spike="setup_hard"' not in page
        assert "[PHONE]" in page  # verbatims are the stored, redacted text


def test_customer_page_tells_the_story(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_dashboard(sessions)
    with TestClient(dashboard_app(engine, tmp_path, tokens=False)) as web:
        page = web.get("/customers/C003").text
        assert "rescue-C003-1" in page and "step_logged" in page and "usage down 60%" in page
        missing = web.get("/customers/NOPE", headers=HTML)
        assert missing.status_code == 404 and "NOPE" in missing.text


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_small_model(tmp_path_factory.mktemp("model"))


def test_relabel_promote_and_rollback(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, small_model: Path
) -> None:
    seed_dashboard(sessions, model_dir=small_model)
    card = json.loads((small_model / "model_card.json").read_text())["evaluation"]
    with engine.connect() as db, TestClient(dashboard_app(engine, tmp_path)) as web:
        sign_in(web, OPS)
        page = web.get("/ops/models").text
        label, score = next(iter(card["per_category"].items()))
        assert re.search(rf"<td>{label}</td><td class=\"n\">{score['precision']:.2f}</td>", page)
        assert "Confusion matrix v1" in page
        assert "route=linear" in page  # the card column names each category model's route
        item_id = int(re.search(r'data-item="(\d+)"', page).group(1))  # type: ignore[union-attr]
        done = web.post(
            "/ops/models/relabel",
            data={"item_id": item_id, "category_id": "fees", "csrf_token": csrf_of(page)},
        )
        assert "relabelled as fees" in done.text
        assert db.execute(
            text("SELECT reviewed_label, needs_review FROM feedback_items WHERE id = :i"),
            {"i": item_id},
        ).one() == ("fees", False)
        v2 = db.execute(text("SELECT id FROM model_versions WHERE version = 'v2'")).scalar_one()
        confirm = web.get(f"/ops/models/promote?version_id={v2}").text
        assert "replaces <b>v1</b>" in confirm
        unconfirmed = web.post(
            "/ops/models/promote", data={"version_id": v2, "csrf_token": csrf_of(confirm)}
        )
        assert "not confirmed" in unconfirmed.text
        web.post(
            "/ops/models/promote",
            data={"version_id": v2, "confirm": "yes", "csrf_token": csrf_of(confirm)},
        )
        live = "SELECT version FROM model_versions WHERE kind = 'category' AND status = 'live'"
        db.commit()
        assert db.execute(text(live)).scalars().all() == ["v2"]
        web.post(
            "/ops/models/rollback",
            data={"kind": "category", "confirm": "yes", "csrf_token": csrf_of(confirm)},
        )
        db.commit()
        assert db.execute(text(live)).scalars().all() == ["v1"]
        again = web.post(
            "/ops/models/rollback",
            data={"kind": "category", "confirm": "yes", "csrf_token": csrf_of(confirm)},
        )
        assert "rollback refused: no earlier category model" in again.text
