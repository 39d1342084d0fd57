"""A reviewer's label moves the item's daily count to the corrected category, so leaders'
trends show what people decided; the model's own answer is kept. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from activities.listen import ClassifyBatchInput
from classifiers.text.review_queue import apply_review_label
from classifiers.text.taxonomy_store import sync_taxonomy
from playbooks.taxonomy import load_taxonomy
from store.models import FeedbackItem
from tests.test_listen_activities import (
    activities_for,
    add_feedback,
    bitext_rows,
    daily_totals,
    train_tiny_model,
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tiny_model(tmp_path_factory.mktemp("model") / "v1")


def effective_totals(sessions: sessionmaker[Session]) -> dict[tuple[date, str], int]:
    """What the rollup must equal: classified items per day under label-else-model."""
    with sessions() as session:
        rows = session.execute(
            select(
                FeedbackItem.occurred_at,
                func.coalesce(FeedbackItem.reviewed_label, FeedbackItem.category_id),
            ).where(FeedbackItem.classified_at.is_not(None))
        )
        return dict(Counter((at.astimezone(UTC).date(), category) for at, category in rows))


def label(sessions: sessionmaker[Session], item_id: int, category_id: str) -> None:
    with sessions() as session, session.begin():
        apply_review_label(session, item_id, category_id, "ana")


def test_a_label_moves_the_count_and_keeps_the_models_answer(
    sessions: sessionmaker[Session], model_dir: Path
) -> None:
    with sessions() as session, session.begin():
        sync_taxonomy(session, load_taxonomy())
    ids = add_feedback(sessions, [text for text, _ in bitext_rows("Testing", 2)])
    activities_for(sessions, model_dir).classify_batch(ClassifyBatchInput(ids, "v1"))
    before = daily_totals(sessions)
    with sessions() as session:
        item = session.get(FeedbackItem, ids[0])
        assert item is not None and item.category_id is not None
        said, day = item.category_id, item.occurred_at.astimezone(UTC).date()
    other = "fees_and_charges" if said != "fees_and_charges" else "refunds"

    label(sessions, ids[0], other)
    after = daily_totals(sessions)
    assert after[(day, said)] == before[(day, said)] - 1
    assert after[(day, other)] == before.get((day, other), 0) + 1
    assert sum(after.values()) == sum(before.values())
    with sessions() as session:
        relabelled = session.get(FeedbackItem, ids[0])
        assert relabelled is not None and relabelled.category_id == said  # the model's answer

    label(sessions, ids[0], other)  # the same label again: nothing moves
    assert daily_totals(sessions) == after
    label(sessions, ids[0], said)  # back to what the model said
    assert {k: v for k, v in daily_totals(sessions).items() if v} == before
    assert {k: v for k, v in daily_totals(sessions).items() if v} == effective_totals(sessions)


def test_a_label_given_before_classification_is_what_gets_counted(
    sessions: sessionmaker[Session], model_dir: Path
) -> None:
    with sessions() as session, session.begin():
        sync_taxonomy(session, load_taxonomy())
    ids = add_feedback(sessions, [text for text, _ in bitext_rows("Testing", 1)], prefix="early")
    label(sessions, ids[0], "fees_and_charges")  # no model has seen it yet: nothing counted
    assert daily_totals(sessions) == {}
    activities_for(sessions, model_dir).classify_batch(ClassifyBatchInput(ids, "v1"))
    totals = daily_totals(sessions)
    assert totals == effective_totals(sessions)
    assert any(category == "fees_and_charges" for _, category in totals)
