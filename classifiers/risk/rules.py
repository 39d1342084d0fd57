"""Detection rules YAML: the pydantic schema, loading, and per-segment thresholds.

Validated once at the edge (extra="forbid"), so a typo fails `winback flags`/`scan` at
start-up with the file and field named, not mid-scan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from store.activity_tail import tail_days_for

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[2] / "playbooks" / "detection_rules.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LapseRules(_Strict):
    activity_kinds: tuple[str, ...] = ("purchase", "usage", "login", "payment")
    min_history_events: int = Field(default=3, ge=2)
    prior_strength: float = Field(default=3.0, ge=0)
    silence_ratio: float = Field(default=3.0, gt=1)
    min_silent_days: float = Field(default=14, ge=0)
    one_time_silent_days: float = Field(default=90, gt=0)
    prior_alive: float = Field(default=0.9, gt=0, lt=1)
    forecast_days: float = Field(default=30, gt=0)


class AtRiskWeights(_Strict):
    usage_drop: float = Field(default=0.45, ge=0, le=1)
    complaints: float = Field(default=0.35, ge=0, le=1)
    payment_failed: float = Field(default=0.5, ge=0, le=1)


class AtRiskRules(_Strict):
    flag_probability: float = Field(default=0.5, gt=0, le=1)
    usage_window_days: int = Field(default=28, gt=0)
    usage_drop_pct: float = Field(default=50, gt=0, le=100)
    complaints_window_days: int = Field(default=30, gt=0)
    complaints_min: int = Field(default=2, ge=1)
    payment_window_days: int = Field(default=90, gt=0)
    payment_failures_min: int = Field(default=2, ge=1)
    base_probability: float = Field(default=0.05, ge=0, lt=1)
    weights: AtRiskWeights = AtRiskWeights()


class ContractRules(_Strict):
    window_days: int = Field(default=90, gt=0)
    cancellation_probability: float = Field(default=1.0, gt=0, le=1)
    non_renewal_probability: float = Field(default=1.0, gt=0, le=1)
    downgrade_probability: float = Field(default=0.7, gt=0, le=1)


class EpisodeRules(_Strict):
    cooldown_days: float = Field(default=30, ge=0)


class PriorityRules(_Strict):
    unassigned_daily_capacity: int = Field(default=10, ge=0)


class SegmentRules(_Strict):
    lapse: LapseRules = LapseRules()
    at_risk: AtRiskRules = AtRiskRules()
    contract: ContractRules = ContractRules()
    episode: EpisodeRules = EpisodeRules()
    priority: PriorityRules = PriorityRules()


class DetectionRules(_Strict):
    version: int = 1
    defaults: SegmentRules = SegmentRules()
    segments: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)

    def for_segment(self, segment: str) -> SegmentRules:
        """Defaults with the segment's overrides laid over them (validated again)."""
        override = self.segments.get(segment)
        if not override:
            return self.defaults
        merged = self.defaults.model_dump()
        for section, values in override.items():
            if section not in merged:
                raise ValueError(f"segments.{segment}: unknown section {section!r}")
            merged[section] = {**merged[section], **values}
        return SegmentRules.model_validate(merged)

    def validate_segments(self) -> None:
        """Every override must validate; windows are scan-wide, so segments may not set them."""
        for segment, override in self.segments.items():
            for section, values in override.items():
                for key in values:
                    if key.endswith("window_days") or key == "activity_kinds":
                        raise ValueError(
                            f"segments.{segment}.{section}.{key}: set in defaults only "
                            "(feature windows are the same for every segment)"
                        )
            self.for_segment(segment)

    def recent_event_days(self) -> int:
        """Days of recent events the activity rollup keeps per customer for these windows."""
        return tail_days_for(self.defaults.at_risk.usage_window_days)

    @property
    def window_days(self) -> dict[str, int]:
        """Feature windows: one set for the whole scan (segments override thresholds only)."""
        d = self.defaults
        return {
            "usage": d.at_risk.usage_window_days,
            "complaints": d.at_risk.complaints_window_days,
            "payments": d.at_risk.payment_window_days,
            "contract": d.contract.window_days,
        }

    def activity_kinds(self) -> tuple[str, ...]:
        return self.defaults.lapse.activity_kinds


def load_rules(path: Path | None = None) -> DetectionRules:
    """Read and validate the rules file; errors name the file and the field."""
    path = path or DEFAULT_RULES_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read detection rules: {exc}") from exc
    try:
        rules = DetectionRules.model_validate(data)
        rules.validate_segments()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(f"{path}: invalid detection rules: {problems}") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: invalid detection rules: {exc}") from exc
    return rules
