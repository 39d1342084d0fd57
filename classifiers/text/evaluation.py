"""Score a category model: accuracy, per-category precision/recall/F1 and the confusion matrix.

The per-category numbers come from sklearn's classification_report (zero_division=0) so the
ops report and sklearn always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

if TYPE_CHECKING:
    from classifiers.text.model import CategoryModel


@dataclass(frozen=True)
class CategoryScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvaluationReport:
    method: str
    n: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_category: dict[str, CategoryScore]
    labels: list[str]
    confusion: list[list[int]]  # rows: true label, columns: predicted, in `labels` order

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """A fixed-width table like sklearn's classification_report."""
        width = max([len(label) for label in self.labels] + [12])
        lines = [f"{'category':<{width}}  precision  recall  f1-score  support"]
        for label, score in self.per_category.items():
            lines.append(
                f"{label:<{width}}  {score.precision:9.4f}  {score.recall:6.4f}  "
                f"{score.f1:8.4f}  {score.support:7d}"
            )
        lines.append(f"{'accuracy':<{width}}  {self.accuracy:.4f} of {self.n} ({self.method})")
        lines.append(f"{'macro f1':<{width}}  {self.macro_f1:.4f}")
        lines.append(f"{'weighted f1':<{width}}  {self.weighted_f1:.4f}")
        return "\n".join(lines)


def evaluate_predictions(
    true_labels: Sequence[str], predicted: Sequence[str], method: str = "test"
) -> EvaluationReport:
    """The report for predicted against true labels."""
    labels = sorted(set(true_labels) | set(predicted))
    report: dict[str, Any] = classification_report(
        true_labels, predicted, labels=labels, output_dict=True, zero_division=0
    )
    per_category = {
        label: CategoryScore(
            precision=float(report[label]["precision"]),
            recall=float(report[label]["recall"]),
            f1=float(report[label]["f1-score"]),
            support=int(report[label]["support"]),
        )
        for label in labels
    }
    matrix = confusion_matrix(true_labels, predicted, labels=labels)
    return EvaluationReport(
        method=method,
        n=len(true_labels),
        accuracy=float(accuracy_score(true_labels, predicted)),
        macro_f1=float(report["macro avg"]["f1-score"]),
        weighted_f1=float(report["weighted avg"]["f1-score"]),
        per_category=per_category,
        labels=labels,
        confusion=[[int(value) for value in row] for row in matrix],
    )


def evaluate_model(
    model: CategoryModel, texts: Sequence[str], labels: Sequence[str], method: str = "test"
) -> EvaluationReport:
    """The model's report on labelled texts."""
    return evaluate_predictions(list(labels), model.predict_labels(texts), method)
