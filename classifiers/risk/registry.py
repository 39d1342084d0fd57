"""Risk models in the ModelVersion table: register a trained one, find the live one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from classifiers.risk.model import RiskModel, load_risk_model
from store.models import ModelVersion

KIND = "risk"


def register_risk_model(
    session: Session, version: str, path: Path, card: dict[str, object], make_live: bool = True
) -> ModelVersion:
    """Record a trained model; when live, the previous live one is retired."""
    now = datetime.now(UTC)
    if make_live:
        session.execute(
            update(ModelVersion)
            .where(ModelVersion.kind == KIND, ModelVersion.status == "live")
            .values(status="retired")
        )
    row = ModelVersion(
        kind=KIND,
        version=version,
        path=str(path),
        card=card,
        status="live" if make_live else "candidate",
        promoted_at=now if make_live else None,
    )
    session.add(row)
    session.flush()
    return row


def live_risk_version(session: Session) -> ModelVersion | None:
    return session.scalars(
        select(ModelVersion)
        .where(ModelVersion.kind == KIND, ModelVersion.status == "live")
        .order_by(ModelVersion.id.desc())
        .limit(1)
    ).first()


def load_live_risk_model(session: Session) -> RiskModel | None:
    """The live model, or None so the scan falls back to the YAML rules."""
    row = live_risk_version(session)
    return load_risk_model(Path(row.path)) if row else None
