"""Modal views for acting on a rescue: log a step, record the outcome, reschedule, escalate.

Each input's block_id names the request field it fills (forms.py reads them back); the
modal's private_metadata carries the workflow id and where the task message lives.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from activities.slack_blocks import Block, clip, context, plain_text
from activities.slack_step_form import StepForm
from activities.task_notice import FieldSpec, OfferSpec
from workflows.rescue_messages import OUTCOMES

VIEW_LOG_STEP = "winback_log_step_view"
VIEW_OUTCOME = "winback_outcome_view"
VIEW_RESCHEDULE = "winback_reschedule_view"
VIEW_ESCALATE = "winback_escalate_view"

VALUE = "value"  # the action_id of every input's element
FIELD_PREFIX = "field:"
OFFERS_MADE = "offers_made"
OFFERS_ACCEPTED = "offers_accepted"
NOTES_FIELD = FieldSpec(name="notes", label="Notes", required=False, multiline=True)
TITLE_LIMIT = 24
LABEL_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
MAX_CHECKBOXES = 10


@dataclass(frozen=True)
class ModalMeta:
    """Where a modal came from, round-tripped through Slack as private_metadata."""

    workflow_id: str
    step: str = ""
    channel: str = ""
    message_ts: str = ""

    def encode(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> ModalMeta:
        data = json.loads(text or "{}")
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def option(label: str, value: str) -> Block:
    return {"text": plain_text(label, OPTION_TEXT_LIMIT), "value": value[:OPTION_VALUE_LIMIT]}


def input_block(block_id: str, label: str, element: Block, required: bool = True) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, LABEL_LIMIT),
        "optional": not required,
        "element": {**element, "action_id": VALUE},
    }


def text_element(multiline: bool = False) -> Block:
    return {"type": "plain_text_input", "multiline": multiline}


def select_element(choices: list[tuple[str, str]]) -> Block:
    return {"type": "static_select", "options": [option(label, v) for label, v in choices]}


def number_element(minimum: float = 0) -> Block:
    return {"type": "number_input", "is_decimal_allowed": True, "min_value": str(minimum)}


def field_block(spec: FieldSpec) -> Block:
    if spec.choices:
        element = select_element([(choice, choice) for choice in spec.choices])
    else:
        element = text_element(spec.multiline)
    return input_block(FIELD_PREFIX + spec.name, spec.label, element, spec.required)


def offers_block(block_id: str, label: str, offers: list[OfferSpec]) -> Block:
    element = {
        "type": "checkboxes",
        "options": [option(o.label, o.id) for o in offers[:MAX_CHECKBOXES]],
    }
    return input_block(block_id, label, element, required=False)


def modal(callback_id: str, title: str, meta: ModalMeta, blocks: list[Block]) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, TITLE_LIMIT),
        "submit": plain_text("Save", TITLE_LIMIT),
        "close": plain_text("Cancel", TITLE_LIMIT),
        "private_metadata": meta.encode(),
        "blocks": blocks,
    }


def log_step_modal(form: StepForm, meta: ModalMeta) -> Block:
    """One input per playbook field (free-text notes when the form is unknown), offers as
    checkboxes."""
    blocks: list[Block] = [context(f"Rescue `{form.workflow_id}` · step *{form.step}*")]
    blocks += [field_block(spec) for spec in form.fields or [NOTES_FIELD]]
    if form.offers:
        blocks.append(offers_block(OFFERS_MADE, "Offers made", form.offers))
        blocks.append(offers_block(OFFERS_ACCEPTED, "Offers accepted", form.offers))
    return modal(VIEW_LOG_STEP, clip(f"Log {form.step}", TITLE_LIMIT), meta, blocks)


def outcome_modal(meta: ModalMeta) -> Block:
    outcomes = [(outcome.replace("_", " ").capitalize(), outcome) for outcome in OUTCOMES]
    blocks = [
        input_block("outcome", "Outcome", select_element(outcomes)),
        input_block("reason", "Reason", text_element(multiline=True), required=False),
        input_block("value_saved", "Value saved per year ($)", number_element(), False),
        input_block("follow_up", "Follow-up you promised", text_element(), required=False),
        input_block("follow_up_due_days", "Follow-up due in (days)", number_element(), False),
    ]
    return modal(VIEW_OUTCOME, "Record outcome", meta, blocks)


def reschedule_modal(meta: ModalMeta) -> Block:
    blocks = [input_block("days", "Remind me again in (days)", number_element(0.01))]
    return modal(VIEW_RESCHEDULE, "Reschedule", meta, blocks)


def escalate_modal(meta: ModalMeta) -> Block:
    blocks = [input_block("note", "Why escalate?", text_element(multiline=True), False)]
    return modal(VIEW_ESCALATE, "Escalate", meta, blocks)


def error_block_id(view: dict[str, Any], message: str = "") -> str:
    """The input an error is about (the rescue quotes field names: 'first_words'), else the
    first input of the modal."""
    inputs = [str(b["block_id"]) for b in view.get("blocks", []) if b.get("type") == "input"]
    for block_id in inputs:
        if f"'{block_id.removeprefix(FIELD_PREFIX)}'" in message:
            return block_id
    return inputs[0] if inputs else "winback"
