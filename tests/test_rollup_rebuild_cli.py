"""`winback db rebuild-activity`: events changed in place by SQL leave the rollup stale (no
new event id for the scan's catch-up to notice); the command rebuilds it under the state
lock, so features agree with the events again. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from classifiers.risk.features import FeatureWindows, compute_features
from classifiers.risk.rules import load_rules
from store.activity_refresh import catch_up
from store.db import transaction
from store.models import ActivityEvent, ActivityRollupState, Customer, CustomerActivity
from tests.support.detect_data import AS_OF, scan_store
from winback.cli import build_app
from winback.settings import get_settings

KINDS = load_rules().activity_kinds()
WINDOWS = FeatureWindows(as_of=AS_OF, activity_kinds=KINDS)


def features(sessions: sessionmaker[Session], use_rollup: bool = True) -> pd.DataFrame:
    """The scan's features; without the rollup they come from the events (rolled back)."""
    with sessions() as session:
        if not use_rollup:
            session.execute(delete(CustomerActivity))
        frame = compute_features(session, 0, 10**9, WINDOWS)
        session.rollback()
    return frame


def run(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[int, str]:
    monkeypatch.setenv("WINBACK_DATABASE_URL", url)
    get_settings.cache_clear()
    result = cli.invoke(build_app(), ["db", "rebuild-activity"])
    return result.exit_code, result.output


def test_rebuild_activity_repairs_events_changed_in_place(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    scan_store(sessions)
    with transaction(sessions) as session:
        catch_up(session.connection(), KINDS)
    assert_frame_equal(features(sessions), features(sessions, use_rollup=False))
    with transaction(sessions) as session:  # an in-place fix by SQL: same id, earlier time
        steady = session.scalar(select(Customer.id).where(Customer.external_id == "steady-0"))
        latest = session.scalar(
            select(ActivityEvent.id)
            .where(ActivityEvent.customer_id == steady)
            .order_by(ActivityEvent.occurred_at.desc())
            .limit(1)
        )
        session.execute(
            update(ActivityEvent)
            .where(ActivityEvent.id == latest)
            .values(occurred_at=AS_OF - timedelta(days=400))
        )
        state_before = session.scalar(select(ActivityRollupState.max_event_id))
    with transaction(sessions) as session:  # the scan's catch-up cannot see the change
        assert catch_up(session.connection(), KINDS).customers == 0
    stale, truth = features(sessions), features(sessions, use_rollup=False)
    assert stale.loc[steady, "last_day"] != truth.loc[steady, "last_day"]

    status, output = run(cli, monkeypatch, engine.url.render_as_string(hide_password=False))

    assert status == 0, output
    with sessions() as session:
        customers = session.query(CustomerActivity).count()
        events = session.query(ActivityEvent).count()
        assert session.scalar(select(ActivityRollupState.max_event_id)) == state_before
    assert f"{customers:,} customers from {events:,} events" in output
    assert "activity rollup rebuilt" in output and output.rstrip().endswith("s")
    assert_frame_equal(features(sessions), truth)
    with transaction(sessions) as session:  # the watermark is current: nothing left to do
        report = catch_up(session.connection(), KINDS)
    assert not report.rebuilt and report.customers == 0


def test_rebuild_activity_refuses_a_store_that_is_not_migrated(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    status, output = run(cli, monkeypatch, url)
    assert status == 1
    assert "is not migrated (no winback schema" in output
    assert "run `winback migrate` first" in output
    assert "Traceback" not in output
