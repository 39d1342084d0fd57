"""Finding the live at-risk model in the ModelVersion table (kind="risk").

Registering, promoting and rolling back go through classifiers.registry.ModelRegistry,
shared with the category model, so `winback model list|promote|rollback` work for both.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ModelVersion

RISK = "risk"


def live_risk_version(session: Session) -> ModelVersion | None:
    """The live risk model's row, or None so the scan falls back to the YAML rules."""
    return session.scalars(
        select(ModelVersion)
        .where(ModelVersion.kind == RISK, ModelVersion.status == "live")
        .order_by(ModelVersion.id.desc())
        .limit(1)
    ).first()
