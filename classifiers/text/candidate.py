"""Train a candidate category model and register it: the one routine behind `winback model
train` and the retraining workflow's activity. The live model is never touched here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from classifiers.registry import CATEGORY, ModelRegistry
from classifiers.text.review_queue import export_training_rows
from classifiers.text.taxonomy_store import sync_taxonomy
from classifiers.text.training import (
    Progress,
    TrainingOptions,
    no_progress,
    train_category_model,
)
from playbooks.taxonomy import Taxonomy
from store.db import transaction

REQUEST_KEY = "training_request"  # in the card: the request that trained this version


@dataclass(frozen=True)
class CandidateResult:
    version: str
    rows: int
    reviewed_rows: int
    holdout_accuracy: float | None
    holdout_macro_f1: float | None


def train_candidate(
    sessions: sessionmaker[Session],
    models_dir: Path,
    taxonomy: Taxonomy,
    texts: Sequence[str],
    labels: Sequence[str],
    source: str = "data",
    include_reviews: bool = True,
    options: TrainingOptions | None = None,
    progress: Progress = no_progress,
    request_id: str = "",
) -> CandidateResult:
    """Sync the taxonomy, add reviewed labels, train, and register the model as a candidate.

    Reviewed labels of categories the taxonomy no longer has (retired without a remap) and
    reviewed items without text are left out rather than failing the run.
    With a request_id the call is idempotent: a candidate an earlier call (say, an activity
    attempt whose worker died before reporting) registered for it is returned, untrained again.
    Raises TrainingDataError (nothing registered) when the data cannot make a model.
    """
    registry = ModelRegistry(sessions, models_dir)
    if request_id:
        earlier = registered_for(registry, request_id)
        if earlier is not None:
            progress(f"{earlier.version} was already registered for this request")
            return earlier
    known = set(taxonomy.category_ids)
    with transaction(sessions) as session:
        sync_taxonomy(session, taxonomy)
        exported = export_training_rows(session) if include_reviews else []
    reviewed = [row for row in exported if row.label in known and row.text.strip()]
    all_texts = [*texts, *(row.text for row in reviewed)]
    all_labels = [*labels, *(row.label for row in reviewed)]
    model = train_category_model(
        all_texts, all_labels, taxonomy, options, source=source, progress=progress
    )
    model.card["data_source"] = source
    model.card["reviewed_rows"] = len(reviewed)
    if request_id:
        model.card[REQUEST_KEY] = request_id
    with TemporaryDirectory() as scratch:
        saved = model.save(Path(scratch))
        version = registry.register(CATEGORY, saved, model.card)
    evaluation = model.card.get("evaluation") or {}
    return CandidateResult(
        version=version,
        rows=len(all_texts),
        reviewed_rows=len(reviewed),
        holdout_accuracy=evaluation.get("accuracy"),
        holdout_macro_f1=evaluation.get("macro_f1"),
    )


def registered_for(registry: ModelRegistry, request_id: str) -> CandidateResult | None:
    """The category candidate registered for request_id, if any (newest first)."""
    for row in reversed(registry.list(CATEGORY)):
        card: dict[str, Any] = dict(row.card or {})
        if card.get(REQUEST_KEY) == request_id:
            evaluation = card.get("evaluation") or {}
            return CandidateResult(
                version=row.version,
                rows=int(card.get("training_rows", 0)),
                reviewed_rows=int(card.get("reviewed_rows", 0)),
                holdout_accuracy=evaluation.get("accuracy"),
                holdout_macro_f1=evaluation.get("macro_f1"),
            )
    return None
