"""The per-customer activity rollup gives the scan the same numbers the events give, and
stays current: at ingest (new, changed and moved events), after writes around ingestion,
and when the activity kinds change. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pandas as pd
from pandas.testing import assert_frame_equal
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from classifiers.risk.features import FeatureWindows, compute_features
from classifiers.risk.rules import load_rules
from store.activity_refresh import RollupRefresh, catch_up
from store.db import transaction
from store.ingest import ingest_records
from store.models import Customer, CustomerActivity
from tests.support.detect_data import AS_OF, StoreBuilder, scan_store

KINDS = load_rules().activity_kinds()
WINDOWS = FeatureWindows(as_of=AS_OF, activity_kinds=KINDS)
NOW = AS_OF + timedelta(days=1)


def features(sessions: sessionmaker[Session], windows: FeatureWindows = WINDOWS) -> pd.DataFrame:
    with sessions() as session:
        return compute_features(session, 0, 10**9, windows)


def rollup(sessions: sessionmaker[Session]) -> dict[int, tuple[int, int]]:
    with sessions() as session:
        rows = session.execute(
            select(
                CustomerActivity.customer_id,
                CustomerActivity.active_events,
                CustomerActivity.active_days,
            )
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def refresh(sessions: sessionmaker[Session], kinds: tuple[str, ...] = KINDS) -> None:
    with transaction(sessions) as session:
        catch_up(session.connection(), kinds)


def test_features_from_the_rollup_equal_features_from_the_events(
    sessions: sessionmaker[Session],
) -> None:
    scan_store(sessions)
    with sessions.begin() as session:  # the edge cases: after as_of, negative, signals only
        b = StoreBuilder(session)
        odd = b.customer("odd")
        b.rhythm(odd, 5, 3, 6)
        b.event(odd, 1.1, "purchase")  # same UTC day as another event
        b.event(odd, 2, "payment", amount=-3.0)
        b.event(b.customer("only-signals"), 4, "complaint")
    from_events = features(sessions)
    assert rollup(sessions) == {}  # nothing has built it: every number came from the events
    refresh(sessions)
    assert len(rollup(sessions)) == len(from_events[from_events["last_day"].notna()]) + 1
    assert_frame_equal(features(sessions), from_events)


def test_a_past_as_of_reads_the_events_of_customers_active_since(
    sessions: sessionmaker[Session],
) -> None:
    """The rollup answers only for customers with no event after as_of: a scan of a past day
    counts the later events as 'after as_of' and ignores them, as the events path does."""
    scan_store(sessions)
    refresh(sessions)
    earlier = FeatureWindows(as_of=AS_OF - timedelta(days=20), activity_kinds=KINDS)
    with_rollup = features(sessions, earlier)
    assert with_rollup["events_after_as_of"].sum() > 0
    with transaction(sessions) as session:  # the same numbers with no rollup at all
        session.query(CustomerActivity).delete()
    assert_frame_equal(features(sessions, earlier), with_rollup)


def test_ingest_refreshes_the_customers_it_touched(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        b = StoreBuilder(session)
        ids = {name: b.customer(name).id for name in ("ann", "bob")}

    def event(key: str, who: str, days_ago: float, kind: str = "purchase") -> dict[str, object]:
        at = (AS_OF - timedelta(days=days_ago)).isoformat()
        return {"event_id": key, "customer_external_id": who, "occurred_at": at, "kind": kind}

    first = [event("e1", "ann", 10), event("e2", "ann", 3), event("e3", "bob", 8)]
    ingest_records(sessions, first, "events", "first.jsonl", now=NOW)
    assert rollup(sessions) == {ids["ann"]: (2, 2), ids["bob"]: (1, 1)}
    # e2 moves from ann to bob and e3 becomes a complaint: both customers are redone.
    second = [event("e2", "bob", 3), event("e3", "bob", 8, "complaint"), event("e4", "ann", 1)]
    ingest_records(sessions, second, "events", "second.jsonl", now=NOW)
    assert rollup(sessions) == {ids["ann"]: (2, 2), ids["bob"]: (1, 1)}
    with sessions() as session:
        bob = session.get(CustomerActivity, ids["bob"])
        assert bob is not None and bob.last_event_at == AS_OF - timedelta(days=3)


def test_a_scan_catches_up_on_events_written_around_ingestion(
    sessions: sessionmaker[Session],
) -> None:
    scan_store(sessions)
    refresh(sessions)
    before = features(sessions)
    with sessions.begin() as session:  # straight into the table, as a SQL load would
        steady = session.scalar(select(Customer).where(Customer.external_id == "steady-0"))
        assert steady is not None
        StoreBuilder(session).event(steady, 200)  # older than its last event: undetectable
        steady_id = steady.id
    assert features(sessions).loc[steady_id, "n_events"] == before.loc[steady_id, "n_events"]
    refresh(sessions)
    after = features(sessions)
    assert after.loc[steady_id, "n_events"] == before.loc[steady_id, "n_events"] + 1


def test_new_activity_kinds_rebuild_the_rollup(sessions: sessionmaker[Session]) -> None:
    scan_store(sessions)
    refresh(sessions)
    purchases_only = FeatureWindows(as_of=AS_OF, activity_kinds=("purchase",))
    with transaction(sessions) as session:
        report = catch_up(session.connection(), ("purchase",))
    assert report.rebuilt and report.customers > 0
    from_rollup = features(sessions, purchases_only)
    with transaction(sessions) as session:
        session.query(CustomerActivity).delete()
    assert_frame_equal(features(sessions, purchases_only), from_rollup)


def test_two_refreshes_queue_on_the_state_row_even_the_first_time(
    sessions: sessionmaker[Session],
) -> None:
    """Two first-ever refreshes (an ingest and a scan, say) do not both create the state:
    the second waits for the first's commit, then finds the rollup built (no error)."""
    scan_store(sessions)
    engine = sessions.kw["bind"]
    first = engine.connect()
    first_tx = first.begin()
    assert catch_up(first, KINDS).rebuilt
    result: list[object] = []

    def second() -> None:
        with engine.begin() as connection:
            result.append(catch_up(connection, KINDS))

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    waited = thread.is_alive()  # SQLite: busy wait; PostgreSQL: row lock
    first_tx.commit()
    first.close()
    thread.join(30)
    assert waited and not thread.is_alive()
    (report,) = result
    assert isinstance(report, RollupRefresh) and not report.rebuilt and report.customers == 0


