"""Defector pipeline (`/pipeline`): the rescue funnel, save rate, speed and open work by team."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from store.models import Customer, RescueCase
from web.auth import require
from web.charts import horizontal_bars
from web.deps import get_session
from web.pages.common import filters_from, render
from web.queries.assets import distinct_values
from web.queries.pipeline import pipeline_report
from web.queries.report_cache import ReportCache, rescue_marker

WINDOWS = (30, 90, 365)


def pipeline_page(
    request: Request, days: int = 90, overdue_days: int = 7, session: Session = Depends(get_session)
) -> Response:
    user = require(request, "leader")
    if days < 1 or days > 3660 or overdue_days < 1:
        raise HTTPException(400, "days must be 1..3660 and overdue_days at least 1")
    filters = filters_from(request)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    key = ("pipeline", days, overdue_days, filters, rescue_marker(session, now))
    report = _cache(request).get_or_compute(
        key, lambda: pipeline_report(session, now, days, filters, overdue_days)
    )
    funnel_chart = horizontal_bars(
        [(s.label, s.count) for s in report.funnel], "Rescue funnel: cases reaching each step"
    )
    return render(
        request,
        "pipeline.html",
        {
            "report": report,
            "days": days,
            "windows": WINDOWS,
            "filters": filters,
            "overdue_days": overdue_days,
            "funnel_chart": funnel_chart,
            "segments": distinct_values(session, Customer.segment),
            "teams": distinct_values(session, RescueCase.team),
            "title": "Defector pipeline",
        },
        user,
    )


def _cache(request: Request) -> ReportCache:
    cache: ReportCache = request.app.state.pipeline_cache
    return cache


def register(app: FastAPI) -> None:
    app.state.pipeline_cache = ReportCache()
    app.get("/pipeline", include_in_schema=False)(pipeline_page)
