"""Who works a rescue: the customer's owner, else the team queue (round robin or least loaded).

Also loads the people allowed to act on the case (assignee, team, leads), because the
workflow's Update validators may only look at workflow state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Customer, RescueCase, TeamMember


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    team: str | None
    lead_handles: list[str] = field(default_factory=list)
    team_handles: list[str] = field(default_factory=list)
    slack_ids: dict[str, str] = field(default_factory=dict)


def _team_members(session: Session, team: str) -> list[TeamMember]:
    query = select(TeamMember).where(TeamMember.team == team, TeamMember.active.is_(True))
    return list(session.scalars(query.order_by(TeamMember.handle)))


def _member(session: Session, handle: str) -> TeamMember | None:
    return session.scalar(select(TeamMember).where(TeamMember.handle == handle))


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
    customer: Customer,
    strategy: str,
    prefer_owner: bool = True,
    default_team: str | None = None,
    requested: str | None = None,
) -> Assignment:
    """Pick the assignee for a new case and load the handles that may act on it."""
    owner = requested or (customer.owner if prefer_owner else None)
    owner_row = _member(session, owner) if owner else None
    team = customer.team or (owner_row.team if owner_row else None) or default_team
    members = _team_members(session, team) if team else []
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
    assignee_row = owner_row if owner else (_member(session, assignee) if assignee else None)
    if assignee_row is not None and assignee_row.lead_handle:
        leads.add(assignee_row.lead_handle)
    people = list(members) + [r for r in (assignee_row,) if r is not None]
    people += [m for h in leads if (m := _member(session, h)) is not None]
    return Assignment(
        assignee=assignee,
        team=team,
        lead_handles=sorted(leads),
        team_handles=sorted({m.handle for m in members}),
        slack_ids={m.handle: m.slack_user_id for m in people if m.slack_user_id},
    )
