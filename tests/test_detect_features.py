"""Feature SQL on SQLite and PostgreSQL, and the documented skips for bad data."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from classifiers.risk.detect import detect
from classifiers.risk.features import FeatureWindows, compute_features
from classifiers.risk.lapse import LapseContext
from classifiers.risk.rules import load_rules
from tests.support.detect_data import AS_OF, StoreBuilder

RULES = load_rules()
WINDOWS = FeatureWindows(as_of=AS_OF, activity_kinds=RULES.activity_kinds())


def build(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        b = StoreBuilder(session)
        user = b.customer("user")
        for day in (1, 3, 6, 10, 30, 31, 33, 36, 40, 45):
            b.event(user, day, "usage", quantity=10.0 if day > 28 else 3.0)
        b.event(user, 1.2, "usage", quantity=5.0)  # same UTC day as day 1: one active day
        b.event(user, -3, "usage", quantity=50.0)  # after as_of: ignored and counted
        b.event(user, 5, "payment_failed", amount=0)
        b.event(user, 100, "payment_failed", amount=0)  # outside the 90-day window
        b.event(user, 8, "complaint")
        b.complaint(user, 4, "billing")
        b.complaint(user, 9, "billing")
        b.complaint(user, 12, "delivery")
        b.complaint(user, 45, "billing")  # outside the 30-day window
        broken = b.customer("broken")
        b.event(broken, 5, "payment", amount=-20.0)
        ghost = b.customer("ghost")
        closed = b.customer("recently-rescued")
        b.rhythm(closed, 9, 50, 5)
        b.rescue_case(closed, status="rescued", closed_days_ago=10)
        return {"user": user.id, "broken": broken.id, "ghost": ghost.id, "closed": closed.id}


def test_features_are_computed_in_sql_on_both_backends(sessions: sessionmaker[Session]) -> None:
    ids = build(sessions)
    with sessions() as session:
        frame = compute_features(session, 0, 10**9, WINDOWS)
    user = frame.loc[ids["user"]]
    assert user["n_events"] == 11
    assert user["n_days"] == 10
    assert user["silent_days"] == pytest.approx(1.0)
    assert user["own_gap_days"] == pytest.approx(44 / 9)
    # usage: last 28 days 3+3+3+3+5=17 vs the 28 days before 6*10=60
    assert user["usage_recent"] == 17 and user["usage_prior"] == 60
    assert user["usage_change_pct"] == pytest.approx(100 * (17 - 60) / 60)
    assert user["payment_failed_n"] == 1
    assert user["complaint_n"] == 1
    assert user["complaint_categories"] == {"billing": 2, "delivery": 1}
    assert user["events_after_as_of"] == 1
    assert frame.loc[ids["broken"], "negative_amounts"] == 1
    assert frame.loc[ids["ghost"], "n_events"] == 0
    assert math.isnan(frame.loc[ids["ghost"], "silent_days"])
    assert frame.loc[ids["closed"], "episodes"] == 1


def test_bad_data_is_skipped_and_counted_not_a_crash(sessions: sessionmaker[Session]) -> None:
    build(sessions)
    with sessions() as session:
        frame = compute_features(session, 0, 10**9, WINDOWS)
    batch = detect(frame, AS_OF, RULES, LapseContext({}, 9.0, None))
    assert batch.skipped == {"negative_amount": 1, "no_events": 1, "cooldown": 1}
    assert batch.scored == 1
    assert batch.events_after_as_of == 1


def test_partitions_only_see_their_id_range(sessions: sessionmaker[Session]) -> None:
    ids = build(sessions)
    with sessions() as session:
        frame = compute_features(session, ids["broken"], ids["closed"], WINDOWS)
    assert list(frame.index) == [ids["broken"], ids["ghost"]]


def test_event_queries_read_only_the_covering_indexes(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session]
) -> None:
    """Every event read is index-only: the fallback for customers the rollup cannot answer
    and the usage windows walk (customer_id, occurred_at, ...) in customer order with no sort;
    signals read the few rows of their kinds through (kind, customer_id, occurred_at)."""
    build(sqlite_sessions)
    statements: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        if "JOIN activity_events" in sql or "FROM activity_events" in sql:
            statements.append((sql, params))

    event.listen(sqlite_engine, "before_cursor_execute", keep)
    try:
        with sqlite_sessions() as session:
            compute_features(session, 0, 10**9, WINDOWS)
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", keep)
    assert len(statements) == 3  # activity without a rollup row, usage windows, signals
    with sqlite_engine.connect() as connection:
        plans = [
            " | ".join(
                str(row[-1])
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)  # type: ignore[arg-type]
            )
            for sql, params in statements
        ]
    activity, usage, signals = plans
    for plan in (activity, usage):
        assert "COVERING INDEX ix_activity_events_customer_time (customer_id=?" in plan, plan
        assert "TEMP B-TREE FOR GROUP BY" not in plan, plan
    assert "COVERING INDEX ix_activity_events_kind_customer_time (kind=?" in signals, signals
