"""Who gets a rescue today: value at risk, ranked per team, cut at the team's daily capacity.

Capacity is the sum of TeamMember.daily_capacity over a team's active members, less the
rescues already started for that team on the scan's day. Customers with no team (or a team
without members) share `priority.unassigned_daily_capacity` from the rules file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Customer, Flag, TeamMember


@dataclass(frozen=True)
class RescueChoice:
    chosen_flag_ids: list[int]
    over_capacity: int  # flagged, but the team has no capacity left today


def team_capacity(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(TeamMember.team, func.sum(TeamMember.daily_capacity))
        .where(TeamMember.active.is_(True))
        .group_by(TeamMember.team)
    ).all()
    return {team: int(total or 0) for team, total in rows}


def started_on_day(
    session: Session, day_start: datetime, exclude_scan: str
) -> dict[str | None, int]:
    """Rescues started per team by earlier scans of the same day."""
    rows = session.execute(
        select(Customer.team, func.count())
        .join(Flag, Flag.customer_id == Customer.id)
        .where(
            Flag.status == "started",
            Flag.scan_id != exclude_scan,
            Flag.scanned_at >= day_start,
            Flag.scanned_at < day_start + timedelta(days=1),
        )
        .group_by(Customer.team)
    ).all()
    return {team: int(n) for team, n in rows}


def choose_rescues(
    session: Session, scan_id: str, as_of: datetime, unassigned_capacity: int
) -> RescueChoice:
    """The scan's queued flags worth a rescue today, highest value at risk first per team."""
    capacity = team_capacity(session)
    day_start = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    used: dict[str | None, int] = {}
    for team, n in started_on_day(session, day_start, scan_id).items():
        key = team if team in capacity else None
        used[key] = used.get(key, 0) + n
    flags = session.execute(
        select(Flag.id, Customer.team)
        .join(Customer, Customer.id == Flag.customer_id)
        .where(Flag.scan_id == scan_id, Flag.status == "queued")
        .order_by(Flag.value_at_risk.desc(), Flag.id)
    ).all()
    left: dict[str | None, int] = {}
    chosen: list[int] = []
    over = 0
    for flag_id, team in flags:
        queue = team if team in capacity else None
        if queue not in left:
            total = capacity[queue] if queue is not None else unassigned_capacity
            left[queue] = max(0, total - used.get(queue, 0))
        if left[queue] > 0:
            left[queue] -= 1
            chosen.append(int(flag_id))
        else:
            over += 1
    return RescueChoice(chosen, over)
