"""Who works a rescue: the customer's owner, else the team queue (round robin or least loaded).

Also loads the people allowed to act on the case (assignee, team, leads), because the
workflow's Update validators may only look at workflow state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from store.models import RescueCase, TeamMember


class CustomerRef(Protocol):
    """What assignment needs of a customer: a Customer row or a column select of it."""

    @property
    def owner(self) -> str | None: ...

    @property
    def team(self) -> str | None: ...


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    team: str | None
    lead_handles: list[str] = field(default_factory=list)
    team_handles: list[str] = field(default_factory=list)
    slack_ids: dict[str, str] = field(default_factory=dict)


_PERSON = (
    TeamMember.handle,
    TeamMember.team,
    TeamMember.role,
    TeamMember.lead_handle,
    TeamMember.slack_user_id,
    TeamMember.active,
)


# Built once (building costs more than running it); a None team matches nobody.
_PEOPLE = select(*_PERSON).where(
    or_(
        and_(TeamMember.team == bindparam("team"), TeamMember.active.is_(True)),
        TeamMember.handle.in_(bindparam("handles", expanding=True)),
    )
)


def _people(session: Session, team: str | None, handles: Iterable[str]) -> dict[str, Any]:
    """Active members of `team` and the named people (active or not), in one read, by handle."""
    named = sorted(set(handles))
    if team is None and not named:
        return {}
    rows = session.execute(_PEOPLE, {"team": team, "handles": named})
    return {row.handle: row for row in rows}


def _round_robin(session: Session, team: str, members: list[str]) -> str:
    """The member after whoever got this team's most recent case."""
    last = session.scalar(
        select(RescueCase.assignee)
        .where(RescueCase.team == team, RescueCase.assignee.in_(members))
        .order_by(RescueCase.id.desc())
        .limit(1)
    )
    if last is None:
        return members[0]
    return members[(members.index(last) + 1) % len(members)]


def _least_loaded(session: Session, members: list[str]) -> str:
    """The member with the fewest open cases (ties: alphabetical)."""
    rows = session.execute(
        select(RescueCase.assignee, func.count())
        .where(RescueCase.status == "open", RescueCase.assignee.in_(members))
        .group_by(RescueCase.assignee)
    ).tuples()
    counts = {handle: count for handle, count in rows}
    return min(members, key=lambda handle: (counts.get(handle, 0), handle))


def assign(
    session: Session,
    customer: CustomerRef,
    strategy: str,
    prefer_owner: bool = True,
    default_team: str | None = None,
    requested: str | None = None,
) -> Assignment:
    """Pick the assignee for a new case and load the handles that may act on it."""
    owner = requested or (customer.owner if prefer_owner else None)
    people = _people(session, customer.team, [owner] if owner else [])
    owner_row = people.get(owner) if owner else None
    team = customer.team or (owner_row.team if owner_row else None) or default_team
    if team and not customer.team:  # the team came from the owner or the default
        people |= _people(session, team, [])
    members = sorted(
        (m for m in people.values() if m.team == team and m.active), key=lambda m: m.handle
    )
    handles = [m.handle for m in members if m.role != "lead"] or [m.handle for m in members]
    if owner:
        assignee: str | None = owner
    elif handles and team:
        assignee = (
            _round_robin(session, team, handles)
            if strategy == "round_robin"
            else _least_loaded(session, handles)
        )
    else:
        assignee = None
    leads = {m.handle for m in members if m.role == "lead"}
    assignee_row = people.get(assignee) if assignee else None
    if assignee_row is not None and assignee_row.lead_handle:
        leads.add(assignee_row.lead_handle)
    if missing := leads - people.keys():  # a lead on another team
        people |= _people(session, None, missing)
    involved = [*members, *(r for r in (assignee_row,) if r is not None)]
    involved += [people[h] for h in leads if h in people]
    return Assignment(
        assignee=assignee,
        team=team,
        lead_handles=sorted(leads),
        team_handles=sorted({m.handle for m in members}),
        slack_ids={m.handle: m.slack_user_id for m in involved if m.slack_user_id},
    )
