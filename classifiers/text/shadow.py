"""Shadow scoring: run a candidate model beside the live one on recent feedback, compare."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.text.model import CategoryModel
from store.models import FeedbackItem


@dataclass(frozen=True)
class ShadowReport:
    n: int
    agreement: float
    # (live category, candidate category, count), most frequent first
    top_disagreements: list[tuple[str, str, int]]


def recent_feedback_texts(session: Session, limit: int) -> list[str]:
    """Texts of the most recent feedback items (already redacted when stored)."""
    query = select(FeedbackItem.text).order_by(FeedbackItem.occurred_at.desc()).limit(limit)
    return list(session.scalars(query))


def shadow_compare(
    live: CategoryModel, candidate: CategoryModel, texts: Sequence[str], top: int = 5
) -> ShadowReport:
    """How often the candidate picks the live model's category, and where they differ most."""
    if not texts:
        return ShadowReport(n=0, agreement=0.0, top_disagreements=[])
    live_labels = live.predict_labels(texts)
    candidate_labels = candidate.predict_labels(texts)
    pairs = list(zip(live_labels, candidate_labels, strict=True))
    agree = sum(1 for a, b in pairs if a == b)
    differ = Counter((a, b) for a, b in pairs if a != b)
    return ShadowReport(
        n=len(pairs),
        agreement=agree / len(pairs),
        top_disagreements=[(a, b, count) for (a, b), count in differ.most_common(top)],
    )
