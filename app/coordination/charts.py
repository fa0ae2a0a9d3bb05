"""Small server-side SVG charts (no JavaScript): bars and stacked bars, with text alternatives.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` giving its figures, and
each page also shows the figures in a table: the chart is for looking, the table for reading.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = "#000091"
    note: str | None = None  # shown on hover


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def bar_chart(bars: list[Bar], title: str, unit: str = "", width: int = 640, bar_height: int = 22,
              label_width: int = 190) -> Markup:
    """Horizontal bars, one per line, the value written at the end of each."""
    if not bars:
        return Markup("")
    top = max((b.value for b in bars), default=0) or 1
    height = len(bars) * (bar_height + 6) + 8
    room = width - label_width - 70
    desc = "; ".join(f"{b.label} : {_fmt(b.value)}{unit}" for b in bars)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(title)}</title><desc>{escape(desc)}</desc>']
    for i, b in enumerate(bars):
        y = 4 + i * (bar_height + 6)
        w = max(1.0, room * b.value / top) if b.value else 0
        tip = escape(b.note or f"{b.label} : {_fmt(b.value)}{unit}")
        parts.append(
            f'<g><title>{tip}</title>'
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" class="chart-label">'
            f'{escape(b.label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{b.colour}"/>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}" class="chart-value">'
            f'{_fmt(b.value)}{escape(unit)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Segment:
    label: str
    colour: str


def stacked_chart(rows: list[tuple[str, list[float]]], segments: list[Segment], title: str,
                  width: int = 640, bar_height: int = 22, label_width: int = 190) -> Markup:
    """One horizontal 100 % bar per row, split into segments (shares), with a legend."""
    if not rows:
        return Markup("")
    legend_h = 26
    height = legend_h + len(rows) * (bar_height + 6) + 8
    room = width - label_width - 10
    desc = "; ".join(f"{label} : " + ", ".join(f"{s.label} {v:g}" for s, v in zip(segments, values))
                     for label, values in rows)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(title)}</title><desc>{escape(desc)}</desc>']
    x = label_width
    for s in segments:
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{s.colour}"/>'
                     f'<text x="{x + 16}" y="14" class="chart-legend">{escape(s.label)}</text>')
        x += 24 + 7 * len(s.label)
    for i, (label, values) in enumerate(rows):
        y = legend_h + 4 + i * (bar_height + 6)
        total = sum(values) or 1
        parts.append(f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
                     f'class="chart-label">{escape(label)}</text>')
        x = float(label_width)
        for s, v in zip(segments, values):
            w = room * v / total
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{s.colour}">'
                             f'<title>{escape(label)} — {escape(s.label)} : {v:g} ({100 * v / total:.0f} %)</title>'
                             f'</rect>')
            x += w
    parts.append("</svg>")
    return Markup("".join(parts))
