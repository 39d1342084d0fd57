"""Train a candidate category model and register it: the one routine behind `winback model
train` and the retraining workflow's activity. The live model is never touched here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

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
) -> CandidateResult:
    """Sync the taxonomy, add reviewed labels, train, and register the model as a candidate.

    Reviewed labels of categories the taxonomy no longer has (retired without a remap) and
    reviewed items without text are left out rather than failing the run.
    Raises TrainingDataError (nothing registered) when the data cannot make a model.
    """
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
    with TemporaryDirectory() as scratch:
        saved = model.save(Path(scratch))
        version = ModelRegistry(sessions, models_dir).register(CATEGORY, saved, model.card)
    evaluation = model.card.get("evaluation") or {}
    return CandidateResult(
        version=version,
        rows=len(all_texts),
        reviewed_rows=len(reviewed),
        holdout_accuracy=evaluation.get("accuracy"),
        holdout_macro_f1=evaluation.get("macro_f1"),
    )
