"""Reading submitted modals back into the rescue's request dataclasses, at the edge.

A value that cannot be read raises FormError naming the input, shown next to it in the modal.
"""

from __future__ import annotations

from typing import Any

from web.slack.modals import FIELD_PREFIX, OFFERS_ACCEPTED, OFFERS_MADE, VALUE
from workflows.rescue_messages import (
    EscalateRequest,
    OutcomeRequest,
    RescheduleRequest,
    StepRequest,
)

State = dict[str, dict[str, dict[str, Any]]]


class FormError(ValueError):
    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(message)
        self.block_id = block_id
        self.message = message


def state_of(view: dict[str, Any]) -> State:
    values: State = view.get("state", {}).get("values", {})
    return values


def text(state: State, block_id: str) -> str:
    entry = state.get(block_id, {}).get(VALUE, {})
    selected = entry.get("selected_option")
    if selected:
        return str(selected.get("value", ""))
    return str(entry.get("value") or "").strip()


def number(state: State, block_id: str) -> float | None:
    raw = text(state, block_id)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise FormError(block_id, f"'{raw}' is not a number") from None


def chosen(state: State, block_id: str) -> list[str]:
    entry = state.get(block_id, {}).get(VALUE, {})
    return [str(o["value"]) for o in entry.get("selected_options") or []]


def step_request(view: dict[str, Any], actor: str, step: str) -> StepRequest:
    state = state_of(view)
    fields = {
        block_id.removeprefix(FIELD_PREFIX): text(state, block_id)
        for block_id in state
        if block_id.startswith(FIELD_PREFIX)
    }
    return StepRequest(
        actor=actor,
        step=step,
        fields=fields,
        offers_made=chosen(state, OFFERS_MADE),
        offers_accepted=chosen(state, OFFERS_ACCEPTED),
    )


def outcome_request(view: dict[str, Any], actor: str) -> OutcomeRequest:
    state = state_of(view)
    outcome = text(state, "outcome")
    if not outcome:
        raise FormError("outcome", "Choose an outcome")
    value_saved = number(state, "value_saved") or 0.0
    if value_saved < 0:
        raise FormError("value_saved", "Value saved cannot be negative")
    return OutcomeRequest(
        actor=actor,
        outcome=outcome,
        reason=text(state, "reason"),
        value_saved=value_saved,
        follow_up=text(state, "follow_up"),
        follow_up_due_days=number(state, "follow_up_due_days"),
    )


def reschedule_request(view: dict[str, Any], actor: str) -> RescheduleRequest:
    days = number(state_of(view), "days")
    if days is None or days <= 0:
        raise FormError("days", "Enter a number of days greater than 0")
    return RescheduleRequest(actor=actor, days=days)


def escalate_request(view: dict[str, Any], actor: str) -> EscalateRequest:
    return EscalateRequest(actor=actor, note=text(state_of(view), "note"))
