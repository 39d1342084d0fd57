"""What the ops page changes: promote a candidate, roll back to the previous live model,
relabel a feedback item. One live model per kind; the caller commits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Category, FeedbackItem, ModelVersion
from web.queries.models import ModelActionError


def promote_version(session: Session, version_id: int) -> ModelVersion:
    """Make `version_id` the live model of its kind; the old live one is retired."""
    target = session.get(ModelVersion, version_id)
    if target is None:
        raise ModelActionError(f"model version id {version_id} does not exist")
    if target.status == "live":
        raise ModelActionError(f"{target.kind} model {target.version} is already live")
    for live in session.scalars(select(ModelVersion).where(
            ModelVersion.kind == target.kind, ModelVersion.status == "live")):
        live.status = "retired"
    target.status = "live"
    target.promoted_at = datetime.now(UTC)
    session.flush()
    return target


def rollback_kind(session: Session, kind: str) -> ModelVersion:
    """Retire the live model of `kind` and bring back the most recently promoted earlier one."""
    live = session.scalar(select(ModelVersion).where(ModelVersion.kind == kind,
                                                     ModelVersion.status == "live"))
    if live is None:
        raise ModelActionError(f"no live {kind} model to roll back")
    previous = session.scalar(
        select(ModelVersion)
        .where(ModelVersion.kind == kind, ModelVersion.status == "retired",
               ModelVersion.promoted_at.is_not(None), ModelVersion.id != live.id)
        .order_by(ModelVersion.promoted_at.desc()).limit(1))
    if previous is None:
        raise ModelActionError(f"no earlier {kind} model was ever live: nothing to roll back to")
    live.status = "retired"
    previous.status = "live"
    previous.promoted_at = datetime.now(UTC)
    session.flush()
    return previous


def relabel_item(session: Session, item_id: int, category_id: str, reviewer: str) -> FeedbackItem:
    """A reviewer's label: wins over the model's and feeds the next training run."""
    item = session.get(FeedbackItem, item_id)
    if item is None:
        raise ModelActionError(f"feedback item {item_id} does not exist")
    category = session.get(Category, category_id)
    if category is None or category.retired:
        raise ModelActionError(f"category {category_id!r} is not in the current taxonomy")
    item.reviewed_label = category_id
    item.reviewed_by = reviewer
    item.needs_review = False
    session.flush()
    return item
