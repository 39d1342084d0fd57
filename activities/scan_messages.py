"""What the scan activities take and return: frozen dataclasses of plain types, as they
appear in ScanWorkflow's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlanRequest:
    as_of: str  # ISO instant, UTC
    partition_size: int


@dataclass(frozen=True)
class ScanPlan:
    as_of: str
    partitions: list[tuple[int, int]]  # [lo, hi) customer id ranges
    customers: int
    segment_gap_days: dict[str, float] = field(default_factory=dict)
    overall_gap_days: float | None = None
    bgnbd: list[float] | None = None  # r, alpha, a, b
    model_version: str | None = None  # None: the YAML rules score at-risk


@dataclass(frozen=True)
class PartitionRequest:
    scan_id: str
    plan: ScanPlan
    lo: int
    hi: int


@dataclass(frozen=True)
class PartitionResult:
    scored: int
    flagged: dict[str, int] = field(default_factory=dict)  # by kind
    skipped: dict[str, int] = field(default_factory=dict)  # by documented reason
    events_after_as_of: int = 0


@dataclass(frozen=True)
class ChooseRequest:
    scan_id: str
    as_of: str


@dataclass(frozen=True)
class ChooseResult:
    flag_ids: list[int]
    over_capacity: int
