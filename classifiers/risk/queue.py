"""The current defector queue: the latest scan's flags, highest value at risk first.

Read by `winback flags` and available to the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Customer, Flag


@dataclass(frozen=True)
class QueuedFlag:
    flag_id: int
    customer: str  # external id
    name: str
    team: str | None
    kind: str
    probability: float
    value_at_risk: float
    status: str
    workflow_id: str | None
    detector: str
    scanned_at: str
    reasons: list[str] = field(default_factory=list)


def latest_scan_id(session: Session) -> str | None:
    return session.scalar(
        select(Flag.scan_id).order_by(Flag.scanned_at.desc(), Flag.id.desc()).limit(1)
    )


def current_queue(
    session: Session, limit: int = 50, scan_id: str | None = None
) -> list[QueuedFlag]:
    """Flags of one scan (default: the latest), by value at risk."""
    scan_id = scan_id or latest_scan_id(session)
    if scan_id is None:
        return []
    rows = session.execute(
        select(Flag, Customer.external_id, Customer.name, Customer.team)
        .join(Customer, Customer.id == Flag.customer_id)
        .where(Flag.scan_id == scan_id)
        .order_by(Flag.value_at_risk.desc(), Flag.id)
        .limit(limit)
    ).all()
    return [
        QueuedFlag(
            flag_id=f.id,
            customer=ext,
            name=name,
            team=team,
            kind=f.kind,
            probability=f.probability,
            value_at_risk=f.value_at_risk,
            status=f.status,
            workflow_id=f.workflow_id,
            detector=f.detector,
            scanned_at=f.scanned_at.isoformat(),
            reasons=list(f.reasons or []),
        )
        for f, ext, name, team in rows
    ]
