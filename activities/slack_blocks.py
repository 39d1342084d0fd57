"""Block Kit for rescue tasks: the task message, its closed variant and thread replies.

Small pure functions from a TaskNotice to Slack's JSON, so the transport, the endpoint and
the tests share one rendering. Every text is clipped to Slack's limits (a too-long section
makes Slack refuse the whole message with invalid_blocks).
"""

from __future__ import annotations

from typing import Any

from activities.slack_step_form import encode_step_form
from activities.task_notice import TaskNotice
from winback.money import money
from workflows.rescue_messages import STEPS

Block = dict[str, Any]

# Slack's documented limits (https://api.slack.com/reference/block-kit/blocks).
SECTION_TEXT_LIMIT = 3000
SECTION_FIELD_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
CONTEXT_TEXT_LIMIT = 2000
NOTIFICATION_TEXT_LIMIT = 4000
MAX_COMPLAINTS_SHOWN = 3
ELLIPSIS = "…"

# Action ids the interactivity endpoint listens for; every button's value names the workflow.
ACTION_CLAIM = "winback_claim"
ACTION_LOG_STEP = "winback_log_step"
ACTION_RESCHEDULE = "winback_reschedule"
ACTION_ESCALATE = "winback_escalate"
ACTION_OUTCOME = "winback_outcome"
ACTION_OPEN_DASHBOARD = "winback_open_dashboard"


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters escaped, so customer text cannot inject links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> Block:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, HEADER_TEXT_LIMIT)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_LIMIT)]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": plain_text(label, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def notification_text(notice: TaskNotice) -> str:
    """The plain fallback Slack shows in notifications and screen readers."""
    default = f"{notice.kind.replace('_', ' ').title()}: {notice.customer_name} ({notice.step})"
    return clip(notice.headline or default, NOTIFICATION_TEXT_LIMIT)


def title_line(notice: TaskNotice) -> str:
    step = notice.step.replace("_", " ")
    return f"{notice.customer_name} · {step}"


def who_and_value(notice: TaskNotice) -> Block:
    """Who the customer is and what is at stake, as a two-column section."""
    fields = [
        f"*Customer*\n{escape_mrkdwn(notice.customer_name)} ({escape_mrkdwn(notice.segment)})",
        f"*Value at risk*\n{money(notice.value_at_risk)} of {money(notice.value_per_year)}/yr",
        f"*Probability*\n{notice.probability:.0%}",
        f"*Owner*\n{escape_mrkdwn(notice.recipient_handle or notice.team or 'unassigned')}",
    ]
    return {"type": "section", "fields": [mrkdwn(f, SECTION_FIELD_LIMIT) for f in fields]}


def bullet_section(title: str, items: list[str]) -> Block:
    lines = "\n".join(f"• {escape_mrkdwn(item)}" for item in items)
    return section(f"*{title}*\n{lines}")


def offers_section(notice: TaskNotice) -> Block:
    lines = [
        f"{offer.label} ({offer.id})" + (f": {offer.description}" if offer.description else "")
        for offer in notice.offers
    ]
    return bullet_section("Offers you may make", lines)


def task_buttons(notice: TaskNotice) -> Block:
    """The actions that make sense for the notice's step."""
    wf = notice.workflow_id
    elements: list[Block] = []
    if notice.step in ("claim", "unclaimed"):
        elements.append(button("Claim", ACTION_CLAIM, wf, "primary"))
    if notice.step in STEPS:
        elements.append(button("Log step", ACTION_LOG_STEP, encode_step_form(notice), "primary"))
    if notice.step == "follow_up":  # the workflow takes the follow-up as a logged step
        elements.append(button("Follow-up done", ACTION_LOG_STEP, encode_step_form(notice)))
    if notice.step in STEPS or notice.step == "outcome":
        elements.append(button("Outcome", ACTION_OUTCOME, wf))
    elements.append(button("Reschedule", ACTION_RESCHEDULE, wf))
    elements.append(button("Escalate", ACTION_ESCALATE, wf, "danger"))
    if notice.dashboard_url:
        dashboard = button("Open in dashboard", ACTION_OPEN_DASHBOARD, wf)
        dashboard["url"] = notice.dashboard_url
        elements.append(dashboard)
    return {"type": "actions", "block_id": "winback_task_actions", "elements": elements}


def summary_blocks(notice: TaskNotice) -> list[Block]:
    """What every variant of the task message shows: who, why, value, complaints."""
    blocks: list[Block] = [header(title_line(notice)), who_and_value(notice)]
    if notice.reasons:
        blocks.append(bullet_section("Why flagged", notice.reasons))
    if notice.recent_complaints:
        blocks.append(
            bullet_section("Recent complaints", notice.recent_complaints[:MAX_COMPLAINTS_SHOWN])
        )
    return blocks


def task_blocks(notice: TaskNotice) -> list[Block]:
    """The open task: summary, the step's script and offers, and the action buttons."""
    blocks = summary_blocks(notice)
    if notice.script:
        blocks.append(section(f"*Script for {notice.step}*\n{escape_mrkdwn(notice.script)}"))
    if notice.offers:
        blocks.append(offers_section(notice))
    blocks.append(context(f"Case {notice.case_id} · workflow `{notice.workflow_id}`"))
    blocks.append(task_buttons(notice))
    return blocks


def closed_blocks(notice: TaskNotice) -> list[Block]:
    """The task after it is done: the same summary with the result and no buttons."""
    blocks = summary_blocks(notice)
    result = notice.headline or f"Closed at step {notice.step}"
    blocks.append(section(f":white_check_mark: *{escape_mrkdwn(result)}*"))
    blocks.append(context(f"Case {notice.case_id} · workflow `{notice.workflow_id}`"))
    return blocks


def message_blocks(notice: TaskNotice) -> list[Block]:
    """The blocks for a top-level task message of any kind."""
    return closed_blocks(notice) if notice.kind == "closed" else task_blocks(notice)


def thread_text(notice: TaskNotice) -> str:
    """A reminder or escalation reply under the task message."""
    who = f"<@{notice.recipient_slack_id}>" if notice.recipient_slack_id else ""
    owner = who or escape_mrkdwn(notice.recipient_handle or notice.team or "the team")
    step = notice.step.replace("_", " ")
    customer = escape_mrkdwn(notice.customer_name)
    if notice.kind == "escalation":
        text = f":rotating_light: Escalated to {owner}: {customer} is still waiting at {step}."
    elif notice.kind == "reminder":
        text = f":alarm_clock: Reminder for {owner}: {customer} is waiting at {step}."
    elif notice.kind == "follow_up":
        text = f":pushpin: Follow-up for {owner}: {customer}."
    else:
        text = f"{owner}: {customer} · {step}."
    if notice.headline:
        text += f" {escape_mrkdwn(notice.headline)}"
    return clip(text, SECTION_TEXT_LIMIT)


def thread_blocks(notice: TaskNotice) -> list[Block]:
    return [section(thread_text(notice))]
