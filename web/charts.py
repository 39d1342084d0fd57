"""Server-side SVG charts: no JavaScript, no CDN, readable without a browser plugin.

Each function returns Markup (escaped labels) to drop straight into a Jinja template.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def _svg(width: int, height: int, body: str, title: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def grouped_bars(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    title: str,
    width: int = 640,
    height: int = 220,
) -> Markup:
    """Side-by-side bars per label, one colour per series, with a legend."""
    top = max((v for values in series.values() for v in values), default=0.0) or 1.0
    plot_h, base_y, left = height - 60, height - 40, 10
    slot = (width - left) / max(len(labels), 1)
    bar_w = slot * 0.8 / max(len(series), 1)
    parts: list[str] = []
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(values):
            h = plot_h * value / top
            x = left + i * slot + slot * 0.1 + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} '
                f"{escape(labels[i])}: {value:,.0f}</title></rect>"
            )
        parts.append(
            f'<rect x="{left + s * 120}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + s * 120 + 14}" y="13" class="legend">{escape(name)}</text>'
        )
    for i, label in enumerate(labels):
        x = left + i * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{base_y + 14}" text-anchor="middle" '
            f'class="axis">{escape(label)}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{width}" y1="{base_y}" y2="{base_y}" class="baseline"/>')
    return _svg(width, height, "".join(parts), title)


def horizontal_bars(
    rows: Sequence[tuple[str, float]], title: str, width: int = 640, colour: str = PALETTE[0]
) -> Markup:
    """One labelled bar per row (funnels, reasons), value printed at the end."""
    row_h, label_w = 26, 180
    top = max((v for _, v in rows), default=0.0) or 1.0
    parts = []
    for i, (label, value) in enumerate(rows):
        y = i * row_h + 4
        w = (width - label_w - 70) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="axis">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="value">{value:,.0f}</text>'
        )
    return _svg(width, len(rows) * row_h + 8, "".join(parts), title)


def sparkline(values: Sequence[float], title: str, width: int = 160, height: int = 32) -> Markup:
    """A daily trend line; the last point is marked."""
    if not values:
        return _svg(width, height, "", title)
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    points = [(i * step, height - 3 - (height - 6) * v / top) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    lx, ly = points[-1]
    body = (
        f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5"/>'
        f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.5" fill="{PALETTE[1]}"/>'
    )
    return _svg(width, height, body, title)


def heatmap(labels: Sequence[str], matrix: Sequence[Sequence[int]], title: str) -> Markup:
    """A confusion matrix: rows are true labels, columns predicted; darker is more."""
    n = len(labels)
    cell, label_w = 22, 12 + 7 * max((len(label) for label in labels), default=4)
    top = max((v for row in matrix for v in row), default=0) or 1
    parts = []
    for r, row in enumerate(matrix):
        parts.append(
            f'<text x="{label_w - 4}" y="{r * cell + 15}" text-anchor="end" '
            f'class="axis">{escape(labels[r])}</text>'
        )
        for c, value in enumerate(row):
            shade = 0.08 + 0.92 * value / top if value else 0.0
            parts.append(
                f'<rect x="{label_w + c * cell}" y="{r * cell}" width="{cell - 1}" '
                f'height="{cell - 1}" fill="{PALETTE[0]}" fill-opacity="{shade:.2f}">'
                f"<title>true {escape(labels[r])}, predicted {escape(labels[c])}: "
                f"{value}</title></rect>"
            )
    return _svg(label_w + n * cell + 4, n * cell + 4, "".join(parts), title)
