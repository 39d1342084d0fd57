"""Draw a confusion matrix: PNG with matplotlib when it is installed, else a plain SVG."""

from __future__ import annotations

from html import escape
from pathlib import Path

from classifiers.text.evaluation import EvaluationReport

CELL = 18
LABEL_SPACE = 220


def write_confusion_image(report: EvaluationReport, stem: Path) -> Path:
    """Write stem.png (matplotlib) or stem.svg and return the path written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        path = stem.with_suffix(".svg")
        path.write_text(confusion_svg(report), encoding="utf-8")
        return path
    size = max(6.0, len(report.labels) * 0.3)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(report.confusion, cmap="Blues")
    axes.set_xticks(range(len(report.labels)), report.labels, rotation=90, fontsize=6)
    axes.set_yticks(range(len(report.labels)), report.labels, fontsize=6)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    figure.tight_layout()
    path = stem.with_suffix(".png")
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def confusion_svg(report: EvaluationReport) -> str:
    """The matrix as SVG: rows true labels, columns predicted, darker = more."""
    n = len(report.labels)
    peak = max((max(row) for row in report.confusion), default=0) or 1
    side = LABEL_SPACE + n * CELL
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
        f'font-family="sans-serif" font-size="10">',
        f"<title>confusion matrix ({escape(report.method)}, n={report.n})</title>",
    ]
    for i, label in enumerate(report.labels):
        y = LABEL_SPACE + i * CELL
        parts.append(
            f'<text x="{LABEL_SPACE - 4}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
        )
        x = LABEL_SPACE + i * CELL + 13
        parts.append(
            f'<text transform="translate({x},{LABEL_SPACE - 4}) rotate(-90)">{escape(label)}</text>'
        )
        for j, count in enumerate(report.confusion[i]):
            shade = int(255 - 200 * count / peak)
            parts.append(
                f'<rect x="{LABEL_SPACE + j * CELL}" y="{y}" width="{CELL}" height="{CELL}" '
                f'fill="rgb({shade},{shade},255)"><title>{escape(label)} -> '
                f"{escape(report.labels[j])}: {count}</title></rect>"
            )
    parts.append("</svg>")
    return "\n".join(parts)
