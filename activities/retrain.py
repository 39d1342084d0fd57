"""Retraining activities: train a candidate, score it and the live model, promote or reject.

Bad data (a missing file or column, an empty text, an unknown label) is a non-retryable
ApplicationError naming file, row and field; it stops the run before anything is registered,
so the live model is never touched. Ops hear the outcome in Slack, or in the log when Slack
is off.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import ProgressHeartbeat
from classifiers.presets import PresetError, map_labels
from classifiers.registry import CATEGORY, ModelRegistry, RegistryError
from classifiers.text import ModelFileError, TrainingDataError, evaluate_model
from classifiers.text.candidate import train_candidate
from classifiers.text.distilled import TrainingExtraMissing
from classifiers.text.training import training_options
from playbooks.taxonomy import Taxonomy
from store.models import ModelVersion
from workflows.retrain import (
    Candidate,
    EvaluateRequest,
    Evaluation,
    LabelledFile,
    OpsNote,
    TrainRequest,
    Verdict,
)

log = logging.getLogger(__name__)
PostChannel = Callable[[str, str, list[dict[str, Any]]], Awaitable[object]]


def bad_data(message: str) -> ApplicationError:
    return ApplicationError(message, type="BadTrainingData", non_retryable=True)


def read_labelled(spec: LabelledFile) -> tuple[list[str], list[str]]:
    """Texts and taxonomy labels from a CSV; errors name the file, row and field."""
    path = Path(spec.path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            for column in (spec.text_column, spec.label_column):
                if column not in fields:
                    raise bad_data(f"{path}: field {column!r} missing (columns: {fields})")
            texts, labels = [], []
            for row_number, row in enumerate(reader, start=1):  # data rows, header not counted
                text = (row.get(spec.text_column) or "").strip()
                label = (row.get(spec.label_column) or "").strip()
                if not text:
                    raise bad_data(f"{path}: row {row_number}, field {spec.text_column}: empty")
                if not label:
                    raise bad_data(f"{path}: row {row_number}, field {spec.label_column}: empty")
                texts.append(text)
                labels.append(label)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise bad_data(f"{path}: cannot read ({exc})") from None
    if not texts:
        raise bad_data(f"{path}: no rows")
    if spec.preset:
        try:
            labels = map_labels(labels, spec.preset, source=str(path), field=spec.label_column)
        except PresetError as exc:
            raise bad_data(str(exc)) from None
    return texts, labels


class RetrainActivities:
    """Built once per worker with the store, the registry, the taxonomy and an ops poster."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry: ModelRegistry,
        taxonomy: Taxonomy,
        ops_channel: str,
        post_channel: PostChannel | None,
    ) -> None:
        self._sessions = sessions
        self._registry = registry
        self._taxonomy = taxonomy
        self._ops_channel = ops_channel
        self._post_channel = post_channel

    @activity.defn(name="retrain_train_candidate")
    def train_candidate(self, request: TrainRequest) -> Candidate:
        """Train on the file (plus reviewed labels) and register a candidate, heartbeating."""
        texts, labels = read_labelled(request.data)
        try:
            options = training_options(
                request.route, Path(request.encoder) if request.encoder else None
            )
        except ValueError as exc:  # an unknown route or encoder folder: retrying cannot help
            raise bad_data(str(exc)) from None
        try:
            with ProgressHeartbeat() as progress:
                result = train_candidate(
                    self._sessions,
                    self._registry.models_dir,
                    self._taxonomy,
                    texts,
                    labels,
                    source=request.data.path,
                    include_reviews=request.include_reviewed,
                    options=options,
                    progress=progress.note,
                    request_id=request.request_id,
                )
        except (TrainingDataError, TrainingExtraMissing) as exc:
            raise bad_data(str(exc)) from None
        activity.logger.info("registered candidate %s (%d examples)", result.version, result.rows)
        return Candidate(
            result.version, examples=result.rows, reviewed_examples=result.reviewed_rows
        )

    @activity.defn(name="retrain_evaluate")
    def evaluate(self, request: EvaluateRequest) -> Evaluation:
        """Macro-F1 of the candidate and of the live model on the same gold set."""
        texts, labels = read_labelled(request.gold)
        with ProgressHeartbeat() as progress:
            progress.note(f"scoring candidate {request.candidate_version} on {len(texts)} texts")
            candidate = self._registry.load_category_model(request.candidate_version)
            candidate_f1 = evaluate_model(candidate, texts, labels, method="gold").macro_f1
            live = self._registry.live(CATEGORY)
            live_f1: float | None = None
            if live is not None and live.version != request.candidate_version:
                progress.note(f"scoring live {live.version} on {len(texts)} texts")
                live_model = self._registry.load_category_model(live.version)
                live_f1 = evaluate_model(live_model, texts, labels, method="gold").macro_f1
        return Evaluation(
            candidate_version=request.candidate_version,
            candidate_macro_f1=round(candidate_f1, 4),
            live_version=live.version if live is not None else None,
            live_macro_f1=round(live_f1, 4) if live_f1 is not None else None,
            gold_examples=len(texts),
        )

    @activity.defn(name="retrain_apply_verdict")
    def apply_verdict(self, verdict: Verdict) -> str:
        """Promote the candidate, or keep it as a rejected candidate with the reason."""
        if verdict.promote:
            try:
                self._registry.promote(CATEGORY, verdict.candidate_version)
            except (RegistryError, ModelFileError) as exc:
                raise ApplicationError(
                    str(exc), type="PromotionRefused", non_retryable=True
                ) from None
            return "live"
        with self._sessions() as session, session.begin():
            row = session.scalars(
                select(ModelVersion).where(
                    ModelVersion.kind == CATEGORY,
                    ModelVersion.version == verdict.candidate_version,
                )
            ).one()
            card = dict(row.card or {})
            card["rejected_because"] = verdict.reason
            session.execute(
                update(ModelVersion)
                .where(ModelVersion.id == row.id, ModelVersion.status == "candidate")
                .values(status="rejected", card=card)
            )
        return "rejected"

    @activity.defn(name="retrain_notify_ops")
    async def notify_ops(self, note: OpsNote) -> str:
        """Tell ops in Slack; with Slack off the note goes to the worker's log."""
        if self._post_channel is None:
            log.warning("ops: %s", note.text)
            return "logged"
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": note.text[:3000]}}]
        await self._post_channel(self._ops_channel, note.text, blocks)
        return "slack"
