"""Taxonomy in the store: loading syncs the stage/category tables; a version change re-maps
stored history (feedback items, reviewed labels and daily counts), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from classifiers.text.taxonomy_store import apply_category_remap, sync_taxonomy
from playbooks.taxonomy import DEFAULT_TAXONOMY_PATH, load_taxonomy, parse_taxonomy
from store.models import Category, CategoryDaily, FeedbackItem, JourneyStage


def _next_version() -> dict[str, Any]:
    """The shipped taxonomy, v2: refunds and billing merge into `money_back_and_billing`."""
    data = yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    value = next(stage for stage in data["stages"] if stage["id"] == "value")
    value["categories"] = [
        c for c in value["categories"] if c["id"] not in ("refunds", "billing_and_statements")
    ]
    value["categories"].append({"id": "money_back_and_billing", "name": "Money back and billing"})
    data["version"] = "2026.2"
    data["remap_from"] = {
        "version": "2026.1",
        "categories": {
            "refunds": "money_back_and_billing",
            "billing_and_statements": "money_back_and_billing",
        },
    }
    return data


def _item(n: int, category: str, reviewed: str | None = None) -> FeedbackItem:
    return FeedbackItem(
        external_id=f"t-{n}",
        source="ticket",
        text="text",
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
        category_id=category,
        stage_id="value",
        reviewed_label=reviewed,
    )


def test_sync_then_remap_moves_history(sessions: sessionmaker[Session]) -> None:
    first = load_taxonomy()
    with sessions() as session, session.begin():
        sync_taxonomy(session, first)
    with sessions() as session:
        assert (
            session.scalar(select(JourneyStage.company_alias).where(JourneyStage.id == "renewal"))
            == "Renewal"
        )
        assert len(session.scalars(select(Category)).all()) == len(first.category_ids)

    day = date(2026, 1, 5)
    with sessions() as session, session.begin():
        session.add_all(
            [
                _item(1, "refunds"),
                _item(2, "billing_and_statements", reviewed="refunds"),
                _item(3, "card_problems"),
            ]
        )
        session.add_all(
            [
                CategoryDaily(day=day, category_id="refunds", stage_id="value", count=4),
                CategoryDaily(
                    day=day, category_id="billing_and_statements", stage_id="value", count=3
                ),
                CategoryDaily(
                    day=date(2026, 1, 6), category_id="refunds", stage_id="value", count=2
                ),
            ]
        )

    second = parse_taxonomy(_next_version())
    with sessions() as session, session.begin():
        sync_taxonomy(session, second)
        counts = apply_category_remap(session, second)
    assert (counts.feedback_items, counts.reviewed_labels, counts.daily_rows) == (2, 1, 3)

    with sessions() as session:
        categories = {c.id: c for c in session.scalars(select(Category))}
        assert categories["refunds"].retired and not categories["money_back_and_billing"].retired
        assert categories["money_back_and_billing"].taxonomy_version == "2026.2"
        items = {i.external_id: i for i in session.scalars(select(FeedbackItem))}
        assert items["t-1"].category_id == items["t-2"].category_id == "money_back_and_billing"
        assert items["t-2"].reviewed_label == "money_back_and_billing"
        assert items["t-3"].category_id == "card_problems"
        daily = sorted(
            (r.day, r.category_id, r.count) for r in session.scalars(select(CategoryDaily))
        )
        assert daily == [
            (day, "money_back_and_billing", 7),
            (date(2026, 1, 6), "money_back_and_billing", 2),
        ]

    with sessions() as session, session.begin():
        again = apply_category_remap(session, second)
    assert (again.feedback_items, again.daily_rows) == (0, 0)
