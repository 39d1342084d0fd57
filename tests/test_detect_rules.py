"""Rules YAML validation, the rules fallback's probabilities, reasons text, team capacity."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from classifiers.risk import explain
from classifiers.risk.detect import detect
from classifiers.risk.features import FeatureWindows, compute_features
from classifiers.risk.lapse import LapseContext
from classifiers.risk.priority import choose_rescues
from classifiers.risk.rules import load_rules
from store.models import Flag
from tests.support.detect_data import AS_OF, StoreBuilder, background

RULES = load_rules()


def test_rules_file_typos_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("defaults:\n  lapse:\n    silence_ration: 2\n")
    with pytest.raises(ValueError, match=r"rules.yaml: invalid.*silence_ration"):
        load_rules(bad)
    bad.write_text("segments:\n  smb:\n    at_risk:\n      flag_probability: 2\n")
    with pytest.raises(ValueError, match=r"rules.yaml: invalid.*flag_probability"):
        load_rules(bad)
    bad.write_text("segments:\n  smb:\n    at_risk:\n      usage_window_days: 7\n")
    with pytest.raises(
        ValueError, match=r"segments.smb.at_risk.usage_window_days: set in defaults"
    ):
        load_rules(bad)
    bad.write_text("segments:\n  smb:\n    lapze: {}\n")
    with pytest.raises(ValueError, match=r"segments.smb: unknown section 'lapze'"):
        load_rules(bad)


def test_segment_overrides_lay_over_the_defaults() -> None:
    enterprise = RULES.for_segment("enterprise")
    assert enterprise.lapse.silence_ratio == 2.0
    assert enterprise.lapse.one_time_silent_days == RULES.defaults.lapse.one_time_silent_days
    assert RULES.for_segment("unknown-segment") == RULES.defaults


def test_rules_fallback_combines_warning_signs(sqlite_sessions: sessionmaker[Session]) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        background(b)
        fading = b.customer("fading", value_per_year=10_000.0)
        for day in range(1, 57, 2):  # usage 10/day for weeks 5-8, 3/day for weeks 1-4
            b.event(fading, day, "usage", quantity=10.0 if day > 28 else 3.0)
        b.complaint(fading, 3, "billing")
        b.complaint(fading, 6, "billing")
        b.event(fading, 4, "payment_failed", amount=0)
        b.event(fading, 9, "payment_failed", amount=0)
        complainer = b.customer("complainer")
        b.rhythm(complainer, 3, 1, 20, kind="usage")
        b.complaint(complainer, 3, "billing")
        b.complaint(complainer, 4, "delivery")
    windows = FeatureWindows(as_of=AS_OF, activity_kinds=RULES.activity_kinds())
    with sqlite_sessions() as session:
        frame = compute_features(session, 0, 10**9, windows)
    flags = {
        d.external_id: d for d in detect(frame, AS_OF, RULES, LapseContext({}, 9, None)).detections
    }
    assert set(flags) == {"fading"}  # two complaints alone: 1-(0.95)(0.65) = 0.38 < 0.5
    fading = flags["fading"]
    w = RULES.defaults.at_risk.weights
    expected = 1 - 0.95 * (1 - w.usage_drop) * (1 - w.complaints) * (1 - w.payment_failed)
    assert fading.kind == "at_risk" and fading.detector == "rules"
    assert fading.probability == pytest.approx(expected, abs=1e-4)
    assert fading.value_at_risk == pytest.approx(expected * 10_000, abs=1)
    assert fading.reasons == [
        "payment failed twice in 90 days",
        "usage down 70% over 4 weeks",
        "2 billing complaints this month",
    ]


def test_reason_texts_never_contradict_the_numbers() -> None:
    assert explain.describe_usage(25.0, 28) is None  # usage up is no reason for risk
    assert explain.describe_usage(float("nan"), 28) is None
    assert explain.describe_activity(9, 5, one_time=False) is None  # not silent yet
    assert explain.describe_activity(9, 41, one_time=False) == (
        "usually active every 9 days; silent 41 days"
    )
    assert explain.describe_complaints(3, {"billing": 2, "delivery": 1}, 30) == (
        "3 complaints this month (2 billing, 1 delivery)"
    )
    assert explain.describe_payments(3, 90) == "payment failed 3 times in 90 days"
    merged = explain.top_reasons(
        [
            explain.Reason("activity", "silent 41 days", 0.2),
            explain.Reason("activity", "usually active every 9 days; silent 41 days", 0.9),
            explain.Reason("usage", "usage down 63% over 4 weeks", 0.5),
        ]
    )
    assert merged == ["usually active every 9 days; silent 41 days", "usage down 63% over 4 weeks"]


def test_rescues_are_limited_by_each_teams_daily_capacity(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        b.member("ana", "east", capacity=1)
        b.member("ben", "east", capacity=1)
        b.member("cy", "west", capacity=5)
        customers = [b.customer(f"e{i}", team="east") for i in range(4)]
        customers += [b.customer("w0", team="west"), b.customer("n0", team=None)]
        earlier = b.customer("east-earlier", team="east")
        session.add(
            Flag(
                customer_id=earlier.id,
                scan_id="morning",
                kind="lapsed",
                probability=0.9,
                value_at_risk=1.0,
                detector="lapse",
                status="started",
                scanned_at=AS_OF - timedelta(hours=3),
            )
        )
        for i, c in enumerate(customers):
            session.add(
                Flag(
                    customer_id=c.id,
                    scan_id="noon",
                    kind="lapsed",
                    probability=0.9,
                    value_at_risk=100.0 * (i + 1),
                    detector="lapse",
                    scanned_at=AS_OF,
                )
            )
    with sqlite_sessions.begin() as session:
        choice = choose_rescues(session, "noon", AS_OF, unassigned_capacity=0)
        chosen = [session.get(Flag, i) for i in choice.chosen_flag_ids]
    # east: capacity 2, one used this morning -> only its highest value at risk (e3)
    assert [c.customer_id for c in chosen] == [customers[4].id, customers[3].id]
    assert choice.over_capacity == 4  # e0, e1, e2 and the unassigned n0
