"""Listening by journey stage (`/listening`): what customers talk about, trends and spikes."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from web.auth import require
from web.deps import get_session
from web.pages.common import render
from web.queries.listening import listening_report


def listening_page(
    request: Request, days: int = 28, session: Session = Depends(get_session)
) -> Response:
    user = require(request, "leader")
    if days < 2 or days > 366:
        raise HTTPException(400, "days must be 2..366")
    sections = listening_report(session, datetime.now(UTC).date(), days)
    return render(
        request,
        "listening.html",
        {"sections": sections, "days": days, "title": "Listening by journey stage"},
        user,
    )


def register(app: FastAPI) -> None:
    app.get("/listening", include_in_schema=False)(listening_page)
