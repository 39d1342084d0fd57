"""Who gets a rescue: the owner first, else the team queue (round robin or least loaded)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from activities.rescue_assign import assign
from store.db import transaction
from store.models import Customer, RescueCase, TeamMember


def _team(session: Session) -> None:
    session.add_all(
        [
            TeamMember(
                handle="ana", name="Ana", team="accounts", lead_handle="lee", slack_user_id="U_ANA"
            ),
            TeamMember(handle="bo", name="Bo", team="accounts", lead_handle="lee"),
            TeamMember(handle="cy", name="Cy", team="accounts", lead_handle="lee", active=False),
            TeamMember(
                handle="lee", name="Lee", team="accounts", role="lead", slack_user_id="U_LEE"
            ),
        ]
    )


def _customer(session: Session, external_id: str, owner: str | None = None) -> Customer:
    customer = Customer(external_id=external_id, name=external_id, owner=owner, team="accounts")
    session.add(customer)
    session.flush()
    return customer


def _open_case(session: Session, customer: Customer, assignee: str, status: str = "open") -> None:
    session.add(
        RescueCase(
            workflow_id=f"rescue-{customer.external_id}-{assignee}",
            customer_id=customer.id,
            scenario="at_risk",
            playbook_version="t",
            assignee=assignee,
            team="accounts",
            status=status,
        )
    )
    session.flush()


def test_owner_first_with_leads_and_slack_ids(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _team(session)
        picked = assign(session, _customer(session, "A", owner="ana"), "least_loaded")
    assert (picked.assignee, picked.team, picked.lead_handles) == ("ana", "accounts", ["lee"])
    assert picked.team_handles == ["ana", "bo", "lee"]  # inactive cy left out
    assert picked.slack_ids == {"ana": "U_ANA", "lee": "U_LEE"}


def test_least_loaded_picks_fewest_open_cases(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _team(session)
        other = _customer(session, "X")
        _open_case(session, other, "ana")
        _open_case(session, _customer(session, "Y"), "bo", status="lost")  # closed: no load
        picked = assign(session, _customer(session, "B"), "least_loaded")
    assert picked.assignee == "bo"


def test_round_robin_follows_the_last_assignee(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _team(session)
        first = assign(session, _customer(session, "C1"), "round_robin")
        _open_case(session, _customer(session, "C1b"), str(first.assignee))
        second = assign(session, _customer(session, "C2"), "round_robin")
        _open_case(session, _customer(session, "C2b"), str(second.assignee))
        third = assign(session, _customer(session, "C3"), "round_robin")
    assert [first.assignee, second.assignee, third.assignee] == ["ana", "bo", "ana"]


def test_no_team_at_all_leaves_the_case_unassigned(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        customer = Customer(external_id="N", name="N")
        session.add(customer)
        session.flush()
        picked = assign(session, customer, "least_loaded", default_team="nobody-here")
    assert (picked.assignee, picked.lead_handles, picked.team_handles) == (None, [], [])


def test_team_from_the_owner_and_a_lead_on_another_team(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _team(session)
        session.add_all(
            [
                TeamMember(handle="dee", name="Dee", team="accounts", lead_handle="rex"),
                TeamMember(
                    handle="rex", name="Rex", team="leads", role="lead", slack_user_id="U_REX"
                ),
            ]
        )
        customer = Customer(external_id="T", name="T", owner="dee")  # no team of its own
        session.add(customer)
        session.flush()
        picked = assign(session, customer, "least_loaded")
    assert (picked.assignee, picked.team) == ("dee", "accounts")
    assert picked.lead_handles == ["lee", "rex"]
    assert picked.team_handles == ["ana", "bo", "dee", "lee"]
    assert picked.slack_ids == {"ana": "U_ANA", "lee": "U_LEE", "rex": "U_REX"}
