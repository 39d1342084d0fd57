"""Customers as assets (`/`): new vs lost customers and value per period, and why they left."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from web.auth import require
from web.charts import grouped_bars, horizontal_bars
from web.deps import get_session
from web.pages.common import filters_from, render
from web.queries.assets import assets_report
from web.queries.periods import PERIOD_KINDS, recent_periods


def assets_page(
    request: Request, period: str = "month", session: Session = Depends(get_session)
) -> Response:
    user = require(request, "leader")
    if period not in PERIOD_KINDS:
        raise HTTPException(400, f"period must be one of {', '.join(PERIOD_KINDS)}")
    filters = filters_from(request)
    periods = recent_periods(period, datetime.now(UTC).date())
    report = assets_report(session, periods, filters)
    labels = [f.period.label for f in report.flows]
    chart = grouped_bars(
        labels,
        {
            "new value": [f.new_value for f in report.flows],
            "lost value": [f.lost_value for f in report.flows],
        },
        "New vs lost customer value per period",
    )
    reasons_chart = horizontal_bars(
        [(r.label, r.count) for r in report.reasons[:10]],
        "Why customers left (coded rescue outcomes)",
        colour="#dc2626",
    )
    return render(
        request,
        "assets.html",
        {
            "report": report,
            "period": period,
            "period_kinds": PERIOD_KINDS,
            "filters": filters,
            "chart": chart,
            "reasons_chart": reasons_chart,
            "title": "Customers as assets",
        },
        user,
    )


def register(app: FastAPI) -> None:
    app.get("/", include_in_schema=False)(assets_page)
