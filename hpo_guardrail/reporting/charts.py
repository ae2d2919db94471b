"""Inline SVG charts for the HTML report.

Generated here as plain SVG text so the report is one self-contained file: no JavaScript, no chart
library, nothing fetched. Fill colours are constants because the browser test looks for them in a
screenshot; SVG fills also print, unlike CSS backgrounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

EVALUATED_COLOUR = "#2563eb"
FLAGGED_COLOUR = "#f59e0b"
STOPPED_COLOUR = "#dc2626"
RULE_COLOUR = "#7c3aed"
_INK = "#1f2937"
_MUTED = "#6b7280"
_GRID = "#e5e7eb"
_FONT_SIZE = 12
# Beyond this many categories only every n-th gets an axis label, so labels never overlap.
_MAX_AXIS_LABELS = 13
_MAX_BAR_WIDTH = 48


@dataclass(frozen=True)
class Series:
    """One coloured series of a grouped bar chart."""

    name: str
    colour: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Category:
    """An x-axis position: a label and an optional second, smaller line."""

    label: str
    sublabel: str = ""


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Axis ticks from 0 at a 1-2-5 step, the last at or above `maximum`."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)  # counts: no fractional ticks
    top = math.ceil(maximum / step) * step
    return [i * step for i in range(round(top / step) + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    label = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}" font-size="{_FONT_SIZE}" fill="{_INK}">'
        f"<title>{label}</title>" + "".join(body) + "</svg>"
    )


def grouped_bars(categories: list[Category], series: list[Series], *, title: str, width: int = 640) -> str:
    """Vertical bars, one group per category and one bar per series, with a y axis of counts."""
    height, left, right, top, bottom = 250, 44, 8, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max((v for s in series for v in s.values), default=0))
    scale = plot_h / ticks[-1]
    body = _y_axis(ticks, left, width - right, top + plot_h, scale)
    band = plot_w / max(len(categories), 1)
    # Bars keep a readable width however few weeks there are; the group is centred in its band.
    bar_w = min(band * 0.72 / max(len(series), 1), _MAX_BAR_WIDTH)
    inset = (band - bar_w * len(series)) / 2
    every = math.ceil(len(categories) / _MAX_AXIS_LABELS) or 1
    for index, category in enumerate(categories):
        x0 = left + index * band + inset
        for number, one in enumerate(series):
            value = one.values[index]
            body.append(_bar(x0 + number * bar_w, top + plot_h, bar_w, value * scale, one, category, value))
        if index % every == 0:
            middle = left + (index + 0.5) * band
            body.append(_axis_label(middle, top + plot_h + 16, category.label, _INK))
            if category.sublabel:
                body.append(_axis_label(middle, top + plot_h + 31, category.sublabel, _MUTED))
    return _svg(width, height, title, body)


def _y_axis(ticks: list[float], x0: float, x1: float, baseline: float, scale: float) -> list[str]:
    parts = []
    for tick in ticks:
        y = baseline - tick * scale
        colour = _MUTED if tick == 0 else _GRID
        parts.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{colour}"/>')
        parts.append(f'<text x="{x0 - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{_MUTED}">{_number(tick)}</text>')
    return parts


def _bar(x: float, baseline: float, width: float, height: float, series: Series, category: Category, value: int) -> str:
    if value <= 0:
        return ""
    tip = escape(f"{category.label} {category.sublabel}: {value} {series.name}".replace("  ", " "))
    bar = (
        f'<rect x="{x:.1f}" y="{baseline - height:.1f}" width="{max(width - 1, 1):.1f}" height="{height:.1f}" '
        f'fill="{series.colour}"><title>{tip}</title></rect>'
    )
    if width < 14:  # too narrow to carry its number; the tooltip and the table have it
        return bar
    return bar + (
        f'<text x="{x + width / 2:.1f}" y="{baseline - height - 4:.1f}" text-anchor="middle" '
        f'font-size="11">{value}</text>'
    )


def _axis_label(x: float, y: float, text: str, colour: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{colour}">{escape(text)}</text>'


def horizontal_bars(labels: list[str], values: list[int], *, colour: str, title: str, width: int = 640) -> str:
    """One horizontal bar per label, longest first as given, with the value at the bar's end."""
    row, label_w, right = 26, 150, 48
    height = max(len(labels), 1) * row + 8
    longest = max(values, default=0) or 1
    body = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + index * row
        length = (width - label_w - right) * value / longest
        body.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end">{escape(_clip(label, 22))}</text>'
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(length, 1):.1f}" height="{row - 8}" fill="{colour}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        body.append(f'<text x="{label_w + length + 6:.1f}" y="{y + row / 2 + 4:.1f}">{value}</text>')
    return _svg(width, height, title, body)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def swatch(colour: str) -> str:
    """A small legend square (SVG, so it prints where CSS backgrounds would not)."""
    return (
        f'<svg class="swatch" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
        f'<rect width="10" height="10" fill="{colour}"/></svg>'
    )
