"""Lapse and contract detectors on small stores with known answers (SQLite)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from classifiers.risk.context import build_lapse_context
from classifiers.risk.detect import Detection, detect
from classifiers.risk.features import FeatureWindows, as_epoch_days, compute_features
from classifiers.risk.lapse import LapseContext, detect_lapse
from classifiers.risk.rules import DetectionRules, load_rules
from tests.support.detect_data import AS_OF, StoreBuilder, background

RULES = load_rules()
WINDOWS = FeatureWindows(as_of=AS_OF, activity_kinds=RULES.activity_kinds())
TODAY = as_epoch_days(AS_OF)


def scan(sessions: sessionmaker[Session], rules: DetectionRules = RULES) -> dict[str, Detection]:
    with sessions() as session:
        frame = compute_features(session, 0, 10**9, WINDOWS)
        context = build_lapse_context(session, WINDOWS)
    return {d.external_id: d for d in detect(frame, AS_OF, rules, context).detections}


def test_silence_is_judged_against_the_customers_own_rhythm(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        background(b)
        b.rhythm(b.customer("weekly-silent-41", value_per_year=2000.0), 9, 41, 10)
        b.rhythm(b.customer("monthly-silent-41"), 30, 41, 10)  # 41 days is normal for them
        b.rhythm(b.customer("weekly-silent-20"), 9, 20, 10)  # 2.2 gaps: not yet
    flags = scan(sqlite_sessions)
    assert set(flags) == {"weekly-silent-41"}
    flag = flags["weekly-silent-41"]
    assert flag.kind == "lapsed" and flag.detector == "lapse"
    assert flag.reasons[0] == "usually active every 9 days; silent 41 days"
    assert flag.value_at_risk == pytest.approx(flag.probability * 2000.0, abs=0.01)


def test_segment_thresholds_come_from_the_rules(sqlite_sessions: sessionmaker[Session]) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        background(b)
        b.rhythm(b.customer("ent-silent-20", segment="enterprise"), 9, 20, 10)
        b.rhythm(b.customer("default-silent-20"), 9, 20, 10)
    assert set(scan(sqlite_sessions)) == {"ent-silent-20"}  # enterprise: silence_ratio 2.0


def test_few_events_shrink_toward_the_segment_norm(sqlite_sessions: sessionmaker[Session]) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        background(b)
        twice = b.customer("twice")
        b.rhythm(twice, 2, 30, 2)  # own gap 2 days from only one gap: not to be trusted
        regular = b.customer("regular")
        b.rhythm(regular, 2, 30, 12)
        ids = {"twice": twice.id, "regular": regular.id}
    with sqlite_sessions() as session:
        frame = compute_features(session, 0, 10**9, WINDOWS)
        context = build_lapse_context(session, WINDOWS)
    out = detect_lapse(frame, TODAY, RULES, context)
    norm = context.segment_gap_days["default"]
    assert 7 < norm < 12
    k = RULES.defaults.lapse.prior_strength
    assert out.loc[ids["twice"], "usual_gap_days"] == pytest.approx((k * norm + 1 * 2) / (k + 1))
    assert out.loc[ids["regular"], "usual_gap_days"] == pytest.approx(2.0)
    assert out.loc[ids["regular"], "lapse_probability"] > out.loc[ids["twice"], "lapse_probability"]


def test_one_time_buyers_are_flagged_when_long_silent(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        background(b)
        b.event(b.customer("once-100-days-ago"), 100)
        b.event(b.customer("once-30-days-ago"), 30)
    flags = scan(sqlite_sessions)
    assert set(flags) == {"once-100-days-ago"}
    assert flags["once-100-days-ago"].reasons[0] == "bought once; silent 100 days"


def test_bgnbd_ranks_one_time_buyers_by_expected_purchases() -> None:
    import pandas as pd

    from classifiers.risk.bgnbd import BGNBDParams

    frame = pd.DataFrame(
        {
            "segment": ["default"] * 3,
            "has_contract": [False] * 3,
            "n_days": [1, 1, 5],
            "first_day": [TODAY - 200, TODAY - 20, TODAY - 60],
            "last_day": [TODAY - 200, TODAY - 20, TODAY - 4],
            "own_gap_days": [float("nan"), float("nan"), 14.0],
        }
    )
    frame["silent_days"] = TODAY - frame["last_day"]
    context = LapseContext({"default": 10.0}, 10.0, BGNBDParams(0.243, 4.414, 0.793, 2.426))
    out = detect_lapse(frame, TODAY, RULES, context)
    expected = out["expected_purchases"].tolist()
    assert expected[0] < expected[1] < expected[2]  # long-silent one-time buyer ranks riskiest
    assert out["lapse_probability"].iloc[0] > out["lapse_probability"].iloc[1]
    assert list(out["lapsed"]) == [True, False, False]


def test_contract_signals_make_customers_lost_or_at_risk(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        background(b)
        b.customer(
            "cancelled",
            has_contract=True,
            status="cancelled",
            status_changed_on=date(2026, 5, 1),
            value_per_year=900.0,
        )
        b.customer(
            "cancelled-long-ago",
            has_contract=True,
            status="cancelled",
            status_changed_on=date(2025, 1, 1),
        )
        gone = b.customer("non-renewal-event", has_contract=True)
        b.rhythm(gone, 7, 1, 10)
        b.event(gone, 3, "non_renewal")
        down = b.customer("downgraded", has_contract=True)
        b.rhythm(down, 7, 1, 10)
        b.event(down, 10, "downgrade")
        contract_quiet = b.customer("contract-quiet", has_contract=True)
        b.rhythm(contract_quiet, 9, 60, 10)  # long silent, but a contract customer: not lapsed
    flags = scan(sqlite_sessions)
    assert set(flags) == {"cancelled", "non-renewal-event", "downgraded"}
    assert flags["cancelled"].kind == "lost" and flags["cancelled"].probability == 1.0
    assert flags["cancelled"].value_at_risk == 900.0
    assert flags["cancelled"].reasons == ["cancelled the contract"]
    assert flags["non-renewal-event"].kind == "lost"
    assert flags["non-renewal-event"].reasons == ["did not renew the contract"]
    assert flags["downgraded"].kind == "at_risk"
    assert flags["downgraded"].probability == RULES.defaults.contract.downgrade_probability
    assert flags["downgraded"].reasons == ["downgraded the plan"]


def test_a_partition_of_customers_without_events_scores_without_error(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        background(b)
        silent = [b.customer(f"never-active-{i}") for i in range(3)]
        session.flush()
        lo, hi = min(c.id for c in silent), max(c.id for c in silent)
    with sqlite_sessions() as session:
        frame = compute_features(session, lo, hi + 1, WINDOWS)
        context = build_lapse_context(session, WINDOWS)
    assert len(frame) == 3
    result = detect(frame, AS_OF, RULES, context)  # no events at all in this partition
    assert all(d.external_id.startswith("never-active-") for d in result.detections)
