"""Contract signals: cancellation, non-renewal, downgrade, failed payments, Customer.status.

These need no model: a cancellation or non-renewal makes the customer lost outright; a
downgrade or repeated failed payments makes them at risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from classifiers.risk.rules import DetectionRules
from classifiers.risk.segments import segment_rule

LOST_STATUSES = ("cancelled", "non_renewed", "lost")


def _rule(frame: pd.DataFrame, rules: DetectionRules, section: str, name: str) -> pd.Series:
    return segment_rule(frame, rules, lambda r: getattr(getattr(r, section), name))


def detect_contract(frame: pd.DataFrame, today: float, rules: DetectionRules) -> pd.DataFrame:
    """Columns contract_kind ("lost" | "at_risk" | None) and contract_probability."""
    changed = pd.to_datetime(frame["status_changed_on"], errors="coerce")
    changed_days = ((changed - pd.Timestamp("1970-01-01")).dt.days).astype(float)
    window = _rule(frame, rules, "contract", "window_days")
    # A status without a date counts as recent: better one rescue too many than a silent loss.
    recent_status = changed_days.isna() | (today - changed_days <= window)
    status = frame["status"].where(recent_status, "active")

    cancelled = (status == "cancelled") | (frame["cancellation_n"] > 0)
    not_renewed = (status == "non_renewed") | (frame["non_renewal_n"] > 0) | (status == "lost")
    downgraded = (status == "downgraded") | (frame["downgrade_n"] > 0)
    failing = frame["payment_failed_n"] >= _rule(frame, rules, "at_risk", "payment_failures_min")

    p_cancel = _rule(frame, rules, "contract", "cancellation_probability")
    p_renew = _rule(frame, rules, "contract", "non_renewal_probability")
    p_down = _rule(frame, rules, "contract", "downgrade_probability")
    p_fail = segment_rule(frame, rules, lambda r: r.at_risk.weights.payment_failed)

    lost_p = np.maximum(np.where(cancelled, p_cancel, 0.0), np.where(not_renewed, p_renew, 0.0))
    risk_p = np.maximum(np.where(downgraded, p_down, 0.0), np.where(failing, p_fail, 0.0))
    out = pd.DataFrame(index=frame.index)
    kinds = np.full(len(frame), None, dtype=object)
    kinds[risk_p > 0] = "at_risk"
    kinds[lost_p > 0] = "lost"
    out["contract_kind"] = kinds
    out["contract_probability"] = np.where(lost_p > 0, lost_p, risk_p)
    return out
