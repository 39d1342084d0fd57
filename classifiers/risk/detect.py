"""Score one batch of customers: skip bad or busy ones, run every detector, keep the flags.

Each flag carries the kind and probability of its strongest detector, the value at risk
(probability x yearly value) and its reasons, written from the numbers that scored it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from classifiers.risk.at_risk import complaint_count, flag_threshold, score_by_model, score_by_rules
from classifiers.risk.contract import detect_contract
from classifiers.risk.lapse import LapseContext, detect_lapse
from classifiers.risk.model import RiskModel
from classifiers.risk.reasons import flag_reasons
from classifiers.risk.rules import DetectionRules, SegmentRules
from classifiers.risk.segments import segment_rule
from store.event_time import as_epoch_days

# What a flag and its reasons are written from (see reasons.flag_reasons).
REASON_COLUMNS = (
    "segment",
    "external_id",
    "team",
    "value_per_year",
    "status",
    "cancellation_n",
    "non_renewal_n",
    "downgrade_n",
    "payment_failed_n",
    "complaint_n",
    "complaint_categories",
    "usage_change_pct",
    "tenure_days",
    "attributes",
)
SIGNAL_COUNTS = (
    "payment_failed_n",
    "cancellation_n",
    "non_renewal_n",
    "downgrade_n",
    "complaint_n",
)


@dataclass(frozen=True)
class Detection:
    customer_id: int
    external_id: str
    team: str | None
    kind: str  # at_risk | lapsed | lost
    probability: float
    value_at_risk: float
    reasons: list[str]
    detector: str


@dataclass(frozen=True)
class DetectionBatch:
    detections: list[Detection]
    scored: int
    skipped: dict[str, int] = field(default_factory=dict)  # customers, by documented reason
    events_after_as_of: int = 0  # ignored: the scan sees the store as it was at as_of


def records(table: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """Row label -> {column: plain value}, built a column at a time (to_dict("index") goes
    row by row and costs more than the scoring)."""
    names = [str(c) for c in table.columns]
    labels = table.index.tolist()
    if not names:
        return {label: {} for label in labels}
    columns = [table[c].tolist() for c in table.columns]
    return {
        label: dict(zip(names, values, strict=True))
        for label, values in zip(labels, zip(*columns, strict=True), strict=True)
    }


def skip_reasons(frame: pd.DataFrame, today: float, rules: DetectionRules) -> pd.Series:
    """Why a customer is not scored (None when scored). Order matters: first reason wins."""
    cooldown = segment_rule(frame, rules, lambda r: r.episode.cooldown_days)
    has_attributes = pd.Series(
        [bool(a) if isinstance(a, dict) else False for a in frame["attributes"]],
        index=frame.index,
        dtype=bool,
    )
    no_data = (frame["n_events"] == 0) & (frame[list(SIGNAL_COUNTS)].sum(axis=1) == 0)
    no_data &= ~has_attributes & (frame["status"] == "active")
    conditions = [
        (frame["negative_amounts"] > 0, "negative_amount"),
        (frame["open_cases"] > 0, "open_rescue"),
        (
            frame["last_closed_day"].notna() & (today - frame["last_closed_day"] < cooldown),
            "cooldown",
        ),
        (no_data, "no_events"),
    ]
    reason = pd.Series(None, index=frame.index, dtype=object)
    for mask, name in reversed(conditions):
        reason = reason.mask(mask, name)
    return reason


def detect(
    frame: pd.DataFrame,
    as_of: datetime,
    rules: DetectionRules,
    lapse: LapseContext,
    model: RiskModel | None = None,
    model_version: str | None = None,
) -> DetectionBatch:
    today = as_epoch_days(as_of)
    skip = skip_reasons(frame, today, rules)
    skipped = {str(k): int(v) for k, v in skip.value_counts().items()}
    future = int(frame["events_after_as_of"].sum()) if len(frame) else 0
    frame = frame[skip.isna()]
    if frame.empty:
        return DetectionBatch([], 0, skipped, future)

    contract = detect_contract(frame, today, rules)
    lapsed = detect_lapse(frame, today, rules, lapse)
    rule_weights = score_by_rules(frame, rules)
    risk_p = rule_weights["at_risk_probability"]
    by_model = pd.Series(False, index=frame.index)
    contributions = pd.DataFrame(index=frame.index[:0])
    if model is not None:
        # The model scores the customers it has data for; the rest keep the rules' score.
        by_model, model_p, contributions = score_by_model(frame, model)
        risk_p = risk_p.where(~by_model, model_p)
    model_name = f"model:{model_version or 'live'}"
    risk_hit = risk_p >= flag_threshold(frame, rules)

    candidates = pd.DataFrame(
        {
            "contract": contract["contract_probability"].where(
                contract["contract_kind"].notna(), 0.0
            ),
            "lapse": lapsed["lapse_probability"].where(lapsed["lapsed"], 0.0),
            "risk": risk_p.where(risk_hit, 0.0),
        }
    )
    lost = contract["contract_kind"] == "lost"
    best = candidates.idxmax(axis=1)
    probability = candidates.max(axis=1)
    flagged = lost | (probability > 0)

    ids = frame.index[flagged.to_numpy()]
    flags = frame.loc[ids, list(REASON_COLUMNS)]
    flags = flags.assign(complaints_total=complaint_count(frame.loc[ids]))
    # Plain dicts per flagged customer: reasons are written row by row, only for flags.
    rows = records(flags)
    lapse_rows = records(lapsed.loc[ids])
    candidate_rows = records(candidates.loc[ids])
    weight_rows = records(rule_weights.loc[ids[~by_model[ids].to_numpy()]])
    contribution_rows = records(contributions.loc[contributions.index.intersection(ids)])
    sources = np.where(lost[ids].to_numpy(), "contract", best[ids].to_numpy())
    contract_kinds = contract.loc[ids, "contract_kind"].to_numpy()
    modelled = by_model[ids].to_numpy()
    segment_rules: dict[str, SegmentRules] = {}
    detections = []
    for i, customer_id in enumerate(ids.tolist()):
        row = rows[customer_id]
        segment = str(row["segment"])
        if segment not in segment_rules:
            segment_rules[segment] = rules.for_segment(segment)
        source = str(sources[i])
        kind = {"lapse": "lapsed", "risk": "at_risk"}.get(source) or str(contract_kinds[i])
        p = float(candidate_rows[customer_id][source])
        reasons = flag_reasons(
            row,
            lapse_rows[customer_id],
            candidate_rows[customer_id],
            segment_rules[segment],
            weight_rows.get(customer_id),
            contribution_rows.get(customer_id),
        )
        detections.append(
            Detection(
                customer_id=int(customer_id),
                external_id=str(row["external_id"]),
                team=row["team"] if isinstance(row["team"], str) else None,
                kind=kind,
                probability=round(p, 4),
                value_at_risk=round(p * float(row["value_per_year"] or 0.0), 2),
                reasons=reasons,
                detector={"contract": "contract", "lapse": "lapse"}.get(
                    source, model_name if modelled[i] else "rules"
                ),
            )
        )
    return DetectionBatch(detections, int(len(frame)), skipped, future)
