"""The instant a scan looks from and the windows its features count over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FeatureWindows:
    as_of: datetime
    activity_kinds: tuple[str, ...]
    usage_days: int = 28
    complaints_days: int = 30
    payments_days: int = 90
    contract_days: int = 90
