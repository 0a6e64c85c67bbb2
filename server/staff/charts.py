"""The dashboard's pictures: bar charts drawn on the server as SVG, no script and no inline style.

Pure: figures in, markup out. Colours come from classes the console's
stylesheet defines (``series-1`` …), since the CSP allows no inline style.
Every chart is an image with a title; the numbers it draws are also in a
table beside it, for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 640
_BAR, _GAP, _LABEL_WIDTH, _VALUE_WIDTH = 26, 10, 230, 130
_PLOT_HEIGHT, _AXIS = 200, 44


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""  # drawn after the value, e.g. "stopped here: 25%"
    css: str = "series-1"


@dataclass(frozen=True)
class Series:
    key: str
    label: str


@dataclass(frozen=True)
class Column:
    label: str
    values: dict[str, float]  # by Series.key


def _svg(chart_id: str, title: str, height: float, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "label") -> str:
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _rect(x: float, y: float, width: float, height: float, css: str, data: str = "") -> str:
    return f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{max(height, 0):.1f}"{data}/>'


def horizontal_bars(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """One bar per row, longest = the largest value; the value (and note) written after each bar."""
    largest = max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    body = []
    for row, bar in enumerate(bars):
        y = _GAP + row * (_BAR + _GAP)
        length = room * bar.value / largest
        body.append(_text(_LABEL_WIDTH - 8, y + _BAR * 0.7, _fitted(bar.label, _LABEL_WIDTH - 12), anchor="end"))
        body.append(_rect(_LABEL_WIDTH, y, length, _BAR, bar.css, f' data-value="{bar.value:g}"'))
        value = f"{bar.value:g}" + (f"  {bar.note}" if bar.note else "")
        body.append(_text(_LABEL_WIDTH + length + 6, y + _BAR * 0.7, value, css="value"))
    return _svg(chart_id, title, _GAP + len(bars) * (_BAR + _GAP), body)


def stacked_columns(chart_id: str, title: str, columns: Sequence[Column], series: Sequence[Series]) -> Markup:
    """One column per day or hour, its series stacked; a legend below; the largest total labelled on the axis."""
    largest = max((sum(column.values.values()) for column in columns), default=0) or 1
    left, slot = 48, (WIDTH - 48) / max(len(columns), 1)
    body = [_text(left - 6, _GAP + 8, f"{largest:g}", anchor="end", css="axis"),
            _text(left - 6, _GAP + _PLOT_HEIGHT, "0", anchor="end", css="axis"),
            f'<line class="axis" x1="{left}" y1="{_GAP + _PLOT_HEIGHT}" x2="{WIDTH}" y2="{_GAP + _PLOT_HEIGHT}"/>']
    every = max(1, round(len(columns) / 12))  # at most about 12 labels under the axis
    for index, column in enumerate(columns):
        width = min(slot * 0.7, 56)
        x = left + index * slot + (slot - width) / 2
        body.extend(_stack(x, width, column, series, largest))
        if index % every == 0:
            body.append(_text(x + width / 2, _GAP + _PLOT_HEIGHT + 16, column.label, anchor="middle", css="axis"))
    body.extend(_legend(series, _GAP + _PLOT_HEIGHT + 36))
    return _svg(chart_id, title, _GAP + _PLOT_HEIGHT + _AXIS + 8, body)


def _stack(x: float, width: float, column: Column, series: Sequence[Series], largest: float) -> list[str]:
    parts, top = [], _GAP + _PLOT_HEIGHT
    for number, one in enumerate(series, start=1):
        value = column.values.get(one.key, 0)
        if value:
            height = _PLOT_HEIGHT * value / largest
            top -= height
            parts.append(_rect(x, top, width, height, f"series-{number}", f' data-series="{escape(one.key)}" data-value="{value:g}"'))
    return parts


def _legend(series: Sequence[Series], y: float) -> list[str]:
    parts, x = [], 48.0
    for number, one in enumerate(series, start=1):
        parts.append(_rect(x, y - 10, 12, 12, f"series-{number}"))
        parts.append(_text(x + 16, y, one.label, css="axis"))
        x += 36 + _text_width(one.label)
    return parts


def _fitted(text: str, room: float) -> str:
    """``text``, cut with an ellipsis where it would not fit in ``room`` (the full text is in the table)."""
    while len(text) > 1 and _text_width(text) > room:
        text = text[:-2] + "…"
    return text


def _text_width(text: str) -> float:
    """About how wide ``text`` is drawn at the chart's small size: CJK characters are square."""
    return sum(13.0 if ord(character) > 0x2E80 else 7.0 for character in text)
