"""CDNOW buyers and Telco subscribers as winback customers and events; the synthetic team."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from winback.demo.sources import (
    SAMPLE_DATA,
    DemoDataError,
    Row,
    noon,
    number,
    read_csv_rows,
    synthetic_moment,
)

CDNOW_SAMPLE = SAMPLE_DATA / "cdnow" / "CDNOW_sample.txt"
CDNOW_END = date(1998, 6, 30)  # last day of the CDNOW observation window
DAYS_BEFORE_TODAY = 3
TELCO = SAMPLE_DATA / "telco" / "telco_churn_train.csv"
TELCO_NUMERIC = {"SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"}
CONTRACT_MONTHS = {"Month-to-month": 1, "One year": 12, "Two year": 24}
CHURN_WITHIN_DAYS = 60
PAYMENT_MONTHS = 3  # monthly payment events kept per subscriber (synthetic, from tenure)

# (handle, name, team, role, lead, daily capacity). SYNTHETIC people for the demo only.
DEMO_TEAM = [
    ("maya.ortiz", "Maya Ortiz (synthetic)", "retail", "lead", None, 8),
    ("sam.okafor", "Sam Okafor (synthetic)", "retail", "member", "maya.ortiz", 6),
    ("lena.berg", "Lena Berg (synthetic)", "retail", "member", "maya.ortiz", 6),
    ("raj.patel", "Raj Patel (synthetic)", "telecom", "lead", None, 8),
    ("ines.costa", "Ines Costa (synthetic)", "telecom", "member", "raj.patel", 6),
    ("tom.walsh", "Tom Walsh (synthetic)", "telecom", "member", "raj.patel", 6),
    ("kim.nguyen", "Kim Nguyen (synthetic)", "accounts", "lead", None, 8),
    ("alex.reed", "Alex Reed (synthetic)", "accounts", "member", "kim.nguyen", 6),
    ("dana.fox", "Dana Fox (synthetic)", "leadership", "leader", None, 0),
]


@dataclass
class CustomerBatch:
    """Customers (by external_id) and their events, each event naming its customer's external_id."""

    customers: list[Row] = field(default_factory=list)
    events: list[tuple[str, Row]] = field(default_factory=list)


def team_rows() -> list[Row]:
    return [
        {"handle": handle, "name": name, "team": team, "role": role,
         "lead_handle": lead, "daily_capacity": capacity, "active": True}
        for handle, name, team, role, lead, capacity in DEMO_TEAM
    ]  # fmt: skip


def cdnow_customers(
    today: date, limit: int | None = None, path: Path = CDNOW_SAMPLE
) -> CustomerBatch:
    """CDNOW sample buyers (the first `limit` by id), dates shifted to end 3 days before today."""
    shift = (today - timedelta(days=DAYS_BEFORE_TODAY)) - CDNOW_END
    purchases: dict[str, list[tuple[int, date, float, float]]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 5:
                raise DemoDataError(
                    path, line_number, "line", f"expected 5 fields, got {len(parts)}"
                )
            master_id, _sample_id, day, cds, dollars = parts
            try:
                when = datetime.strptime(day, "%Y%m%d").date()
            except ValueError:
                raise DemoDataError(path, line_number, "date", f"{day!r} is not YYYYMMDD") from None
            purchases[master_id].append(
                (line_number, when + shift, number(path, line_number, "cds", cds),
                 number(path, line_number, "dollars", dollars))
            )  # fmt: skip
    batch = CustomerBatch()
    for master_id in sorted(purchases)[:limit]:
        rows = purchases[master_id]
        external_id = f"cdnow-{master_id}"
        first = min(day for _, day, _, _ in rows)
        years = max((CDNOW_END + shift - first).days / 365.25, 0.25)
        batch.customers.append({
            "external_id": external_id, "name": f"CDNOW buyer {master_id}", "segment": "retail",
            "team": "retail", "has_contract": False, "start_date": first, "status": "active",
            "value_per_year": round(sum(amount for *_, amount in rows) / years, 2),
            "attributes": {"source": "CDNOW sample", "date_shift_days": shift.days},
        })  # fmt: skip
        for line_number, bought_on, quantity, amount in rows:
            batch.events.append((external_id, {
                "event_key": f"cdnow-line-{line_number}", "occurred_at": noon(bought_on),
                "kind": "purchase", "quantity": quantity, "amount": amount,
            }))  # fmt: skip
    return batch


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, 28))


def _next_renewal(start: date, term_months: int, today: date) -> date:
    months = 0
    while True:
        months += term_months
        renewal = _months_before(start, -months)
        if renewal > today:
            return renewal


def _telco_attributes(row_number: int, values: dict[str, str]) -> dict[str, object]:
    attributes: dict[str, object] = {}
    for name, value in values.items():
        if name in ("customerID", "Churn"):
            continue
        if name in TELCO_NUMERIC:
            attributes[name] = number(TELCO, row_number, name, value) if value.strip() else None
        else:
            attributes[name] = value
    return attributes


def telco_customers(today: date, limit: int | None = None, path: Path = TELCO) -> CustomerBatch:
    """Telco subscribers as contract customers; Churn=Yes -> a recent cancellation."""
    batch = CustomerBatch()
    required = ("customerID", "tenure", "Contract", "MonthlyCharges", "Churn")
    for row_number, values in read_csv_rows(path, required):
        if limit is not None and row_number > limit:
            break
        contract = values["Contract"]
        if contract not in CONTRACT_MONTHS:
            raise DemoDataError(path, row_number, "Contract", f"unknown contract {contract!r}")
        external_id = f"telco-{values['customerID']}"
        start = _months_before(today, int(number(path, row_number, "tenure", values["tenure"])))
        customer: Row = {
            "external_id": external_id, "name": f"Telco subscriber {values['customerID']}",
            "segment": "telecom", "team": "telecom", "has_contract": True, "start_date": start,
            "renewal_date": _next_renewal(start, CONTRACT_MONTHS[contract], today),
            "value_per_year": round(
                number(path, row_number, "MonthlyCharges", values["MonthlyCharges"]) * 12, 2),
            "status": "active", "attributes": _telco_attributes(row_number, values),
        }  # fmt: skip
        if values["Churn"] not in ("Yes", "No"):
            raise DemoDataError(
                path, row_number, "Churn", f"expected Yes or No, got {values['Churn']!r}"
            )
        ends = None
        if values["Churn"] == "Yes":
            cancelled = synthetic_moment(external_id, today, CHURN_WITHIN_DAYS, from_days_back=1)
            ends = cancelled.date()
            customer.update(status="cancelled", status_changed_on=ends)
            batch.events.append((external_id, {
                "event_key": f"{external_id}-cancellation", "occurred_at": cancelled,
                "kind": "cancellation", "quantity": 0.0, "amount": 0.0,
            }))  # fmt: skip
        monthly = float(customer["value_per_year"]) / 12  # type: ignore[arg-type]
        for day in _monthly_payments(start, today, ends):
            batch.events.append((external_id, {
                "event_key": f"{external_id}-payment-{day.isoformat()}", "occurred_at": noon(day),
                "kind": "payment", "quantity": 1.0, "amount": monthly,
            }))  # fmt: skip
        batch.customers.append(customer)
    return batch


def _monthly_payments(start: date, today: date, ends: date | None) -> list[date]:
    """The last PAYMENT_MONTHS monthly payment days since `start`, none on or after `ends`."""
    days = [_months_before(today, back) for back in range(PAYMENT_MONTHS, 0, -1)]
    return [d for d in days if d >= start and (ends is None or d < ends)]
