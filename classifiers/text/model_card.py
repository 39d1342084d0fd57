"""The model card saved beside each model: what it was trained on, how well it did, with what."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from classifiers.text.evaluation import EvaluationReport
from classifiers.text.model import DISTILLED, ENCODER, LINEAR

LIBRARIES = (
    "scikit-learn",
    "skops",
    "spacy",
    "spacy-lookups-data",
    "numpy",
    "scipy",
    "tokenizers",  # the distilled route's student reads its vocabulary with it
    "torch",  # the distilled route trains its teacher with these two
    "model2vec",
)
LINEAR_DESCRIPTION = "tfidf word(lemma 1-2) + char_wb(2-4) -> LinearSVC, sigmoid-calibrated"


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    """sha256 over the (text, label) rows in order: the same data always gives the same hash."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, label]).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def card_route(card: dict[str, Any]) -> str:
    """The route (linear, distilled, encoder) a category model's card records; cards written
    before routes existed hold none, and those models are linear."""
    options = card.get("options")
    route = options.get("route") if isinstance(options, dict) else None
    return str(route) if route else LINEAR


# Sub-options named after the one route that reads them: a card keeps its own route's only.
ROUTE_OPTIONS = (DISTILLED, ENCODER)


def _options_dict(options: object) -> dict[str, Any]:
    if not is_dataclass(options) or isinstance(options, type):
        return {}
    values = dict(json.loads(json.dumps(asdict(options), default=str)))  # Paths as text
    route = values.get("route")
    if route is not None:
        for key in ROUTE_OPTIONS:
            if key != route:
                values.pop(key, None)
    return values


def build_card(
    texts: Sequence[str],
    labels: Sequence[str],
    taxonomy_version: str,
    options: object,
    evaluation: EvaluationReport | None,
    description: str = LINEAR_DESCRIPTION,
) -> dict[str, Any]:
    """A JSON-ready card; `evaluation` is None when the data was too small for a holdout."""
    return {
        "model": description,
        "taxonomy_version": taxonomy_version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_rows": len(texts),
        "training_data_sha256": data_hash(texts, labels),
        "label_counts": dict(sorted(Counter(labels).items())),
        "options": _options_dict(options),
        "evaluation": evaluation.to_dict() if evaluation else None,
        "libraries": library_versions(),
    }
