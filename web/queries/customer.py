"""One customer's story: flags with reasons over time, rescue history step by step, feedback."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Customer, FeedbackItem, Flag, RescueCase, RescueEvent

FEEDBACK_SHOWN = 50


@dataclass(frozen=True)
class RescueHistory:
    case: RescueCase
    events: list[RescueEvent]


@dataclass(frozen=True)
class CustomerStory:
    customer: Customer
    flags: list[Flag]
    rescues: list[RescueHistory]
    feedback: list[FeedbackItem]


def customer_story(session: Session, external_id: str) -> CustomerStory | None:
    customer = session.scalar(select(Customer).where(Customer.external_id == external_id))
    if customer is None:
        return None
    flags = list(
        session.scalars(
            select(Flag).where(Flag.customer_id == customer.id).order_by(Flag.scanned_at.desc())
        )
    )
    cases = list(
        session.scalars(
            select(RescueCase)
            .where(RescueCase.customer_id == customer.id)
            .order_by(RescueCase.opened_at.desc())
        )
    )
    events = (
        list(
            session.scalars(
                select(RescueEvent)
                .where(RescueEvent.case_id.in_([c.id for c in cases]))
                .order_by(RescueEvent.at, RescueEvent.id)
            )
        )
        if cases
        else []
    )
    rescues = [RescueHistory(c, [e for e in events if e.case_id == c.id]) for c in cases]
    feedback = list(
        session.scalars(
            select(FeedbackItem)
            .where(FeedbackItem.customer_id == customer.id)
            .order_by(FeedbackItem.occurred_at.desc())
            .limit(FEEDBACK_SHOWN)
        )
    )
    return CustomerStory(customer, flags, rescues, feedback)
