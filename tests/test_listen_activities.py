"""Listening activities called directly on SQLite and PostgreSQL: exactly-once rollups.

Also holds the small helpers the listening and retraining tests share: a tiny bitext
training set mapped onto the shipped taxonomy, and feedback rows to classify.
"""

from __future__ import annotations

import csv
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from activities.listen import ClassifyBatchInput, ListenActivities, PendingQuery
from classifiers.text import CategoryModel, train_category_model
from playbooks.taxonomy import load_taxonomy
from store.models import CategoryDaily, FeedbackItem

BITEXT = Path(__file__).parents[1] / "winback/sample_data/bitext"
# Bitext's categories mapped onto the shipped taxonomy, for five clearly distinct ones.
BITEXT_TO_TAXONOMY = {
    "ORDER": "ordering",
    "REFUND": "refunds",
    "DELIVERY": "delivery_and_tracking",
    "NEWSLETTER": "marketing_and_offers",
    "PAYMENT": "payments_and_transfers",
}
DAY = date(2026, 11, 20)


def bitext_rows(split: str, per_category: int, skip: int = 0) -> list[tuple[str, str]]:
    """(text, taxonomy category) pairs: the first `per_category` of each mapped category."""
    name = f"Bitext_Sample_Customer_Service_{split}_Dataset.csv"
    taken: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    rows = []
    with (BITEXT / name).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            category = BITEXT_TO_TAXONOMY.get(row["category"])
            if category is None:
                continue
            seen[category] += 1
            if seen[category] <= skip or taken[category] >= per_category:
                continue
            taken[category] += 1
            rows.append((row["utterance"], category))
    return rows


def train_tiny_model(directory: Path, per_category: int = 12) -> Path:
    """A real CategoryModel trained on a few dozen bitext texts, saved in directory."""
    rows = bitext_rows("Training", per_category)
    model = train_category_model([t for t, _ in rows], [c for _, c in rows], load_taxonomy())
    return model.save(directory)


def add_feedback(
    sessions: sessionmaker[Session], texts: list[str], day: date = DAY, prefix: str = "fb"
) -> list[int]:
    """Unclassified feedback items on `day`, spread over its hours."""
    with sessions() as session, session.begin():
        items = [
            FeedbackItem(
                external_id=f"{prefix}-{i}",
                source="rescue" if i % 5 == 0 else "complaint",
                text=text,
                occurred_at=datetime.combine(day, time(i % 24, 0), UTC),
            )
            for i, text in enumerate(texts)
        ]
        session.add_all(items)
        session.flush()
        return [item.id for item in items]


def daily_totals(sessions: sessionmaker[Session]) -> dict[tuple[date, str], int]:
    with sessions() as session:
        rows = session.execute(
            select(CategoryDaily.day, CategoryDaily.category_id, CategoryDaily.count)
        )
        return {(day, category): count for day, category, count in rows}


def item_totals(sessions: sessionmaker[Session]) -> dict[tuple[date, str], int]:
    """What the rollup must equal: classified items counted per day and category."""
    with sessions() as session:
        rows = session.execute(
            select(FeedbackItem.occurred_at, FeedbackItem.category_id).where(
                FeedbackItem.classified_at.is_not(None)
            )
        )
        return dict(Counter((at.astimezone(UTC).date(), category) for at, category in rows))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tiny_model(tmp_path_factory.mktemp("model") / "v1")


def activities_for(sessions: sessionmaker[Session], model_dir: Path) -> ListenActivities:
    return ListenActivities(sessions, lambda: "v1", lambda _version: CategoryModel.load(model_dir))


def test_classify_batch_twice_counts_each_item_once(
    sessions: sessionmaker[Session], model_dir: Path
) -> None:
    texts = [text for text, _ in bitext_rows("Testing", 4)]
    ids = add_feedback(sessions, texts[:12], DAY) + add_feedback(
        sessions, texts[12:], DAY - timedelta(days=1), prefix="older"
    )
    listen = activities_for(sessions, model_dir)
    assert listen.pending_feedback_ids(PendingQuery(limit=100)) == ids

    first = listen.classify_batch(ClassifyBatchInput(ids, "v1"))
    retried = listen.classify_batch(ClassifyBatchInput(ids, "v1"))  # as a retried activity

    assert (first.classified, first.already_classified) == (len(ids), 0)
    assert (retried.classified, retried.already_classified) == (0, len(ids))
    assert sum(daily_totals(sessions).values()) == len(ids) == 20
    assert daily_totals(sessions) == item_totals(sessions)
    assert listen.pending_feedback_ids(PendingQuery(limit=100)) == []
    with sessions() as session:
        item = session.get(FeedbackItem, ids[0])
        assert item is not None and item.classified_at is not None
        assert item.model_version == "v1"
        assert item.category_id in BITEXT_TO_TAXONOMY.values()
        assert item.stage_id and 0.0 < (item.confidence or 0) <= 1.0
        assert item.alternatives and {"category_id", "confidence"} <= set(item.alternatives[0])


def test_the_model_is_mostly_right_on_unseen_bitext(
    sqlite_sessions: sessionmaker[Session], model_dir: Path
) -> None:
    rows = bitext_rows("Testing", 6)
    ids = add_feedback(sqlite_sessions, [text for text, _ in rows])
    activities_for(sqlite_sessions, model_dir).classify_batch(ClassifyBatchInput(ids, "v1"))
    with sqlite_sessions() as session:
        got = session.scalars(select(FeedbackItem.category_id).order_by(FeedbackItem.id)).all()
    right = sum(g == want for g, (_, want) in zip(got, rows, strict=True))
    assert right / len(rows) >= 0.8


def test_review_threshold_flags_low_confidence_items(
    sqlite_sessions: sessionmaker[Session], model_dir: Path
) -> None:
    ids = add_feedback(sqlite_sessions, [text for text, _ in bitext_rows("Testing", 2)])
    result = activities_for(sqlite_sessions, model_dir).classify_batch(
        ClassifyBatchInput(ids, "v1", review_threshold=1.01)
    )
    assert result.needs_review == len(ids)
    with sqlite_sessions() as session:
        flagged = session.scalar(
            select(func.count()).select_from(FeedbackItem).where(FeedbackItem.needs_review)
        )
    assert flagged == len(ids)


def test_model_is_loaded_once_per_version(
    sqlite_sessions: sessionmaker[Session], model_dir: Path
) -> None:
    loads: list[str] = []

    def load(version: str) -> CategoryModel:
        loads.append(version)
        return CategoryModel.load(model_dir)

    listen = ListenActivities(sqlite_sessions, lambda: "v1", load)
    for prefix in ("a", "b", "c"):
        ids = add_feedback(sqlite_sessions, ["where is my order"], prefix=prefix)
        listen.classify_batch(ClassifyBatchInput(ids, "v1"))
    assert loads == ["v1"]


def test_two_attempts_at_once_still_count_each_item_once(
    sessions: sessionmaker[Session], model_dir: Path
) -> None:
    """A retry that starts while the first attempt still runs (a timed-out heartbeat)."""
    ids = add_feedback(sessions, [text for text, _ in bitext_rows("Testing", 6)])
    listen = activities_for(sessions, model_dir)
    listen.model("v1")  # both attempts share the loaded model, as on one worker
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(listen.classify_batch, [ClassifyBatchInput(ids, "v1")] * 2))
    assert sorted(r.classified for r in results) == [0, len(ids)]
    assert sum(daily_totals(sessions).values()) == len(ids)
    assert daily_totals(sessions) == item_totals(sessions)
