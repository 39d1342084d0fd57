"""The one read a rescue start makes: customer, latest case and flag, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from activities.rescue_start_reads import facts_for_customer, facts_for_flag
from store.db import transaction
from store.models import Customer, Flag, RescueCase
from tests.support.rescue_world import unique_id


def _flag(customer_id: int, kind: str, day: int, probability: float) -> Flag:
    return Flag(
        customer_id=customer_id,
        scan_id="s",
        kind=kind,
        probability=probability,
        value_at_risk=1.0,
        reasons=[f"{kind} on day {day}"],
        detector="test",
        scanned_at=datetime(2026, 1, day, tzinfo=UTC),
    )


def test_latest_case_and_flag_of_the_scenario(sessions: sessionmaker[Session]) -> None:
    external = unique_id()
    with transaction(sessions) as session:
        customer = Customer(
            external_id=external, name="N", segment="smb", team="accounts", value_per_year=500.0
        )
        session.add(customer)
        session.flush()
        flags = [
            _flag(customer.id, "at_risk", 1, 0.5),
            _flag(customer.id, "at_risk", 3, 0.7),
            _flag(customer.id, "lost", 5, 0.9),
        ]
        session.add_all(flags)
        for episode, status in ((1, "lost"), (2, "rescued")):
            session.add(
                RescueCase(
                    workflow_id=f"rescue-{external}-{episode}",
                    customer_id=customer.id,
                    episode=episode,
                    scenario="at_risk",
                    playbook_version="t",
                    status=status,
                )
            )
        session.flush()
        lost_flag = flags[2].id
    with transaction(sessions) as session:
        at_risk = facts_for_customer(session, external, "at_risk")
        by_flag = facts_for_flag(session, lost_flag)
        assert facts_for_customer(session, "nobody", "at_risk") is None
        assert facts_for_flag(session, lost_flag + 1000) is None
    assert at_risk is not None and by_flag is not None
    assert (at_risk.latest_episode, at_risk.latest_open) == (2, False)
    assert (at_risk.probability, at_risk.reasons) == (0.7, ["at_risk on day 3"])
    assert (at_risk.segment, at_risk.team, at_risk.value_per_year) == ("smb", "accounts", 500.0)
    assert (by_flag.scenario, by_flag.flag_id, by_flag.probability) == ("lapsed", lost_flag, 0.9)
    assert by_flag.latest_workflow_id == f"rescue-{external}-2"


def test_no_case_and_no_flag_yet(sessions: sessionmaker[Session]) -> None:
    external = unique_id()
    with transaction(sessions) as session:
        session.add(Customer(external_id=external, name="N"))
    with transaction(sessions) as session:
        facts = facts_for_customer(session, external, "lapsed")
    assert facts is not None
    assert (facts.latest_episode, facts.latest_open, facts.flag_id, facts.reasons) == (
        None,
        False,
        None,
        [],
    )
