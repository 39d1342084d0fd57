"""Listening activities: find unclassified feedback, classify a batch, roll the counts up.

Each item is written with `WHERE classified_at IS NULL` and its day's CategoryDaily count is
incremented in the same transaction, so a retried or repeated batch counts every item once.
The live category model is loaded once per worker process and cached by version.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from classifiers.registry import CATEGORY, ModelRegistry, RegistryError
from classifiers.text import CategoryModel, ModelFileError, Prediction
from store.category_counts import increment_daily, rollup_day
from store.models import Category, FeedbackItem
from winback.settings import Settings


@dataclass(frozen=True)
class PendingQuery:
    after_id: int = 0  # only ids above this: a batch that cannot be classified is not re-read
    limit: int = 200


@dataclass(frozen=True)
class ClassifyBatchInput:
    ids: list[int]
    model_version: str
    # Below this confidence an item needs a human review; None keeps the model's own flag
    # (it also flags empty and non-Latin texts).
    review_threshold: float | None = None


@dataclass(frozen=True)
class ClassifyBatchResult:
    classified: int  # items this call wrote (0 for items another attempt already wrote)
    needs_review: int
    already_classified: int
    categories: dict[str, int] = field(default_factory=dict)


def _stages_of(session: Session, category_ids: set[str]) -> dict[str, str]:
    if not category_ids:
        return {}
    rows = session.execute(
        select(Category.id, Category.stage_id).where(Category.id.in_(category_ids))
    )
    return {category_id: stage_id for category_id, stage_id in rows}


def _alternatives(prediction: Prediction) -> list[object]:
    """Runner-up categories as plain JSON: [{"category_id": ..., "confidence": ...}, ...]."""
    return [
        {"category_id": category_id, "confidence": round(float(confidence), 4)}
        for category_id, confidence in prediction.alternatives
    ]


class ListenActivities:
    """Built once per worker with its store and a loader of model versions."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        live_version: Callable[[], str | None],
        load_model: Callable[[str], CategoryModel],
    ) -> None:
        self._sessions = sessions
        self._live_version = live_version
        self._load_model = load_model
        self._models: dict[str, CategoryModel] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_registry(
        cls, sessions: sessionmaker[Session], registry: ModelRegistry
    ) -> ListenActivities:
        """Activities that classify with the registry's live category model."""

        def live_version() -> str | None:
            row = registry.live(CATEGORY)
            return row.version if row is not None else None

        return cls(sessions, live_version, registry.load_category_model)

    def model(self, version: str) -> CategoryModel:
        """The category model of `version`, loaded on first use in this process."""
        with self._lock:
            if version not in self._models:
                self._models[version] = self._load_model(version)
            return self._models[version]

    @activity.defn(name="listen_live_model_version")
    def live_model_version(self) -> str | None:
        """The live category model's version, or None when none has been promoted."""
        return self._live_version()

    @activity.defn(name="listen_pending_feedback_ids")
    def pending_feedback_ids(self, query: PendingQuery) -> list[int]:
        with self._sessions() as session:
            rows = session.scalars(
                select(FeedbackItem.id)
                .where(FeedbackItem.classified_at.is_(None), FeedbackItem.id > query.after_id)
                .order_by(FeedbackItem.id)
                .limit(query.limit)
            )
            return list(rows)

    @activity.defn(name="listen_classify_batch")
    def classify_batch(self, batch: ClassifyBatchInput) -> ClassifyBatchResult:
        if not batch.ids:
            return ClassifyBatchResult(classified=0, needs_review=0, already_classified=0)
        try:
            model = self.model(batch.model_version)
        except (RegistryError, ModelFileError, FileNotFoundError) as exc:
            raise ApplicationError(
                f"category model {batch.model_version!r} cannot be loaded: {exc}",
                type="ModelMissing",
                non_retryable=True,
            ) from exc
        with self._sessions() as session, session.begin():
            items = session.execute(
                select(
                    FeedbackItem.id,
                    FeedbackItem.text,
                    FeedbackItem.occurred_at,
                    FeedbackItem.reviewed_label,
                )
                .where(FeedbackItem.id.in_(batch.ids), FeedbackItem.classified_at.is_(None))
                .order_by(FeedbackItem.id)
            ).all()
            predictions = model.predict([item.text for item in items]) if items else []
            stages = _stages_of(session, {item.reviewed_label for item in items} - {None})
            now = datetime.now(UTC)
            rollup: Counter[tuple[date, str, str]] = Counter()
            needs_review = 0
            for item, prediction in zip(items, predictions, strict=True):
                item_id, occurred_at, label = item.id, item.occurred_at, item.reviewed_label
                review = prediction.needs_review or (
                    batch.review_threshold is not None
                    and float(prediction.confidence) < batch.review_threshold
                )
                written = session.execute(
                    update(FeedbackItem)
                    .where(FeedbackItem.id == item_id, FeedbackItem.classified_at.is_(None))
                    .values(
                        category_id=prediction.category_id,
                        stage_id=prediction.stage_id,
                        confidence=round(float(prediction.confidence), 4),
                        alternatives=_alternatives(prediction),
                        model_version=batch.model_version,
                        classified_at=now,
                        needs_review=review,
                    )
                )
                if written.rowcount == 1:  # type: ignore[attr-defined]
                    day = rollup_day(occurred_at)
                    # Counted under its effective category: a label given before the
                    # model saw the item wins over the model's answer.
                    if label is not None and label in stages:
                        rollup[(day, label, stages[label])] += 1
                    else:
                        rollup[(day, prediction.category_id, prediction.stage_id)] += 1
                    needs_review += int(review)
            for (day, category_id, stage_id), n in sorted(rollup.items()):
                increment_daily(session, day, category_id, stage_id, n)
        per_category: Counter[str] = Counter()
        for (_, category_id, _), n in rollup.items():
            per_category[category_id] += n
        classified = sum(rollup.values())
        return ClassifyBatchResult(
            classified=classified,
            needs_review=needs_review,
            already_classified=len(batch.ids) - classified,
            categories=dict(per_category),
        )


def listening_activities(
    settings: Settings, sessions: sessionmaker[Session]
) -> list[Callable[..., Any]]:
    """The listening, spike-alert and retraining activities, built for one worker process."""
    from activities.alerts import SpikeAlertActivities
    from activities.retrain import RetrainActivities
    from activities.slack_transport import SlackTransport
    from playbooks.taxonomy import load_taxonomy

    registry = ModelRegistry(sessions, settings.models_dir)
    poster = SlackTransport(settings).post_channel if settings.slack_enabled() else None
    listen = ListenActivities.from_registry(sessions, registry)
    alerts = SpikeAlertActivities(sessions, settings, poster)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    retrain = RetrainActivities(sessions, registry, taxonomy, settings.slack_ops_channel, poster)
    return [
        listen.live_model_version,
        listen.pending_feedback_ids,
        listen.classify_batch,
        alerts.record_spikes,
        alerts.send_spike_alert,
        retrain.train_candidate,
        retrain.evaluate,
        retrain.apply_verdict,
        retrain.notify_ops,
    ]
