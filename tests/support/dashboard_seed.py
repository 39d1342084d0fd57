"""A small, realistic Customer Room dataset written straight through the store models.

Dates are relative to `today` so every page's default window shows them. Deterministic
(seeded RNG), so tests can also recompute every number with their own SQL.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from activities.task_notice import FieldSpec, OfferSpec, TaskNotice
from classifiers.text import train_category_model
from classifiers.text.data import read_labelled_csv
from playbooks.taxonomy import load_taxonomy
from store.models import (
    Category,
    CategoryDaily,
    Customer,
    FeedbackItem,
    Flag,
    JourneyStage,
    ModelVersion,
    RescueCase,
    RescueEvent,
    SpikeAlert,
    TaskMessage,
    TeamMember,
)

BANKING77 = Path(__file__).parents[2] / "winback" / "sample_data" / "banking77" / "train.csv"
STAGES = [
    ("onboard", "Getting started", "Welcome", 1),
    ("billing", "Paying", "Bills", 2),
    ("support", "Getting help", "Help desk", 3),
]
CATEGORIES = [
    ("setup_hard", "onboard", "Setup is hard"),
    ("late_card", "onboard", "Card arrived late"),
    ("double_charge", "billing", "Charged twice"),
    ("fees", "billing", "Unexpected fees"),
    ("slow_reply", "support", "Slow replies"),
    ("rude_agent", "support", "Rude agent"),
]
TEAMS = ("north", "south")
SEGMENTS = ("smb", "enterprise")
MEMBERS = (("ana", "north"), ("bo", "south"))
STEP_FIELDS = {
    "initiate": [("what_happened", "What happened, in their words", True)],
    "probe": [
        ("verbatim", "Customer's words", True),
        ("repeat_back", "Repeat-back confirmed", True),
    ],
    "offer": [("options", "Options discussed", True)],
    "close": [("next_steps", "Next steps", False)],
}


@dataclass(frozen=True)
class Seeded:
    today: date
    customers: int
    open_task_ids: dict[str, list[int]]  # handle -> open TaskMessage ids


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def task_notice_blocks(
    case: RescueCase, customer: Customer, step: str, handle: str
) -> list[object]:
    """What the rescue delivery activity stores on an outbox row: the TaskNotice itself."""
    notice = TaskNotice(
        message_key=f"{case.workflow_id}:task",
        workflow_id=case.workflow_id,
        case_id=case.id,
        kind="task",
        step=step,
        customer_name=customer.name,
        customer_external_id=customer.external_id,
        segment=customer.segment,
        value_per_year=customer.value_per_year,
        value_at_risk=case.value_at_risk,
        probability=0.7,
        reasons=["usage down 60%"],
        recent_complaints=["Charged twice [CARD]"],
        script=f"Script for {step}: listen first.",
        fields=[
            FieldSpec(n, label, required=r, multiline=n == "verbatim")
            for n, label, r in STEP_FIELDS.get(step, [])
        ],
        offers=[OfferSpec("fee_waiver", "Waive next month's fee")] if step == "offer" else [],
        recipient_handle=handle,
        team=customer.team,
        headline=f"Rescue {customer.name}: {step}",
    )
    return [asdict(notice)]


def seed_dashboard(
    sessions: sessionmaker[Session], today: date | None = None, model_dir: Path | None = None
) -> Seeded:
    today = today or datetime.now(UTC).date()
    rng = random.Random(7)
    open_tasks: dict[str, list[int]] = {h: [] for h, _ in MEMBERS}
    with sessions() as s:
        for sid, name, alias, pos in STAGES:
            s.add(
                JourneyStage(
                    id=sid, name=name, company_alias=alias, position=pos, taxonomy_version="t1"
                )
            )
        s.flush()
        for cid, sid, name in CATEGORIES:
            s.add(Category(id=cid, stage_id=sid, name=name, taxonomy_version="t1"))
        for handle, team in MEMBERS:
            s.add(TeamMember(handle=handle, name=handle.title(), team=team, role="member"))
        customers = []
        for i in range(60):
            start = today - timedelta(days=rng.randint(0, 240))
            status = "active"
            changed = None
            if i % 4 == 0:
                status = ("cancelled", "non_renewed", "lost")[i % 3]
                changed = min(today, start + timedelta(days=rng.randint(1, 120)))
            customers.append(
                Customer(
                    external_id=f"C{i:03d}",
                    name=f"Customer {i:03d}",
                    segment=SEGMENTS[i % 2],
                    team=TEAMS[(i // 2) % 2],
                    owner=MEMBERS[(i // 2) % 2][0],
                    value_per_year=float(500 + 250 * (i % 9)),
                    start_date=start,
                    status=status,
                    status_changed_on=changed,
                )
            )
        s.add_all(customers)
        s.flush()
        _seed_rescues(s, customers, today, rng, open_tasks)
        _seed_listening(s, customers, today, rng)
        _seed_models(s, model_dir)
        s.commit()
    return Seeded(today=today, customers=len(customers), open_task_ids=open_tasks)


def _seed_rescues(
    s: Session,
    customers: list[Customer],
    today: date,
    rng: random.Random,
    open_tasks: dict[str, list[int]],
) -> None:
    # Interleaved so every window (30/90 days) holds some of each outcome.
    plan = (
        "open lost rescued open lost open rescued lost open no_contact "
        "open rescued lost open rescued lost open no_contact rescued open"
    ).split()
    lost_cats = ["double_charge", "fees", "double_charge", "slow_reply", None]
    for n, status in enumerate(plan):
        customer = customers[n * 3 % len(customers)]
        opened = _at(today - timedelta(days=2 + n * 3), 9)
        flag = Flag(
            customer_id=customer.id,
            scan_id=f"scan-{n}",
            scanned_at=opened,
            kind="lapsed" if n % 3 else "at_risk",
            probability=0.5 + n / 50,
            value_at_risk=customer.value_per_year,
            detector="seed",
            reasons=["usage down 60%", "failed payment"][: 1 + n % 2],
            status="started",
        )
        s.add(flag)
        s.flush()
        handle = customer.owner or "ana"
        reached = (
            ["initiate", "probe", "offer", "close"][: (n % 5)] if status != "no_contact" else []
        )
        case = RescueCase(
            workflow_id=f"rescue-{customer.external_id}-1",
            customer_id=customer.id,
            scenario=flag.kind,
            playbook_version="p1",
            flag_id=flag.id,
            team=customer.team,
            assignee=handle if (n % 5) else None,
            status=status,
            escalated=n in (3, 8),
            current_step=reached[-1] if reached else "unclaimed",
            opened_at=opened,
            value_at_risk=customer.value_per_year,
            value_saved=customer.value_per_year if status == "rescued" else 0.0,
            first_contact_at=opened + timedelta(hours=4 + n) if reached else None,
            closed_at=opened + timedelta(days=1) if status != "open" else None,
            lost_category_id=lost_cats[n % 5] if status == "lost" else None,
            outcome_reason="too expensive" if status == "lost" else None,
        )
        s.add(case)
        s.flush()
        if n % 5:
            s.add(
                RescueEvent(
                    case_id=case.id,
                    event_key=f"{case.workflow_id}:claim",
                    kind="claimed",
                    step="claim",
                    actor=handle,
                    at=opened + timedelta(hours=1),
                )
            )
        for k, step in enumerate(reached):
            s.add(
                RescueEvent(
                    case_id=case.id,
                    event_key=f"{case.workflow_id}:{step}",
                    kind="step_logged",
                    step=step,
                    actor=handle,
                    at=opened + timedelta(hours=4 + n + k),
                    data={"notes": f"{step} done"},
                )
            )
        if status == "open":
            next_step = (
                "unclaimed"
                if not case.assignee
                else (
                    ["initiate", "probe", "offer", "close"][len(reached)]
                    if len(reached) < 4
                    else "close"
                )
            )
            message = TaskMessage(
                message_key=f"{case.workflow_id}:task",
                case_id=case.id,
                transport="outbox",
                recipient=handle,
                kind="task",
                step=next_step,
                text=f"Rescue {customer.name}: {next_step}",
                blocks=task_notice_blocks(case, customer, next_step, handle),
            )
            s.add(message)
            s.flush()
            open_tasks[handle].append(message.id)
    s.flush()


def _seed_listening(s: Session, customers: list[Customer], today: date, rng: random.Random) -> None:
    weights = {
        "setup_hard": 2,
        "late_card": 1,
        "double_charge": 4,
        "fees": 2,
        "slow_reply": 3,
        "rude_agent": 1,
    }
    stage_of = {cid: sid for cid, sid, _ in CATEGORIES}
    for back in range(40):
        day = today - timedelta(days=back)
        for cid, weight in weights.items():
            s.add(
                CategoryDaily(
                    day=day,
                    category_id=cid,
                    stage_id=stage_of[cid],
                    count=weight * (1 + rng.randint(0, 3))
                    + (9 if cid == "fees" and back < 3 else 0),
                )
            )
    s.add(
        SpikeAlert(
            category_id="fees",
            window_end=today - timedelta(days=1),
            observed=30,
            expected=8.5,
            score=4.2,
        )
    )
    s.add(
        SpikeAlert(
            category_id="setup_hard",
            window_end=today - timedelta(days=40),
            observed=9,
            expected=3.0,
            score=3.1,
        )
    )  # old: not current
    for i in range(36):
        cid = list(weights)[i % 6]
        customer = (
            customers[(i * 3) % len(customers)] if i % 2 == 0 else customers[(i * 7 + 1) % 60]
        )
        s.add(
            FeedbackItem(
                external_id=f"F{i:03d}",
                source=("complaint", "survey", "ticket")[i % 3],
                text=f"About {cid.replace('_', ' ')}: please call me at [PHONE] ({i})",
                occurred_at=_at(today - timedelta(days=i % 20), 8 + i % 9),
                customer_id=customer.id,
                category_id=cid,
                stage_id=stage_of[cid],
                confidence=0.3 + (i % 7) / 10,
                model_version="v1",
                classified_at=_at(today),
                needs_review=(i % 7) < 2,
            )
        )


def _seed_models(s: Session, model_dir: Path | None) -> None:
    """Category v1 live and v2 candidate, both the real model at model_dir with its real card."""
    card = json.loads((model_dir / "model_card.json").read_text()) if model_dir else {}
    path = str(model_dir or "models/category/missing")
    s.add(
        ModelVersion(
            kind="category",
            version="v1",
            path=path,
            status="live",
            card=card,
            promoted_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
    )
    s.add(ModelVersion(kind="category", version="v2", path=path, status="candidate", card=card))
    s.add(
        ModelVersion(
            kind="risk",
            version="r1",
            path="models/risk/r1",
            status="live",
            card={"roc_auc": 0.845},
            promoted_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
    )


def train_small_model(workdir: Path, intents: int = 8, per_intent: int = 12) -> Path:
    """A real (tiny) category model trained on a BANKING77 slice from the repo, saved."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    with BANKING77.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row["text"])
    data = workdir / "train.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        for intent in sorted(by_intent)[:intents]:
            writer.writerows([text, intent] for text in by_intent[intent][:per_intent])
    rows = read_labelled_csv(data, "text", "category", preset="banking77")
    model = train_category_model(rows.texts, rows.labels, load_taxonomy())
    return model.save(workdir / "model")
