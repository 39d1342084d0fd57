"""A flag's reasons: each detector that fired adds its reasons, strongest first.

Rows are plain dicts of the numbers that scored the customer (features, lapse columns, the
detectors' probabilities, and the rules' weights or the model's contributions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from classifiers.risk import explain
from classifiers.risk.rules import SegmentRules

Row = Mapping[str, Any]


def flag_reasons(
    row: Row,
    lapse: Row,
    candidates: Row,
    cfg: SegmentRules,
    rule_weights: Row | None,
    contributions: Row | None,
) -> list[str]:
    found: list[explain.Reason] = []

    def add(group: str, text: str | None, weight: float) -> None:
        if text:
            found.append(explain.Reason(group, text, weight))

    contract_text = explain.describe_contract(
        str(row["status"]),
        int(row["cancellation_n"]),
        int(row["non_renewal_n"]),
        int(row["downgrade_n"]),
    )
    add("contract", contract_text, 10.0 * float(candidates["contract"]))
    failures = int(row["payment_failed_n"])
    payments = explain.describe_payments(failures, cfg.at_risk.payment_window_days)
    if failures >= cfg.at_risk.payment_failures_min:
        add("payments", payments, 5.0 * float(candidates["contract"]) or 1.0)
    if candidates["lapse"] > 0:
        add(
            "activity",
            explain.describe_activity(
                float(lapse["usual_gap_days"]), float(lapse["silent_days"]), bool(lapse["one_time"])
            ),
            3.0 * float(candidates["lapse"]),
        )
        if not math.isnan(lapse["expected_purchases"]):
            add(
                "forecast",
                explain.describe_forecast(
                    float(lapse["expected_purchases"]), float(lapse["forecast_days"])
                ),
                0.01,
            )
    describe = {
        "activity": lambda: explain.describe_activity(
            float(lapse["usual_gap_days"]), float(lapse["silent_days"]), bool(lapse["one_time"])
        ),
        "usage": lambda: explain.describe_usage(
            float(row["usage_change_pct"]), cfg.at_risk.usage_window_days
        ),
        "complaints": lambda: explain.describe_complaints(
            int(row["complaints_total"]),
            dict(row["complaint_categories"]),
            cfg.at_risk.complaints_window_days,
        ),
        "payments": lambda: payments,
        "payment_failed": lambda: payments,
        "usage_drop": lambda: explain.describe_usage(
            float(row["usage_change_pct"]), cfg.at_risk.usage_window_days
        ),
        "tenure": lambda: explain.describe_tenure(float(row["tenure_days"])),
        "contract": lambda: contract_text,
    }
    if rule_weights is not None and candidates["risk"] > 0:
        for sign in ("usage_drop", "complaints", "payment_failed"):
            group = {"usage_drop": "usage", "payment_failed": "payments"}.get(sign, sign)
            add(group, describe[sign](), float(rule_weights[f"weight_{sign}"]))
    if contributions is not None and candidates["risk"] > 0:
        attributes = row["attributes"] if isinstance(row["attributes"], dict) else {}
        groups: dict[str, float] = {}
        for column, weight in contributions.items():
            name = str(column)
            if name in explain.FEATURE_GROUPS:
                group = explain.FEATURE_GROUPS[name]
            elif name.startswith("complaints:"):
                group = "complaints"
            else:  # a tabular attribute: its own group, kept apart from engineered ones
                group = "attr:" + name.removeprefix("attr:")
            groups[group] = groups.get(group, 0.0) + float(weight)  # correlated parts together
        for group, weight in groups.items():
            if weight <= 0:
                continue
            if group in describe:
                add(group, describe[group](), weight)
            elif group.removeprefix("attr:") in attributes:
                name = group.removeprefix("attr:")
                add(group, explain.describe_attribute(name, attributes[name]), weight)
    return explain.top_reasons(found)
