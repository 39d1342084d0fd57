"""At-risk probability: the live supervised model when one exists, else the YAML rules.

Rules combine independent warning signs as 1 - (1 - base) * prod(1 - weight_i) over the
signs that fire (usage drop, complaints, failed payments), so each sign's weight reads as
"the chance this sign alone means the customer is leaving".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from classifiers.risk.model import RiskModel
from classifiers.risk.model_frame import scoring_frame
from classifiers.risk.rules import DetectionRules
from classifiers.risk.segments import segment_rule


def complaint_count(frame: pd.DataFrame) -> pd.Series:
    """Complaints in the window: logged events or classified feedback, whichever saw more."""
    classified = [float(sum(c.values())) for c in frame["complaint_categories"]]
    return np.maximum(frame["complaint_n"], pd.Series(classified, index=frame.index))


def rule_signals(frame: pd.DataFrame, rules: DetectionRules) -> pd.DataFrame:
    """Which warning signs fire for each customer, with the segment's thresholds."""
    drop = segment_rule(frame, rules, lambda r: r.at_risk.usage_drop_pct)
    c_min = segment_rule(frame, rules, lambda r: r.at_risk.complaints_min)
    p_min = segment_rule(frame, rules, lambda r: r.at_risk.payment_failures_min)
    return pd.DataFrame(
        {
            "usage_drop": frame["usage_change_pct"].fillna(0.0) <= -drop,
            "complaints": complaint_count(frame) >= c_min,
            "payment_failed": frame["payment_failed_n"] >= p_min,
        },
        index=frame.index,
    )


def score_by_rules(frame: pd.DataFrame, rules: DetectionRules) -> pd.DataFrame:
    """Probability, plus each fired sign's weight (used to order the reasons)."""
    signals = rule_signals(frame, rules)
    keep = 1.0 - segment_rule(frame, rules, lambda r: r.at_risk.base_probability)
    out = pd.DataFrame(index=frame.index)
    for sign in signals.columns:
        weight = segment_rule(frame, rules, lambda r: getattr(r.at_risk.weights, sign))  # noqa: B023
        out[f"weight_{sign}"] = np.where(signals[sign], weight, 0.0)
        keep = keep * (1.0 - out[f"weight_{sign}"])
    out["at_risk_probability"] = 1.0 - keep
    return out


def score_by_model(
    frame: pd.DataFrame, model: RiskModel, min_coverage: float = 0.5
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Which customers the model covers (at least `min_coverage` of its inputs known), their
    probability and per-column log-odds contributions (covered customers only)."""
    inputs = scoring_frame(frame)
    covered = model.coverage(inputs) >= min_coverage
    probability = pd.Series(np.nan, index=frame.index)
    if not covered.any():
        return covered, probability, pd.DataFrame(index=frame.index[:0])
    known = inputs[covered]
    probability[covered] = model.predict_proba(known)
    return covered, probability, model.contributions(known)


def flag_threshold(frame: pd.DataFrame, rules: DetectionRules) -> pd.Series:
    return segment_rule(frame, rules, lambda r: r.at_risk.flag_probability)
