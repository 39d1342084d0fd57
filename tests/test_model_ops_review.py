"""The review queue: low-confidence items are queued, labelled, and exported for training,
on SQLite and PostgreSQL; `winback review` does the same from the command line."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from classifiers.registry import CATEGORY, ModelRegistry
from classifiers.text import TrainingDataError
from classifiers.text.candidate import train_candidate
from classifiers.text.review_queue import (
    ReviewError,
    TrainingRow,
    apply_review_label,
    export_training_rows,
    mark_for_review,
    pending_reviews,
)
from classifiers.text.taxonomy_store import sync_taxonomy
from playbooks.taxonomy import load_taxonomy
from store.models import FeedbackItem
from winback.cli import build_app
from winback.runtime import open_runtime

CLASSIFIED = datetime(2026, 1, 2, tzinfo=UTC)


def _items() -> list[FeedbackItem]:
    def item(n: int, confidence: float | None, classified: bool = True) -> FeedbackItem:
        return FeedbackItem(
            external_id=f"r{n}",
            source="survey",
            text=f"feedback {n}",
            occurred_at=CLASSIFIED,
            category_id="refunds" if classified else None,
            stage_id="value" if classified else None,
            confidence=confidence,
            classified_at=CLASSIFIED if classified else None,
        )

    return [item(1, 0.9), item(2, 0.2), item(3, 0.35), item(4, None, classified=False)]


def test_queue_label_and_export(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        sync_taxonomy(session, load_taxonomy())
        session.add_all(_items())
    with sessions() as session, session.begin():
        assert mark_for_review(session, threshold=0.4) == 2
        assert mark_for_review(session, threshold=0.4) == 0  # already queued
        queue = pending_reviews(session)
        assert [i.external_id for i in queue] == ["r2", "r3"]  # least confident first
        first_id = queue[0].id
    with sessions() as session, session.begin():
        with pytest.raises(ReviewError, match="'nonsense' is not a current category"):
            apply_review_label(session, first_id, "nonsense", "ana")
        with pytest.raises(ReviewError, match="no feedback item 999999"):
            apply_review_label(session, 999999, "refunds", "ana")
        apply_review_label(session, first_id, "card_problems", "ana")
    with sessions() as session:
        assert [i.external_id for i in pending_reviews(session)] == ["r3"]
        labelled = session.get(FeedbackItem, first_id)
        assert labelled is not None and labelled.reviewed_by == "ana"
        assert labelled.category_id == "refunds"  # the model's answer stays for the rollups
        assert export_training_rows(session) == [TrainingRow("feedback 2", "card_problems")]
        # reviewed items are never queued again
        assert mark_for_review(session, threshold=0.99) == 1


def test_review_command_lists_labels_and_exports(cli: CliRunner, tmp_path: Path) -> None:
    with open_runtime().sessions() as session, session.begin():
        session.add_all(_items())
    app = build_app()
    listed = cli.invoke(app, ["review", "--threshold", "0.5"])
    assert listed.exit_code == 0, listed.output
    assert "2 newly queued; 2 shown" in listed.output and "feedback 3" in listed.output
    with open_runtime().sessions() as session:
        item_id = session.query(FeedbackItem.id).filter_by(external_id="r3").scalar()
    bad = cli.invoke(app, ["review", "--item", str(item_id), "--label", "nope"])
    assert bad.exit_code == 2 and "'nope' is not a current category" in bad.output
    half = cli.invoke(app, ["review", "--item", str(item_id)])
    assert half.exit_code == 2 and "go together" in half.output
    done = cli.invoke(
        app, ["review", "--item", str(item_id), "--label", "fees_and_charges", "--reviewer", "bo"]
    )
    assert done.exit_code == 0 and f"item {item_id} labelled fees_and_charges by bo" in done.output
    export = tmp_path / "reviewed.csv"
    out = cli.invoke(app, ["review", "--export", str(export)])
    assert out.exit_code == 0 and "exported 1 reviewed rows" in out.output
    with export.open(encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == [{"text": "feedback 3", "label": "fees_and_charges"}]


def test_reviewed_labels_feed_the_next_candidate(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    taxonomy = load_taxonomy()
    with sqlite_sessions() as session, session.begin():
        sync_taxonomy(session, taxonomy)
        session.add_all(_items())
    with sqlite_sessions() as session, session.begin():
        item = session.query(FeedbackItem).filter_by(external_id="r2").one()
        apply_review_label(session, item.id, "card_problems", "ana")
        # Labelled under an older taxonomy whose category was dropped without a remap: left
        # out of training instead of failing it ("not a category of taxonomy").
        retired = session.query(FeedbackItem).filter_by(external_id="r3").one()
        retired.reviewed_label, retired.reviewed_by = "retired_category", "ana"
    texts = [f"my card {w} is broken" for w in "abcdef"] + [f"refund {w} please" for w in "abcdef"]
    labels = ["card_problems"] * 6 + ["refunds"] * 6
    result = train_candidate(sqlite_sessions, tmp_path / "models", taxonomy, texts, labels)
    assert (result.version, result.rows, result.reviewed_rows) == ("v1", 13, 1)
    card = ModelRegistry(sqlite_sessions, tmp_path / "models").get(CATEGORY, "v1").card
    assert card["reviewed_rows"] == 1 and card["training_rows"] == 13
    with pytest.raises(TrainingDataError, match="'no_such' is not a category"):
        train_candidate(sqlite_sessions, tmp_path / "models", taxonomy, texts, ["no_such"] * 12)
    assert [row.version for row in ModelRegistry(sqlite_sessions, tmp_path / "models").list()] == [
        "v1"
    ]


def test_interactive_review_labels_each_answered_item(cli: CliRunner) -> None:
    with open_runtime().sessions() as session, session.begin():
        session.add_all(_items())
    result = cli.invoke(
        build_app(),
        ["review", "--threshold", "0.5", "--interactive", "--reviewer", "cy"],
        input="refunds\n\n",  # label the least confident item, skip the next
    )
    assert result.exit_code == 0, result.output
    assert "labelled refunds by cy" in result.output
    with open_runtime().sessions() as session:
        assert [r.label for r in export_training_rows(session)] == ["refunds"]
        assert [i.external_id for i in pending_reviews(session)] == ["r3"]
