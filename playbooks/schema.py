"""The pydantic schema of a rescue playbook: validated once at the edge, with extra="forbid".

A typo in a playbook fails `winback playbook validate` (with its YAML path), never a
workflow three days later. Durations accept seconds or ISO 8601 ("PT4H", "P7D").
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

STEP_NAMES = ("initiate", "probe", "offer", "close")
SCENARIOS = ("at_risk", "lapsed")

_ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_UNIT_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or an ISO 8601 duration such as "P1DT12H"."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or an ISO 8601 duration like PT4H")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _ISO_DURATION.match(value.strip().upper())
        if not match or value.strip().upper() in ("P", "PT") or value.strip().endswith("T"):
            raise ValueError(f"{value!r} is not an ISO 8601 duration (e.g. PT4H, P7D, P1DT12H)")
        seconds = sum(
            float(amount) * _UNIT_SECONDS[unit]
            for unit, amount in match.groupdict().items()
            if amount is not None
        )
    else:
        raise ValueError("a duration is a number of seconds or an ISO 8601 duration like PT4H")
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldModel(_Strict):
    """One input a step asks the account team for."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    required: bool = True
    multiline: bool = False
    choices: list[str] = Field(default_factory=list)


class StepModel(_Strict):
    script: str = Field(min_length=1)
    goal: str = ""
    fields: list[FieldModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_field_names(self) -> StepModel:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"field names repeat: {repeated}")
        return self


class StepsModel(_Strict):
    initiate: StepModel
    probe: StepModel
    offer: StepModel
    close: StepModel


class PartialStepsModel(_Strict):
    initiate: StepModel | None = None
    probe: StepModel | None = None
    offer: StepModel | None = None
    close: StepModel | None = None


class TimingsModel(_Strict):
    reminder_after: Duration
    escalate_after: Duration
    give_up_after: Duration
    follow_up_due: Duration

    @model_validator(mode="after")
    def _in_order(self) -> TimingsModel:
        if not self.reminder_after <= self.escalate_after <= self.give_up_after:
            raise ValueError(
                "timings must satisfy reminder_after <= escalate_after <= give_up_after"
            )
        return self


class PartialTimingsModel(_Strict):
    reminder_after: Duration | None = None
    escalate_after: Duration | None = None
    give_up_after: Duration | None = None
    follow_up_due: Duration | None = None


class SegmentOverride(_Strict):
    """Replaces whole steps and single timings for customers of one segment."""

    steps: PartialStepsModel = PartialStepsModel()
    timings: PartialTimingsModel = PartialTimingsModel()


class ScenarioModel(_Strict):
    steps: StepsModel
    timings: TimingsModel
    segments: dict[str, SegmentOverride] = Field(default_factory=dict)


class EligibilityModel(_Strict):
    """Who may be offered this: empty lists mean everyone."""

    scenarios: list[Literal["at_risk", "lapsed"]] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)
    min_value: float = Field(default=0.0, ge=0)
    reason_keywords: list[str] = Field(default_factory=list)


class OfferModel(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    description: str = ""
    eligibility: EligibilityModel = EligibilityModel()
    max_value: float | None = Field(
        default=None, ge=0, description="Most this offer may cost per case."
    )


class LimitsModel(_Strict):
    max_offers_per_case: int = Field(default=3, ge=1)


class AssignmentModel(_Strict):
    """Owner first; else the customer's team queue by round robin or least open cases."""

    prefer_owner: bool = True
    strategy: Literal["round_robin", "least_loaded"] = "least_loaded"
    default_team: str | None = None
    team_channels: dict[str, str] = Field(default_factory=dict)


class Playbook(_Strict):
    version: str = Field(min_length=1)
    description: str = ""
    scenarios: dict[Literal["at_risk", "lapsed"], ScenarioModel]
    offers: list[OfferModel] = Field(default_factory=list)
    limits: LimitsModel = LimitsModel()
    assignment: AssignmentModel = AssignmentModel()

    @model_validator(mode="after")
    def _complete(self) -> Playbook:
        missing = [s for s in SCENARIOS if s not in self.scenarios]
        if missing:
            raise ValueError(f"scenarios missing: {missing} (both at_risk and lapsed are needed)")
        ids = [o.id for o in self.offers]
        if len(ids) != len(set(ids)):
            raise ValueError(f"offer ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        return self
