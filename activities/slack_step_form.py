"""The form of one rescue step, carried in the task message's "Log step" button.

The button value is the one place Slack hands back to us when the person clicks, so it
carries the workflow id plus the step's fields and offers (from the playbook, via the
TaskNotice). The endpoint decodes and validates it at the edge, then confirms the step is
still current by querying the workflow before opening the modal.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from activities.task_notice import FieldSpec, OfferSpec, TaskNotice

BUTTON_VALUE_LIMIT = 2000  # Slack's limit on a button's value


@dataclass(frozen=True)
class StepForm:
    workflow_id: str
    step: str
    fields: list[FieldSpec] = field(default_factory=list)
    offers: list[OfferSpec] = field(default_factory=list)


class StepFormError(ValueError):
    """A button value that is not a step form we wrote."""


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def encode_step_form(notice: TaskNotice) -> str:
    """The notice's form as compact JSON within Slack's 2000-character limit.

    Drops offer descriptions, then the form itself, when the playbook's form is too large:
    without fields the modal falls back to one free-text notes field.
    """
    offers = [{"id": o.id, "label": o.label} for o in notice.offers]
    full = {
        "workflow_id": notice.workflow_id,
        "step": notice.step,
        "fields": [asdict(f) for f in notice.fields],
        "offers": offers,
    }
    text = _dumps(full)
    if len(text) <= BUTTON_VALUE_LIMIT:
        return text
    return _dumps({"workflow_id": notice.workflow_id, "step": notice.step})


def decode_step_form(value: str) -> StepForm:
    """The form from a button value, or StepFormError naming what is wrong."""
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise StepFormError(f"log-step button value is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise StepFormError("log-step button value is not a JSON object")
    try:
        return StepForm(
            workflow_id=str(data["workflow_id"]),
            step=str(data["step"]),
            fields=[FieldSpec(**f) for f in data.get("fields", [])],
            offers=[OfferSpec(**o) for o in data.get("offers", [])],
        )
    except (KeyError, TypeError) as exc:
        raise StepFormError(f"log-step button value lacks a valid field: {exc}") from exc
