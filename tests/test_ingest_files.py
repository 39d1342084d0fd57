"""Files load, re-load without changes, and update only what changed, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_sessionmaker
from store.ingest import IngestError, ingest_file, ingest_records
from store.models import ActivityEvent, Customer, FeedbackItem, TeamMember
from winback.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Customer, ActivityEvent, FeedbackItem, TeamMember)
        }


def load_all(sessions: sessionmaker[Session]) -> list[tuple[int, int, int]]:
    reports = [
        ingest_file(sessions, FIXTURES / name, kind)
        for name, kind in [
            ("customers.csv", "customers"),
            ("events.csv", "events"),
            ("events.jsonl", "events"),
            ("feedback.csv", "feedback"),
            ("team.csv", "team"),
        ]
    ]
    return [(r.inserted, r.updated, r.unchanged) for r in reports]


def test_every_kind_loads_and_a_second_load_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    assert load_all(sessions) == [(3, 0, 0), (5, 0, 0), (2, 0, 0), (3, 0, 0), (3, 0, 0)]
    first = counts(sessions)
    assert first == {"customers": 3, "activity_events": 7, "feedback_items": 3, "team_members": 3}
    with sessions() as session:
        stamps = dict(
            session.execute(select(Customer.external_id, Customer.updated_at)).tuples().all()
        )

    assert load_all(sessions) == [(0, 0, 3), (0, 0, 5), (0, 0, 2), (0, 0, 3), (0, 0, 3)]
    assert counts(sessions) == first
    with sessions() as session:
        again = dict(
            session.execute(select(Customer.external_id, Customer.updated_at)).tuples().all()
        )
    assert again == stamps  # unchanged rows are not rewritten


def test_customer_fields_are_typed_and_extras_kept_in_attributes(
    sessions: sessionmaker[Session],
) -> None:
    ingest_file(sessions, FIXTURES / "customers.csv", "customers")
    with sessions() as session:
        acme = session.scalars(select(Customer).where(Customer.external_id == "C-001")).one()
        birch = session.scalars(select(Customer).where(Customer.external_id == "C-002")).one()
    assert acme.value_per_year == 48000.0 and acme.has_contract is True
    assert acme.renewal_date == date(2025, 3, 1) and acme.status_changed_on is None
    assert acme.attributes == {"plan": "gold", "seats": 120, "region": "EMEA"}
    assert birch.currency == "EUR" and birch.status == "cancelled"
    assert birch.status_changed_on == date(2024, 2, 10) and birch.renewal_date is None


def test_a_partial_update_changes_only_the_fields_given(sessions: sessionmaker[Session]) -> None:
    ingest_file(sessions, FIXTURES / "customers.csv", "customers")
    report = ingest_file(sessions, FIXTURES / "customers_update.jsonl", "customers")
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    with sessions() as session:
        acme = session.scalars(select(Customer).where(Customer.external_id == "C-001")).one()
        delta = session.scalars(select(Customer).where(Customer.external_id == "C-004")).one()
    assert acme.value_per_year == 52000.0
    assert acme.owner == "ana" and acme.segment == "enterprise"  # not in the update: kept
    assert acme.attributes == {"plan": "gold", "seats": 130, "region": "EMEA"}  # merged
    assert delta.currency == "USD" and delta.attributes == {}


def test_events_keys_and_times(sessions: sessionmaker[Session]) -> None:
    ingest_file(sessions, FIXTURES / "customers.csv", "customers")
    ingest_file(sessions, FIXTURES / "events.csv", "events")
    with sessions() as session:
        events = session.scalars(select(ActivityEvent).order_by(ActivityEvent.occurred_at)).all()
    keys = [e.event_key for e in events]
    assert "SRC-77" in keys and all(len(k) == 64 for k in keys if k != "SRC-77")
    assert [e.kind for e in events] == ["purchase", "login", "purchase", "cancellation", "usage"]
    assert events[0].occurred_at == datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
    assert events[1].occurred_at == datetime(2024, 1, 10, tzinfo=UTC)  # a bare date: midnight
    assert events[2].occurred_at == datetime(2024, 2, 5, 8, 30, tzinfo=UTC)  # +01:00 -> UTC
    assert events[4].quantity == 250.5 and events[1].amount == 0.0


def test_feedback_is_redacted_before_storage(sessions: sessionmaker[Session]) -> None:
    ingest_file(sessions, FIXTURES / "customers.csv", "customers")
    ingest_file(sessions, FIXTURES / "feedback.csv", "feedback")
    with sessions() as session:
        ticket = session.scalars(select(FeedbackItem).where(FeedbackItem.external_id == "T-100"))
        item = ticket.one()
        linked = session.scalar(select(Customer.external_id).where(Customer.id == item.customer_id))
    assert "jane.doe@example.com" not in item.text and "[EMAIL]" in item.text
    assert "555" not in item.text and "[PHONE]" in item.text
    assert item.original_text is None and linked == "C-001"


def test_original_feedback_text_kept_only_when_configured(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ingest_file(sqlite_sessions, FIXTURES / "customers.csv", "customers")
    settings = Settings(data_dir=tmp_path, keep_original_text=True)
    ingest_file(sqlite_sessions, FIXTURES / "feedback.csv", "feedback", settings=settings)
    with sqlite_sessions() as session:
        item = session.scalars(select(FeedbackItem).where(FeedbackItem.external_id == "T-100"))
        assert "jane.doe@example.com" in (item.one().original_text or "")


def test_team_leads_may_come_later_in_the_file(sessions: sessionmaker[Session]) -> None:
    ingest_file(sessions, FIXTURES / "team.csv", "team")
    with sessions() as session:
        members = {m.handle: m for m in session.scalars(select(TeamMember))}
    assert members["ana"].lead_handle == "lee" and members["ana"].daily_capacity == 6
    assert members["lee"].role == "lead" and members["lee"].slack_user_id == "U003"


def test_a_rejected_file_leaves_the_store_unchanged(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ingest_file(sessions, FIXTURES / "customers.csv", "customers")
    before = counts(sessions)
    with sessions() as session:
        names_before = session.execute(select(Customer.external_id, Customer.name)).all()
    bad = tmp_path / "customers.csv"
    # 3000 good rows (new and changed) and one bad row at the very end: nothing may land.
    good = [f"N-{i},New {i},smb,1{i}" for i in range(3000)] + ["C-001,Renamed,smb,10"]
    bad.write_text("external_id,name,segment,value_per_year\n" + "\n".join(good) + "\nX,,smb,-5\n")
    with pytest.raises(IngestError) as rejected:
        ingest_file(sessions, bad, "customers")
    assert rejected.value.total == 2  # empty name and negative value in the last row
    assert counts(sessions) == before
    with sessions() as session:
        assert session.execute(select(Customer.external_id, Customer.name)).all() == names_before


def test_large_sqlite_load_in_chunks_restores_the_cache_size(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_sessionmaker(sqlite_engine)
    with sqlite_engine.connect() as connection:
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    path = tmp_path / "customers.jsonl"
    path.write_text("".join(f'{{"external_id": "K{i}", "name": "K {i}"}}\n' for i in range(12_001)))
    report = ingest_file(sessions, path, "customers")
    assert (report.rows, report.inserted) == (12_001, 12_001)
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
        assert connection.scalar(select(func.count()).select_from(Customer)) == 12_001


def test_progress_bar_shows_rows_per_second(
    sqlite_sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    report = ingest_file(sqlite_sessions, FIXTURES / "customers.csv", "customers", progress=True)
    assert report.inserted == 3
    shown = capsys.readouterr().err
    assert "validating customers" in shown and "writing customers" in shown


def test_changed_feedback_text_is_queued_for_classification_again(
    sessions: sessionmaker[Session],
) -> None:
    item = {"external_id": "S-1", "source": "survey", "text": "Slow", "occurred_at": "2024-01-01"}
    ingest_records(sessions, [item], "feedback", "survey-export")
    classified = datetime(2024, 1, 2, tzinfo=UTC)
    with sessions.begin() as session:
        session.execute(update(FeedbackItem).values(classified_at=classified, category_id="speed"))
    same = ingest_records(sessions, [item], "feedback", "survey-export")
    assert (same.updated, same.unchanged) == (0, 1)
    with sessions() as session:
        assert session.scalars(select(FeedbackItem)).one().classified_at == classified
    changed = ingest_records(sessions, [{**item, "text": "Slow and rude"}], "feedback", "again")
    assert changed.updated == 1
    with sessions() as session:
        stored = session.scalars(select(FeedbackItem)).one()
    assert (stored.text, stored.classified_at) == ("Slow and rude", None)
