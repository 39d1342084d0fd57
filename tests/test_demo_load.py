"""The demo's data-loading stage, into a real SQLite store: counts, mapping, idempotence."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from store.models import ActivityEvent, Customer, FeedbackItem, TeamMember
from winback.cli import build_app
from winback.demo.customers import TELCO, cdnow_customers, telco_customers
from winback.demo.feedback import SPIKE_DAYS, SPIKE_ITEMS
from winback.demo.load import DemoSize, LoadCounts, load_demo_data
from winback.demo.sources import DemoDataError, noon
from winback.settings import get_settings

TODAY = date(2026, 11, 25)
SMALL = DemoSize(cdnow_customers=150, telco_customers=300, feedback_scale=6)


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _load(sessions: sessionmaker[Session], today: date = TODAY) -> LoadCounts:
    return load_demo_data(sessions, today, SMALL)


def test_demo_load_counts_and_mapping(sqlite_sessions: sessionmaker[Session]) -> None:
    counts = _load(sqlite_sessions)
    with open(TELCO, newline="") as handle:
        telco_rows = list(csv.DictReader(handle))[:300]
    churned = sum(row["Churn"] == "Yes" for row in telco_rows)
    assert counts.customers == 450
    assert counts.team_members == 9
    with sqlite_sessions() as session:
        assert _count(session, Customer, Customer.has_contract.is_(False)) == 150
        assert _count(session, Customer, Customer.status == "cancelled") == churned
        assert _count(session, ActivityEvent, ActivityEvent.kind == "cancellation") == churned
        purchases = _count(session, ActivityEvent, ActivityEvent.kind == "purchase")
        payments = _count(session, ActivityEvent, ActivityEvent.kind == "payment")
        assert 0 < payments <= 3 * 300
        assert counts.events == purchases + churned + payments
        assert _count(session, FeedbackItem) == counts.feedback
        assert {m.role for m in session.scalars(select(TeamMember))} >= {"lead", "member"}
        assert all("(synthetic)" in m.name for m in session.scalars(select(TeamMember)))
        latest = session.scalar(select(func.max(ActivityEvent.occurred_at)))
        assert latest is not None and latest.date() <= TODAY - timedelta(days=1)
        subscriber = session.scalar(select(Customer).where(Customer.external_id.like("telco-%")))
        assert subscriber is not None and subscriber.renewal_date is not None
        assert subscriber.renewal_date > TODAY
        assert "Churn" not in subscriber.attributes and "MonthlyCharges" in subscriber.attributes
        assert subscriber.value_per_year == pytest.approx(
            float(str(subscriber.attributes["MonthlyCharges"])) * 12
        )


def test_cdnow_dates_keep_rhythm_and_end_three_days_ago() -> None:
    batch = cdnow_customers(TODAY)
    days = sorted(event["occurred_at"].date() for _, event in batch.events)  # type: ignore[attr-defined]
    assert days[-1] == TODAY - timedelta(days=3)
    assert days[0] == TODAY - timedelta(days=3) - (date(1998, 6, 30) - date(1997, 1, 1))
    # Buyer 00004 bought on 1997-01-01, 1997-01-18 and 1997-08-02 (and later): gaps kept.
    buyer = sorted(
        event["occurred_at"].date()  # type: ignore[attr-defined]
        for external_id, event in batch.events
        if external_id == "cdnow-00004"
    )
    assert (buyer[1] - buyer[0]).days == 17 and (buyer[2] - buyer[1]).days == 196
    assert len(batch.customers) == 2357 and len(batch.events) == 6919


def test_feedback_has_an_injected_recent_spike(sqlite_sessions: sessionmaker[Session]) -> None:
    _load(sqlite_sessions)
    recent_from = noon(TODAY - timedelta(days=SPIKE_DAYS))
    with sqlite_sessions() as session:
        texts = session.scalars(
            select(FeedbackItem.text).where(FeedbackItem.occurred_at >= recent_from)
        ).all()
        older = _count(session, FeedbackItem, FeedbackItem.occurred_at < recent_from)
        sources = set(session.scalars(select(FeedbackItem.source).distinct()))
    assert len(texts) >= SPIKE_ITEMS
    assert len(texts) / SPIKE_DAYS > 3 * older / (90 - SPIKE_DAYS)  # a visible jump per day
    assert sources == {"complaint", "ticket", "social"}


def test_demo_load_is_idempotent_even_on_another_day(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    first = _load(sqlite_sessions)
    assert first.customers and first.events and first.feedback
    assert _load(sqlite_sessions) == LoadCounts(0, 0, 0, 0, 0)
    assert _load(sqlite_sessions, TODAY + timedelta(days=9)) == LoadCounts(0, 0, 0, 0, 0)
    with sqlite_sessions() as session:
        assert _count(session, Customer) == first.customers
        assert _count(session, FeedbackItem) == first.feedback


def test_bad_sample_row_names_file_row_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "telco.csv"
    with open(TELCO, newline="") as source:
        lines = source.read().splitlines()
    second = lines[2]
    for contract in ("Month-to-month", "One year", "Two year"):
        second = second.replace(contract, "Weekly")
    broken.write_text("\n".join([lines[0], lines[1], second]))
    with pytest.raises(DemoDataError, match=r"telco\.csv: row 2, field 'Contract'.*Weekly"):
        telco_customers(TODAY, path=broken)


def test_demo_command_loads_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WINBACK_DATABASE_URL", f"sqlite:///{tmp_path / 'winback.db'}")
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(build_app(), ["demo", "--no-up", "--quick"])
        second = CliRunner().invoke(build_app(), ["demo", "--no-up", "--quick"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "loaded 1500 customers" in first.output
    assert second.exit_code == 0, second.output
    assert "loaded 0 customers, 0 events, 0 feedback items, 0 team members" in second.output
    assert "winback is up" not in second.output  # --no-up: the stack was not started
