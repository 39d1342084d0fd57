"""Liveness for docker-compose and `winback up`: the app is up and the store answers."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

from web.deps import get_session


def healthz(session: Session = Depends(get_session)) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


def register(app: FastAPI) -> None:
    app.get("/healthz")(healthz)
