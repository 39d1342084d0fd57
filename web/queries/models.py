"""Model versions for the ops page: cards read into per-category scores and a confusion
matrix, and the review queue. Actions go through classifiers.registry / review_queue."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.registry import CATEGORY
from classifiers.text.model_card import card_route
from store.models import Category, FeedbackItem, ModelVersion

REVIEW_SHOWN = 50
_SUMMARY_ROWS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


@dataclass(frozen=True)
class CategoryScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ModelView:
    row: ModelVersion
    scores: list[CategoryScore] = field(default_factory=list)
    confusion_labels: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)  # plain card values (accuracy, ...)


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _evaluation(card: dict[str, object]) -> dict[str, object]:
    """The card's holdout evaluation (classifiers.text cards nest it), else the card itself."""
    nested = card.get("evaluation")
    return nested if isinstance(nested, dict) else card


def scores_from_card(card: dict[str, object]) -> list[CategoryScore]:
    """Per-category scores from the card: a {label: {precision, recall, f1, support}} map
    (sklearn's classification_report(output_dict=True) shape) or a list of such dicts."""
    card = _evaluation(card)
    report = next(
        (
            card[k]
            for k in ("per_category", "per_class", "classification_report", "report")
            if k in card
        ),
        None,
    )
    if isinstance(report, list):
        report = {
            str(r.get("category") or r.get("label")): r for r in report if isinstance(r, dict)
        }
    if not isinstance(report, dict):
        return []
    scores = []
    for label, row in report.items():
        if label in _SUMMARY_ROWS or not isinstance(row, dict):
            continue
        scores.append(
            CategoryScore(
                str(label),
                _num(row.get("precision")),
                _num(row.get("recall")),
                _num(row.get("f1", row.get("f1-score", row.get("f1_score")))),
                int(_num(row.get("support"))),
            )
        )
    return sorted(scores, key=lambda s: s.label)


def confusion_from_card(card: dict[str, object]) -> tuple[list[str], list[list[int]]]:
    card = _evaluation(card)
    raw = card.get("confusion_matrix", card.get("confusion"))
    labels = card.get("confusion_labels", card.get("labels"))
    if isinstance(raw, dict):
        labels = raw.get("labels", labels)
        raw = raw.get("matrix")
    if not isinstance(raw, list) or not isinstance(labels, list) or len(labels) != len(raw):
        return [], []
    return [str(x) for x in labels], [[int(_num(v)) for v in row] for row in raw]


def model_views(session: Session) -> list[ModelView]:
    rows = session.scalars(
        select(ModelVersion).order_by(ModelVersion.kind, ModelVersion.created_at.desc())
    )
    views = []
    for row in rows:
        card = row.card or {}
        labels, matrix = confusion_from_card(card)
        summary = {
            k: v
            for k, v in {**card, **_evaluation(card)}.items()
            if isinstance(v, int | float) or k in ("method", "taxonomy_version")
        }
        if row.kind == CATEGORY:
            summary["route"] = card_route(card)
        views.append(ModelView(row, scores_from_card(card), labels, matrix, summary))
    return views


def review_queue(session: Session) -> list[FeedbackItem]:
    return list(
        session.scalars(
            select(FeedbackItem)
            .where(FeedbackItem.needs_review.is_(True), FeedbackItem.reviewed_label.is_(None))
            .order_by(FeedbackItem.confidence, FeedbackItem.id)
            .limit(REVIEW_SHOWN)
        )
    )


def category_choices(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Category.id, Category.name).where(Category.retired.is_(False)).order_by(Category.id)
    )
    return [(str(i), str(n)) for i, n in rows]
