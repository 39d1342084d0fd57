"""The model registry: model files under models_dir, their status in the ModelVersion table.

A trained model is registered as a `candidate`; only `promote` makes it `live` (after checking
it loads), so a bad training run never replaces the live model. `rollback` rejects the live
version and brings back the one that was live before it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from classifiers.text.model import CategoryModel
from store.base import utcnow
from store.db import transaction
from store.models import ModelVersion

CATEGORY = "category"


class RegistryError(ValueError):
    """A registry operation that cannot be done (unknown version, nothing to roll back to)."""


class ModelRegistry:
    def __init__(self, sessions: sessionmaker[Session], models_dir: Path) -> None:
        self.sessions = sessions
        self.models_dir = models_dir

    def register(self, kind: str, model_dir: Path, card: dict[str, Any]) -> str:
        """Copy model_dir under models_dir/kind/<version> and record it as a candidate."""
        with transaction(self.sessions) as session:
            count = session.scalar(
                select(func.count()).select_from(ModelVersion).where(ModelVersion.kind == kind)
            )
            version = f"v{(count or 0) + 1}"
            target = self.models_dir / kind / version
            if target.exists():
                shutil.rmtree(target)  # left by a registration whose transaction failed
            shutil.copytree(model_dir, target)
            session.add(ModelVersion(kind=kind, version=version, path=str(target), card=card))
        return version

    def get(self, kind: str, version: str) -> ModelVersion:
        with self.sessions() as session:
            return self._get(session, kind, version)

    def live(self, kind: str) -> ModelVersion | None:
        with self.sessions() as session:
            return session.scalar(
                select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "live")
            )

    def list(self, kind: str | None = None) -> list[ModelVersion]:
        with self.sessions() as session:
            query = select(ModelVersion).order_by(ModelVersion.kind, ModelVersion.id)
            if kind:
                query = query.where(ModelVersion.kind == kind)
            return list(session.scalars(query))

    def load_category_model(self, version: str) -> CategoryModel:
        row = self.get(CATEGORY, version)
        model = CategoryModel.load(Path(row.path))
        model.version = row.version
        return model

    def load_live_category_model(self) -> CategoryModel | None:
        """The live category model (its `.version` set), or None when none is live yet."""
        row = self.live(CATEGORY)
        if row is None:
            return None
        model = CategoryModel.load(Path(row.path))
        model.version = row.version
        return model

    def promote(self, kind: str, version: str) -> ModelVersion:
        """Make version live (the live one is retired); refuses files that do not load."""
        with transaction(self.sessions) as session:
            row = self._get(session, kind, version)
            if row.status == "live":
                return row
            if kind == CATEGORY:
                CategoryModel.load(Path(row.path))
            for current in session.scalars(
                select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "live")
            ):
                current.status = "retired"
            session.flush()
            row.status, row.promoted_at = "live", utcnow()
            return row

    def rollback(self, kind: str) -> ModelVersion:
        """Reject the live version and make the previously promoted one live again."""
        with transaction(self.sessions) as session:
            live = session.scalar(
                select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "live")
            )
            if live is None:
                raise RegistryError(f"no live {kind} model to roll back")
            previous = session.scalar(
                select(ModelVersion)
                .where(
                    ModelVersion.kind == kind,
                    ModelVersion.status == "retired",
                    ModelVersion.promoted_at.is_not(None),
                )
                .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
                .limit(1)
            )
            if previous is None:
                raise RegistryError(f"no earlier {kind} model was live; nothing to roll back to")
            live.status = "rejected"
            session.flush()
            previous.status, previous.promoted_at = "live", utcnow()
            return previous

    @staticmethod
    def _get(session: Session, kind: str, version: str) -> ModelVersion:
        row = session.scalar(
            select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.version == version)
        )
        if row is None:
            raise RegistryError(f"no {kind} model version {version!r}")
        return row
