"""Block Kit builders: structure within Slack's limits, the right buttons, modals per step."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from activities.slack_blocks import (
    ACTION_CLAIM,
    ACTION_LOG_STEP,
    ACTION_OUTCOME,
    HEADER_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    clip,
    closed_blocks,
    message_blocks,
    notification_text,
    task_blocks,
    thread_text,
)
from activities.slack_step_form import StepFormError, decode_step_form, encode_step_form
from activities.task_notice import FieldSpec
from tests.support.slack_block_rules import block_problems, view_problems
from tests.support.slack_notices import sample_notice
from web.slack.forms import FormError, outcome_request, reschedule_request, step_request
from web.slack.modals import (
    ModalMeta,
    escalate_modal,
    log_step_modal,
    outcome_modal,
    reschedule_modal,
)

notice = sample_notice


def action_ids(blocks: list[dict[str, object]]) -> list[str]:
    actions = [b for b in blocks if b["type"] == "actions"]
    return [e["action_id"] for b in actions for e in b["elements"]]  # type: ignore[attr-defined,index]


def test_task_message_is_valid_block_kit_with_all_parts() -> None:
    blocks = task_blocks(notice())
    assert block_problems(blocks) == []
    text = json.dumps(blocks)
    for part in (
        "Orders down 60%",
        "Refund still missing",
        "$84,000",
        "70%",
        "enterprise",
        "Ask what changed",
        "10% off next order",
    ):
        assert part in text
    assert "Acme &lt;Corp&gt; &amp; Sons" in text  # customer text cannot inject mrkdwn links
    assert '"y"' not in text and "• y" not in text  # only the 3 most recent complaints


def test_buttons_follow_the_step_and_carry_the_workflow_id() -> None:
    assert action_ids(task_blocks(notice(step="claim")))[:1] == [ACTION_CLAIM]
    probe = task_blocks(notice())
    assert ACTION_CLAIM not in action_ids(probe)
    assert {ACTION_LOG_STEP, ACTION_OUTCOME} <= set(action_ids(probe))
    buttons = [e for b in probe if b["type"] == "actions" for e in b["elements"]]
    for element in buttons:
        assert "rescue-cust-42-1" in element["value"]
    log_step = next(e for e in buttons if e["action_id"] == ACTION_LOG_STEP)
    form = decode_step_form(log_step["value"])
    assert form.step == "probe" and [f.name for f in form.fields][0] == "root_cause"
    assert form.offers[0].id == "discount10"


def test_long_texts_are_clipped_to_slack_limits() -> None:
    huge = notice(
        customer_name="N" * 400,
        script="s" * 10_000,
        reasons=["r" * 5000],
        headline="h" * 9000,
    )
    blocks = task_blocks(huge)
    assert block_problems(blocks) == []
    assert len(blocks[0]["text"]["text"]) == HEADER_TEXT_LIMIT
    assert blocks[0]["text"]["text"].endswith("…")
    assert all(len(b["text"]["text"]) <= SECTION_TEXT_LIMIT for b in blocks if "text" in b)
    assert len(notification_text(huge)) == 4000
    assert clip("abc", 3) == "abc" and clip("abcd", 3) == "ab…"


def test_oversized_form_falls_back_to_workflow_and_step() -> None:
    many = [FieldSpec(f"f{i}", "label " * 20, choices=["a" * 30] * 5) for i in range(20)]
    value = encode_step_form(notice(fields=many))
    assert len(value) <= 2000
    assert decode_step_form(value).fields == []
    with pytest.raises(StepFormError, match="not JSON"):
        decode_step_form("rescue-cust-42-1")
    with pytest.raises(StepFormError, match="lacks"):
        decode_step_form('{"step": "probe"}')


def test_closed_and_thread_variants() -> None:
    closed = closed_blocks(notice(kind="closed", headline="Rescued: 10% discount accepted"))
    assert block_problems(closed) == [] and action_ids(closed) == []
    assert message_blocks(notice(kind="closed")) == closed_blocks(notice(kind="closed"))
    assert "Rescued: 10% discount accepted" in json.dumps(closed)
    reminder = thread_text(notice(kind="reminder"))
    escalation = thread_text(notice(kind="escalation", recipient_slack_id="U0LEAD"))
    assert reminder.startswith(":alarm_clock:") and "<@U0DANA>" in reminder
    assert escalation.startswith(":rotating_light:") and "<@U0LEAD>" in escalation


def test_modals_are_valid_and_have_one_input_per_field() -> None:
    meta = ModalMeta("rescue-cust-42-1", "probe", "D0DANA", "1.2")
    form = decode_step_form(encode_step_form(notice()))
    log_step = log_step_modal(form, meta)
    assert view_problems(log_step) == []
    inputs = [b["block_id"] for b in log_step["blocks"] if b["type"] == "input"]
    assert inputs == [
        "field:root_cause",
        "field:sentiment",
        "field:next_contact",
        "offers_made",
        "offers_accepted",
    ]
    assert ModalMeta.decode(log_step["private_metadata"]) == meta
    for view in (outcome_modal(meta), reschedule_modal(meta), escalate_modal(meta)):
        assert view_problems(view) == []
    bare = log_step_modal(replace(form, fields=[], offers=[]), meta)
    assert [b["block_id"] for b in bare["blocks"] if b["type"] == "input"] == ["field:notes"]


def test_submitted_modals_read_back_into_requests() -> None:
    values = {
        "field:root_cause": {"value": {"type": "plain_text_input", "value": " price "}},
        "field:sentiment": {
            "value": {"type": "static_select", "selected_option": {"value": "warm"}}
        },
        "offers_made": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "discount10"}]}
        },
    }
    request = step_request({"state": {"values": values}}, "dana", "probe")
    assert request.fields == {"root_cause": "price", "sentiment": "warm"}
    assert request.offers_made == ["discount10"] and request.offers_accepted == []

    outcome = {
        "outcome": {"value": {"selected_option": {"value": "rescued"}}},
        "value_saved": {"value": {"value": "1500.5"}},
    }
    assert outcome_request({"state": {"values": outcome}}, "dana").value_saved == 1500.5
    with pytest.raises(FormError) as missing:
        outcome_request({"state": {"values": {}}}, "dana")
    assert missing.value.block_id == "outcome"
    with pytest.raises(FormError, match="greater than 0"):
        reschedule_request({"state": {"values": {"days": {"value": {"value": "0"}}}}}, "dana")
