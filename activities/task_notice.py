"""What a rescue task says to a person, independent of where it is delivered.

The rescue activities build a TaskNotice; the Slack transport renders it as Block Kit, the
local outbox stores it for the dashboard and CLI. Plain frozen dataclasses (they cross the
activity boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldSpec:
    """One input a step asks for (from the playbook)."""

    name: str
    label: str
    required: bool = True
    multiline: bool = False
    choices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OfferSpec:
    id: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class TaskNotice:
    message_key: str  # stable per workflow + kind + step: a retried post updates, never duplicates
    workflow_id: str
    case_id: int
    kind: str  # "task" | "reminder" | "escalation" | "follow_up" | "closed"
    step: str  # "claim" | one of STEPS | "outcome" | "follow_up" | "closed"
    customer_name: str
    customer_external_id: str
    segment: str
    value_per_year: float
    value_at_risk: float
    probability: float
    reasons: list[str] = field(default_factory=list)
    recent_complaints: list[str] = field(default_factory=list)  # redacted texts
    script: str = ""
    fields: list[FieldSpec] = field(default_factory=list)
    offers: list[OfferSpec] = field(default_factory=list)
    recipient_handle: str | None = None
    recipient_slack_id: str | None = None
    team: str | None = None
    team_channel: str | None = None
    parent_key: str | None = None  # reminders/escalations thread under this task message
    headline: str = ""  # one-line summary used as the notification text
    dashboard_url: str = ""
