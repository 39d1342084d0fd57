"""The rescue workflow's state and how each accepted Update changes it (pure, deterministic).

Handlers change state here and queue audit lines and notices; the workflow's main loop
writes them through activities in order, so an Update never races another for the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from activities.rescue_store import AuditEntry, CaseContext
from workflows.rescue_messages import (
    STEPS,
    OutcomeRequest,
    RescheduleRequest,
    RescueInput,
    StepRequest,
)
from workflows.rescue_plan import RescuePlan

VERBATIM_FIELD = "verbatim"  # the probe step's field that holds the customer's own words


@dataclass
class QueuedNotice:
    kind: str
    step: str
    recipient: str | None
    key: str
    note: str = ""


@dataclass
class RescueState:
    workflow_id: str = ""
    inp: RescueInput | None = None
    plan: RescuePlan | None = None
    case: CaseContext | None = None
    assignee: str | None = None
    claimed: bool = False
    logged: list[str] = field(default_factory=list)
    escalated: bool = False
    outcome: OutcomeRequest | None = None
    value_saved: float = 0.0
    follow_up_due: datetime | None = None
    follow_up_done: bool = False
    closed: bool = False
    history: list[str] = field(default_factory=list)
    pending: list[AuditEntry] = field(default_factory=list)
    notices: list[QueuedNotice] = field(default_factory=list)
    posted_step: str = ""
    seq: int = 0
    progress: int = 0
    last_moved: datetime | None = None
    snoozed_until: datetime | None = None
    fired_this_period: set[str] = field(default_factory=set)

    def current_step(self) -> str:
        if self.closed:
            return "closed"
        if self.outcome is not None:
            waiting = self.follow_up_due is not None and not self.follow_up_done
            return "follow_up" if waiting else "closed"
        if not self.claimed:
            return "unclaimed"
        return STEPS[len(self.logged)] if len(self.logged) < len(STEPS) else "outcome"

    def lead(self) -> str | None:
        leads = self.case.lead_handles if self.case else []
        return next((h for h in leads if h != self.assignee), leads[0] if leads else None)

    # ---- timers

    def moved_on(self, now: datetime) -> None:
        self.progress += 1
        self.last_moved = now
        self.fired_this_period = set()

    def next_timer(self, follow_up: bool) -> tuple[datetime, str]:
        """When the next timer is due and which: reminder, escalation or give_up."""
        assert self.plan and self.last_moved
        t = self.plan.timings
        if follow_up:
            assert self.follow_up_due
            if "reminder" not in self.fired_this_period:
                return self.follow_up_due, "reminder"
            return self.follow_up_due + timedelta(seconds=t.give_up_after), "give_up"
        base = max(self.last_moved, self.snoozed_until or self.last_moved)
        timers = [(base + timedelta(seconds=t.give_up_after), "give_up")]
        if "escalation" not in self.fired_this_period:
            timers.append((base + timedelta(seconds=t.escalate_after), "escalation"))
        if "reminder" not in self.fired_this_period:
            timers.append((base + timedelta(seconds=t.reminder_after), "reminder"))
        return min(timers)

    def fired(self, kind: str) -> None:
        self.fired_this_period.add(kind)
        if kind == "escalation":
            self.escalated = True

    # ---- accepted Updates

    def claim(self, actor: str, now: datetime) -> None:
        self.claimed = True
        self.assignee = actor
        self.moved_on(now)
        self.audit("claimed", "claim", actor, now, {})

    def log_step(self, req: StepRequest, now: datetime) -> None:
        if req.step == "follow_up":
            self.follow_up_done = True
            self.moved_on(now)
            self.audit("follow_up_done", "follow_up", req.actor, now, dict(req.fields))
            return
        self.logged.append(req.step)
        self.moved_on(now)
        data: dict[str, Any] = {"fields": dict(req.fields)}
        if req.step == "offer":
            data["offers_made"] = list(req.offers_made)
            data["offers_accepted"] = list(req.offers_accepted)
            data["offers_declined"] = [o for o in req.offers_made if o not in req.offers_accepted]
        verbatim = req.fields.get(VERBATIM_FIELD) if req.step == "probe" else None
        self.audit(
            "step_logged",
            req.step,
            req.actor,
            now,
            data,
            first_contact=req.step == "initiate",
            feedback=(f"{self.workflow_id}:probe", verbatim) if verbatim else None,
        )

    def record_outcome(self, req: OutcomeRequest, now: datetime) -> None:
        assert self.plan and self.inp
        saved = req.value_saved or (self.inp.value_per_year if req.outcome == "rescued" else 0.0)
        self.outcome, self.value_saved = req, saved
        if req.follow_up.strip():
            days = req.follow_up_due_days
            seconds = days * 86400 if days is not None else self.plan.timings.follow_up_due
            self.follow_up_due = now + timedelta(seconds=seconds)
        self.moved_on(now)
        lost = req.outcome == "lost" and bool(req.reason.strip())
        self.audit(
            "outcome",
            req.outcome,
            req.actor,
            now,
            {
                "reason": req.reason,
                "follow_up": req.follow_up,
                "follow_up_due": self.follow_up_due.isoformat() if self.follow_up_due else "",
            },
            status=req.outcome,
            reason=req.reason or None,
            value_saved=saved,
            lost_category_id=req.lost_category_id,
            feedback=(f"{self.workflow_id}:lost", req.reason) if lost else None,
        )

    def reschedule(self, req: RescheduleRequest, now: datetime) -> None:
        self.snoozed_until = now + timedelta(days=req.days)
        self.moved_on(now)
        self.audit(
            "rescheduled",
            self.current_step(),
            req.actor,
            now,
            {"until": self.snoozed_until.isoformat()},
        )

    def escalate(self, actor: str, note: str, now: datetime) -> None:
        self.escalated = True
        step = self.current_step()
        self.audit("escalation", step, actor, now, {"note": note}, escalated=True)
        self.notices.append(
            QueuedNotice(
                "escalation",
                step,
                self.lead() or self.assignee,
                f"{self.workflow_id}:escalation:{step}:manual{self.seq}",
                f"Escalated by {actor}. {note}".strip(),
            )
        )

    # ---- audit

    def audit(
        self,
        kind: str,
        step: str | None,
        actor: str | None,
        now: datetime,
        data: dict[str, Any],
        *,
        first_contact: bool = False,
        escalated: bool = False,
        status: str | None = None,
        reason: str | None = None,
        value_saved: float = 0.0,
        lost_category_id: str | None = None,
        feedback: tuple[str, str] | None = None,
    ) -> None:
        """Queue one audit line with a key fixed by its place in the workflow's history."""
        assert self.case and self.inp
        self.seq += 1
        self.history.append(f"{now.isoformat(timespec='seconds')} {actor} {kind} {step or ''}")
        self.pending.append(
            AuditEntry(
                case_id=self.case.case_id,
                customer_id=self.inp.customer_id,
                event_key=f"{self.workflow_id}:{self.seq:04d}:{kind}",
                kind=kind,
                at=now,
                step=step,
                actor=actor,
                data=data,
                current_step=self.current_step(),
                assignee=self.assignee,
                escalated=escalated,
                first_contact=first_contact,
                status=status,
                outcome_reason=reason,
                lost_category_id=lost_category_id,
                value_saved=value_saved,
                feedback_key=feedback[0] if feedback else None,
                feedback_text=feedback[1] if feedback else None,
            )
        )
