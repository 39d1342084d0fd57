"""The playbook as one rescue sees it: steps, allowed offers and timings, resolved at start.

The worker resolves the validated playbook for a customer (scenario, segment override, offer
eligibility) in open_rescue_case, or a starter with a playbook of its own passes it in
RescueInput.plan; either way it is in the workflow's history, so a running rescue keeps the
playbook version it started with.
Pure code: safe inside the workflow sandbox. Annotations are real types, not strings (no
`from __future__ import annotations`): the payload converter resolves them on every decode,
and a string annotation costs an eval each time.
"""

from dataclasses import dataclass, field

from activities.task_notice import FieldSpec, OfferSpec


@dataclass(frozen=True)
class PlanStep:
    name: str
    script: str
    goal: str = ""
    fields: list[FieldSpec] = field(default_factory=list)


@dataclass(frozen=True)
class PlanTimings:
    """Seconds, measured from the last time someone moved the case on."""

    reminder_after: float
    escalate_after: float
    give_up_after: float
    follow_up_due: float


@dataclass(frozen=True)
class RescuePlan:
    version: str
    scenario: str
    steps: list[PlanStep]
    offers: list[OfferSpec]  # only the offers this customer is eligible for
    max_offers: int
    timings: PlanTimings
    team_channel: str | None = None
    assignment_strategy: str = "least_loaded"  # or "round_robin"
    prefer_owner: bool = True
    default_team: str | None = None

    def step(self, name: str) -> PlanStep:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"playbook {self.version} has no step {name!r}")

    def offer_ids(self) -> set[str]:
        return {offer.id for offer in self.offers}
