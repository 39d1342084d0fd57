"""Messages of the rescue workflow: its input, result, Updates, queries and task notices.

Shared by the workflow, its activities, the Slack endpoint, the CLI and the web outbox, so
every way a human acts on a rescue speaks the same frozen dataclasses. New fields only with
defaults (workflow histories hold these). Annotations are real types, not strings: the
payload converter resolves them on every decode, and a string annotation costs an eval.
"""

from dataclasses import dataclass, field

from workflows.rescue_plan import RescuePlan

# The four steps of the Chief Customer Officer rescue conversation, in order.
STEPS = ("initiate", "probe", "offer", "close")
OUTCOMES = ("rescued", "lost", "no_contact", "not_needed")


@dataclass(frozen=True)
class RescueInput:
    customer_id: int
    customer_external_id: str
    episode: int
    scenario: str  # "at_risk" | "lapsed" (+ segment picks the playbook scenario)
    segment: str
    value_per_year: float
    probability: float
    reasons: list[str] = field(default_factory=list)
    flag_id: int | None = None
    playbook: dict[str, object] = field(default_factory=dict)  # validated playbook, as data
    assignee: str | None = None  # team-member handle, resolved at start by an activity
    team: str | None = None
    # The playbook resolved for this customer (steps, allowed offers, timings) in dataclass
    # form: `playbook` above is typed dict[str, object], which the converter cannot decode.
    # Set only when the starter's playbook is not the one the worker is configured with;
    # otherwise the two fields below name the playbook and open_rescue_case resolves the
    # plan on the worker, and the plan is recorded in history with the case.
    plan: RescuePlan | None = None
    playbook_version: str = ""
    playbook_digest: str = ""  # playbooks.loader.playbook_digest of the starter's playbook


@dataclass(frozen=True)
class ClaimRequest:
    actor: str  # team-member handle


@dataclass(frozen=True)
class StepRequest:
    """A human logging one conversation step, with the step's fields from the playbook."""

    actor: str
    step: str  # one of STEPS
    fields: dict[str, str] = field(default_factory=dict)
    offers_made: list[str] = field(default_factory=list)
    offers_accepted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutcomeRequest:
    actor: str
    outcome: str  # one of OUTCOMES
    reason: str = ""
    value_saved: float = 0.0
    follow_up: str = ""  # promised follow-through, becomes a follow-up task
    follow_up_due_days: float | None = None
    lost_category_id: str | None = None  # optional category of why a "lost" customer left


@dataclass(frozen=True)
class RescheduleRequest:
    actor: str
    days: float


@dataclass(frozen=True)
class EscalateRequest:
    actor: str
    note: str = ""


@dataclass(frozen=True)
class RescueStatus:
    """What `status` queries and every Update return."""

    workflow_id: str
    current_step: str  # "unclaimed" | one of STEPS | "outcome" | "follow_up" | "closed"
    assignee: str | None
    escalated: bool
    outcome: str | None
    history: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RescueResult:
    outcome: str
    value_saved: float = 0.0
    reason: str = ""


# Names of the workflow's Updates and Queries, used by the Slack endpoint, CLI and web outbox.
UPDATE_CLAIM = "claim"
UPDATE_LOG_STEP = "log_step"
UPDATE_OUTCOME = "record_outcome"
UPDATE_RESCHEDULE = "reschedule"
UPDATE_ESCALATE = "escalate"
QUERY_STATUS = "status"
