"""Tiny customer stores with known answers, for the detection and scan tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count

from sqlalchemy.orm import Session, sessionmaker

from store.models import ActivityEvent, Customer, FeedbackItem, RescueCase, TeamMember

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_keys = count()


@dataclass
class StoreBuilder:
    session: Session

    def customer(self, external_id: str, **fields: object) -> Customer:
        defaults: dict[str, object] = {
            "name": external_id,
            "value_per_year": 1200.0,
            "team": "east",
        }
        row = Customer(external_id=external_id, **{**defaults, **fields})
        self.session.add(row)
        self.session.flush()
        return row

    def event(
        self,
        customer: Customer,
        days_ago: float,
        kind: str = "purchase",
        quantity: float = 1.0,
        amount: float = 10.0,
    ) -> None:
        self.session.add(
            ActivityEvent(
                event_key=f"ev-{next(_keys)}",
                customer_id=customer.id,
                occurred_at=AS_OF - timedelta(days=days_ago),
                kind=kind,
                quantity=quantity,
                amount=amount,
            )
        )

    def rhythm(
        self,
        customer: Customer,
        every_days: float,
        silent_days: float,
        n: int,
        kind: str = "purchase",
    ) -> None:
        """n events `every_days` apart, the last one `silent_days` before AS_OF."""
        for i in range(n):
            self.event(customer, silent_days + i * every_days, kind)

    def complaint(self, customer: Customer, days_ago: float, category: str) -> None:
        self.session.add(
            FeedbackItem(
                external_id=f"fb-{next(_keys)}",
                source="complaint",
                text="(redacted)",
                occurred_at=AS_OF - timedelta(days=days_ago),
                customer_id=customer.id,
                category_id=category,
            )
        )

    def member(self, handle: str, team: str = "east", capacity: int = 5) -> None:
        self.session.add(TeamMember(handle=handle, name=handle, team=team, daily_capacity=capacity))

    def rescue_case(
        self, customer: Customer, status: str = "open", closed_days_ago: float | None = None
    ) -> None:
        closed = AS_OF - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
        self.session.add(
            RescueCase(
                workflow_id=f"rescue-{customer.external_id}-{next(_keys)}",
                customer_id=customer.id,
                scenario="lapsed",
                playbook_version="test",
                status=status,
                closed_at=closed,
            )
        )


def background(build: StoreBuilder, n: int = 30, tag: str = "") -> None:
    """Steady customers who shop every 7-12 days and were active this week."""
    for i in range(n):
        build.rhythm(
            build.customer(f"{tag}steady-{i}"),
            every_days=7 + i % 6,
            silent_days=1 + i % 5,
            n=8 + i % 5,
        )


def scan_store(sessions: sessionmaker[Session], tag: str = "") -> None:
    """The scan tests' store: three defectors, three customers to skip, steady background.

    `tag` prefixes the external ids, so rescue workflow ids differ between test runs that
    share one Temporal server.
    """
    with sessions.begin() as session:
        build = StoreBuilder(session)
        build.member("ana", capacity=6)
        build.member("ben", capacity=4)
        background(build, tag=tag)
        build.rhythm(build.customer(f"{tag}lapsed-1", value_per_year=5000.0), 9, 41, 10)
        payer = build.customer(f"{tag}failing-payer", value_per_year=3000.0)
        build.rhythm(payer, 7, 2, 10)
        build.event(payer, 5, "payment_failed", amount=0)
        build.event(payer, 3, "payment_failed", amount=0)
        build.customer(
            f"{tag}cancelled-1",
            has_contract=True,
            status="cancelled",
            status_changed_on=date(2026, 5, 20),
            value_per_year=8000.0,
        )
        busy = build.customer(f"{tag}busy-1")
        build.rhythm(busy, 9, 60, 10)
        build.rescue_case(busy, "open")
        broken = build.customer(f"{tag}broken-1")
        build.rhythm(broken, 9, 60, 10)
        build.event(broken, 30, "payment", amount=-5.0)
        build.customer(f"{tag}ghost-1")
