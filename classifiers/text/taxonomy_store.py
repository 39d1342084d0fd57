"""Keep the store in step with the taxonomy: sync its stage/category tables, re-map history.

Functions take a session and never commit it: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Result, select, update
from sqlalchemy.orm import Session

from playbooks.taxonomy import Taxonomy
from store.models import Category, CategoryDaily, FeedbackItem, JourneyStage


@dataclass(frozen=True)
class RemapCounts:
    feedback_items: int
    reviewed_labels: int
    daily_rows: int


def sync_taxonomy(session: Session, taxonomy: Taxonomy) -> None:
    """Upsert the taxonomy's stages and categories; categories it no longer has are retired."""
    for position, stage in enumerate(taxonomy.stages):
        row = session.get(JourneyStage, stage.id) or JourneyStage(id=stage.id)
        row.name, row.company_alias = stage.name, stage.company_alias
        row.position, row.taxonomy_version = position, taxonomy.version
        session.add(row)
    session.flush()
    current = set(taxonomy.category_ids)
    for stage in taxonomy.stages:
        for spec in stage.categories:
            category = session.get(Category, spec.id) or Category(id=spec.id)
            category.stage_id, category.name = stage.id, spec.name
            category.description, category.taxonomy_version = spec.description, taxonomy.version
            category.retired = False
            session.add(category)
    for category in session.scalars(select(Category).where(Category.id.not_in(current))):
        category.retired = True
    session.flush()


def apply_category_remap(session: Session, taxonomy: Taxonomy) -> RemapCounts:
    """Move stored feedback and daily counts from old category ids to the taxonomy's new ones.

    Uses `taxonomy.remap_from.categories`; daily counts that land on the same (day, category)
    are added together. Running it twice changes nothing the second time.
    """
    if taxonomy.remap_from is None:
        return RemapCounts(0, 0, 0)
    stage_of = taxonomy.stage_map()
    items = reviewed = daily = 0
    for old, new in taxonomy.remap_from.categories.items():
        if old == new:
            continue
        items += _rowcount(
            session.execute(
                update(FeedbackItem)
                .where(FeedbackItem.category_id == old)
                .values(category_id=new, stage_id=stage_of[new])
            )
        )
        reviewed += _rowcount(
            session.execute(
                update(FeedbackItem)
                .where(FeedbackItem.reviewed_label == old)
                .values(reviewed_label=new)
            )
        )
        daily += _merge_daily(session, old, new, stage_of[new])
    session.flush()
    return RemapCounts(items, reviewed, daily)


def _rowcount(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _merge_daily(session: Session, old: str, new: str, stage_id: str) -> int:
    moved = 0
    for row in session.scalars(select(CategoryDaily).where(CategoryDaily.category_id == old)):
        target = session.scalar(
            select(CategoryDaily).where(
                CategoryDaily.day == row.day, CategoryDaily.category_id == new
            )
        )
        if target is None:
            row.category_id, row.stage_id = new, stage_id
        else:
            target.count += row.count
            session.delete(row)
        session.flush()
        moved += 1
    return moved
