"""Reading playbook YAML into the validated schema, and resolving it for one customer.

Errors name the file and the YAML path (e.g. `scenarios.at_risk.timings.give_up_after`), so
`winback playbook validate` points at the line to fix.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from activities.task_notice import FieldSpec, OfferSpec
from playbooks.schema import STEP_NAMES, OfferModel, Playbook
from workflows.rescue_plan import PlanStep, PlanTimings, RescuePlan

DEFAULT_PLAYBOOK = Path(__file__).parent / "default.yaml"


class PlaybookError(ValueError):
    """A playbook that cannot be used; `problems` holds one line per error with its YAML path."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _yaml_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item.startswith(("function-", "literal[")):
            continue  # pydantic's internal validator names, not YAML keys
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


def load_playbook(path: Path | None = None) -> Playbook:
    """The validated playbook at `path` (default: the shipped one)."""
    path = path or DEFAULT_PLAYBOOK
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlaybookError(path, [f"cannot read: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        raise PlaybookError(path, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise PlaybookError(path, ["(top level): expected a mapping of playbook keys"])
    try:
        return Playbook.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{_yaml_path(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise PlaybookError(path, problems) from exc


def current_playbook(path: Path | None) -> Playbook:
    """The validated playbook at `path`, parsed once per version of the file: starters are
    built per API or CLI call and the worker reads it per rescue, so neither pays for YAML
    parsing and validation again until the file changes."""
    file = path or DEFAULT_PLAYBOOK
    try:
        stat = file.stat()
    except OSError:
        return load_playbook(file)  # its error names the file
    return _parsed_playbook(file.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parsed_playbook(path: Path, _mtime_ns: int, _size: int) -> Playbook:
    return load_playbook(path)


def playbook_digest(playbook: Playbook) -> str:
    """A fingerprint of the playbook's content. Starter and worker resolve the same plans
    exactly when their digests agree; the version string alone may survive an edit."""
    return hashlib.sha256(playbook.model_dump_json().encode("utf-8")).hexdigest()[:16]


def _eligible(
    offer: OfferModel, scenario: str, segment: str, value: float, reasons: list[str]
) -> bool:
    rule = offer.eligibility
    if rule.scenarios and scenario not in rule.scenarios:
        return False
    if rule.segments and segment not in rule.segments:
        return False
    if value < rule.min_value:
        return False
    if rule.reason_keywords:
        heard = " ".join(reasons).lower()
        return any(word.lower() in heard for word in rule.reason_keywords)
    return True


def resolve_plan(
    playbook: Playbook,
    scenario: str,
    segment: str,
    value_per_year: float,
    reasons: list[str],
    team: str | None = None,
) -> RescuePlan:
    """The steps, offers and timings that apply to one customer, with segment overrides."""
    if scenario not in playbook.scenarios:
        known = sorted(playbook.scenarios)
        raise ValueError(f"unknown scenario {scenario!r}: expected one of {known}")
    base = playbook.scenarios[scenario]  # type: ignore[index]
    override = base.segments.get(segment)
    steps: list[PlanStep] = []
    for name in STEP_NAMES:
        model = getattr(override.steps, name) if override else None
        model = model or getattr(base.steps, name)
        fields = [FieldSpec(**f.model_dump()) for f in model.fields]
        steps.append(PlanStep(name=name, script=model.script, goal=model.goal, fields=fields))
    timings = base.timings.model_dump()
    if override:
        timings.update({k: v for k, v in override.timings.model_dump().items() if v is not None})
    offers = [
        OfferSpec(id=o.id, label=o.label, description=o.description)
        for o in playbook.offers
        if _eligible(o, scenario, segment, value_per_year, reasons)
    ]
    team = team or playbook.assignment.default_team
    return RescuePlan(
        version=playbook.version,
        scenario=scenario,
        steps=steps,
        offers=offers,
        max_offers=playbook.limits.max_offers_per_case,
        timings=PlanTimings(**timings),
        team_channel=playbook.assignment.team_channels.get(team or ""),
        assignment_strategy=playbook.assignment.strategy,
        prefer_owner=playbook.assignment.prefer_owner,
        default_team=playbook.assignment.default_team,
    )
