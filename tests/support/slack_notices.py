"""A realistic TaskNotice for Slack tests, with any field changed by keyword."""

from __future__ import annotations

from dataclasses import replace

from activities.task_notice import FieldSpec, OfferSpec, TaskNotice

SAMPLE = TaskNotice(
    message_key="rescue-cust-42-1:task",
    workflow_id="rescue-cust-42-1",
    case_id=7,
    kind="task",
    step="probe",
    customer_name="Acme <Corp> & Sons",
    customer_external_id="cust-42",
    segment="enterprise",
    value_per_year=120_000.0,
    value_at_risk=84_000.0,
    probability=0.7,
    reasons=["Orders down 60% vs last quarter", "3 complaints about delivery"],
    recent_complaints=["Parcel arrived <late> again", "Refund still missing", "x", "y"],
    script="Ask what changed for them since the last order.",
    fields=[
        FieldSpec("root_cause", "What is the real reason?", multiline=True),
        FieldSpec("sentiment", "How did they sound?", choices=["angry", "neutral", "warm"]),
        FieldSpec("next_contact", "Next contact", required=False),
    ],
    offers=[OfferSpec("discount10", "10% off next order", "for 3 months")],
    recipient_handle="dana",
    recipient_slack_id="U0DANA",
    headline="Probe Acme: why did orders drop?",
    dashboard_url="http://127.0.0.1:8000/rescues/rescue-cust-42-1",
)


def sample_notice(**changes: object) -> TaskNotice:
    return replace(SAMPLE, **changes)  # type: ignore[arg-type]