def test_usage_windows_from_recent_events_match_the_events_to_the_microsecond(
    sessions: sessionmaker[Session],
) -> None:
    """The scan sums usage windows from the events packed in each rollup row: events exactly
    on a window edge (excluded, as SQL's `>` excludes them), a microsecond inside it, and
    within the last day; a longer usage window needs more days kept, so it rebuilds."""
    usage_days = 28
    with sessions.begin() as session:
        b = StoreBuilder(session)
        edge = b.customer("edge")
        micro = 1 / 86_400_000_000
        for days_ago, quantity in [
            (usage_days, 7.0),  # on the recent window's edge: prior window
            (usage_days - micro, 11.0),  # just inside the recent window
            (2 * usage_days, 13.0),  # on the prior window's edge: outside both
            (2 * usage_days - micro, 17.0),  # just inside the prior window
            (0.25, 19.0),  # six hours before as_of
            (70, 29.0),  # beyond the days kept for 28-day windows, inside 40-day ones
            (3 * usage_days, 23.0),  # long before: only in the whole-history numbers
        ]:
            b.event(edge, days_ago, "usage", quantity=quantity)
        b.event(edge, usage_days - 1, "login")
        b.event(b.customer("bare"), 10, "complaint")  # no active events at all
    from_events = features(sessions)
    refresh(sessions)
    with sessions() as session:
        kept = session.get(CustomerActivity, edge.id)
        assert kept is not None and kept.recent_events  # the sums below come from the row
    from_rollup = features(sessions)
    assert_frame_equal(from_rollup, from_events)
    row = from_rollup.loc[edge.id]
    assert (row["usage_recent"], row["usage_prior"]) == (11.0 + 19.0, 7.0 + 17.0)
    assert (row["events_recent"], row["events_prior"]) == (3.0, 2.0)  # the login is recent

    longer = FeatureWindows(as_of=AS_OF, activity_kinds=KINDS, usage_days=40)
    with transaction(sessions) as session:
        report = catch_up(session.connection(), KINDS, tail_days=2 * 40 + 1)
    assert report.rebuilt
    from_rollup = features(sessions, longer)
    with transaction(sessions) as session:
        session.query(CustomerActivity).delete()
    assert_frame_equal(features(sessions, longer), from_rollup)
    assert from_rollup.loc[edge.id, "usage_prior"] == 13.0 + 17.0 + 29.0
