"""Server-side SVG charts for reports and dashboards (pure; no Django import).

The charts must read the same on screen and on a black-and-white printer: colours are
attributes (a print stylesheet cannot drop them), every bar carries its value as text, bars
have a dark outline, and the palette differs in lightness, not only in hue. Nothing is
fetched (no scripts, fonts or images), so a chart works inline in a page, a PDF or a mail.
Labels are user data: every text is escaped here, never by the caller.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

CHAR_WIDTH = 0.6  # average glyph width of a sans-serif font, in ems; enough to avoid overlaps
_XML_UNSAFE = re.compile("[\x00-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Palette:
    """Fills whose greys stay apart in print (luminance 58 to 182 of 255)."""

    met: str = "#3a9d4f"
    breached: str = "#b2182b"
    running: str = "#f0b323"
    neutral: str = "#2c5d9e"
    grey: str = "#9a9a9a"


PALETTE = Palette()


@dataclass(frozen=True)
class Series:
    """One row of values of a grouped column chart, one value per label."""

    name: str
    values: Sequence[float]
    colour: str


def nice_ticks(top: float) -> list[float]:
    """3 to 5 ticks from 0, a step of 1, 2 or 5 x 10^n, the last at or above `top`."""
    top = top if top > 0 else 1.0
    exponent = math.floor(math.log10(top / 4))
    steps = [m * 10.0**exponent for m in (1, 2, 5)] + [10.0 ** (exponent + 1)]
    step = next(s for s in steps if math.ceil(top / s - 1e-9) <= 4)
    return [round(i * step, 10) for i in range(math.ceil(top / step - 1e-9) + 1)]


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    max_value: float | None = None,
    width: int = 640,
    empty: str = "No data",
) -> str:
    """Horizontal bars, one per row: the label left, the bar, its value right of it."""
    _check_size(width)
    _check_values([value for _, value in rows])
    if max_value is not None and not (math.isfinite(max_value) and max_value > 0):
        raise ValueError(f"max_value must be a positive number, not {max_value!r}")
    if not rows:
        return _empty(title, empty, width)
    if max_value is None:
        ticks = nice_ticks(max(value for _, value in rows))
        scale = ticks[-1]
    else:
        ticks, scale = [t for t in nice_ticks(max_value) if t <= max_value], max_value
    label_w, value_w, top, row_h = round(width * 0.3), 72, 30, 22
    bar_w = width - label_w - value_w
    axis_y = top + len(rows) * row_h + 2
    body = [_text(8, 18, title, size=14, bold=True, css="title")]
    for tick in ticks:  # the grid first, so bars and values are drawn over it
        x = label_w + bar_w * tick / scale
        body.append(_line(x, top, x, axis_y + 4, stroke="#cccccc"))
        body.append(_text(x, axis_y + 16, _number(tick, unit, 3), anchor="middle", css="tick"))
    body.append(_line(label_w, axis_y, label_w + bar_w, axis_y))
    for index, (label, value) in enumerate(rows):
        y = top + index * row_h
        length = bar_w * min(value / scale, 1.0)
        name = _fit(label, label_w - 10, 12)
        body.append(_text(label_w - 6, y + 12, name, anchor="end", css="label"))
        body.append(_rect(label_w, y + 2, length, row_h - 6, PALETTE.neutral, "bar"))
        body.append(_text(label_w + length + 4, y + 12, _number(value, unit), css="value"))
    return _svg(width, axis_y + 24, title, body)


def grouped_columns(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 720,
    height: int = 260,
    empty: str = "No data",
) -> str:
    """Vertical columns, one group per label and one column per series in it, with a legend."""
    _check_size(width, height)
    for item in series:
        if len(item.values) != len(labels):
            raise ValueError(
                f"{item.name!r} has {len(item.values)} values for {len(labels)} labels"
            )
        _check_values(item.values)
    if not labels or not series:
        return _empty(title, empty, width)
    left, right, baseline = 48, 12, height - 26
    group_w = (width - left - right) / len(labels)
    column_w = group_w * 0.8 / len(series)
    texts = [_number(value) for item in series for value in item.values]
    longest = max(len(text) for text in texts) * 10 * CHAR_WIDTH
    rotated = longest > column_w
    plot_top = 46 + (longest + 6 if rotated else 14)
    plot_h = max(baseline - plot_top, 20)
    ticks = nice_ticks(max(value for item in series for value in item.values))
    body = [_text(8, 18, title, size=14, bold=True, css="title")]
    x = float(left)
    for item in series:
        body.append(_rect(x, 28, 10, 10, item.colour, "swatch"))
        body.append(_text(x + 14, 37, item.name, css="legend"))
        x += 14 + len(item.name) * 12 * CHAR_WIDTH + 16
    for tick in ticks:
        y = baseline - plot_h * tick / ticks[-1]
        body.append(_line(left, y, width - right, y, stroke="#cccccc"))
        body.append(_text(left - 6, y + 4, _number(tick, digits=3), anchor="end", css="tick"))
    every = math.ceil((max(len(label) for label in labels) * 11 * CHAR_WIDTH + 6) / group_w)
    for index, label in enumerate(labels):
        group_x = left + index * group_w
        if index % every == 0:
            middle = group_x + group_w / 2
            body.append(_text(middle, height - 8, label, size=11, anchor="middle", css="x-label"))
        for number, item in enumerate(series):
            column_x = group_x + group_w * 0.1 + number * column_w
            column_h = plot_h * item.values[index] / ticks[-1]
            column_top = baseline - column_h
            bar_w = column_w - 1 if column_w > 3 else column_w
            body.append(_rect(column_x, column_top, bar_w, column_h, item.colour, "bar"))
            if not item.values[index]:
                continue  # a row of zeros reads as noise; the axis says zero
            text, middle = _number(item.values[index]), column_x + bar_w / 2
            if rotated:  # upright, reading bottom to top, centred on the column
                body.append(
                    _text(middle + 3.5, column_top - 3, text, size=10, css="value", up=True)
                )
            else:
                body.append(
                    _text(middle, column_top - 3, text, size=10, anchor="middle", css="value")
                )
    body.append(_line(left, baseline, width - right, baseline))
    return _svg(width, height, title, body)


def stacked_bar(
    parts: Sequence[tuple[str, float, str]],
    *,
    title: str,
    width: int = 640,
    empty: str = "No data",
) -> str:
    """One 100 % bar split into (label, value, colour) parts; the legend gives value and share."""
    _check_size(width)
    _check_values([value for _, value, _ in parts])
    if not parts:
        return _empty(title, empty, width)
    total = sum(value for _, value, _ in parts)
    left, bar_w = 8, width - 16
    body = [_text(8, 18, title, size=14, bold=True, css="title")]
    x = float(left)
    for _, value, colour in parts:
        length = bar_w * value / total if total else 0.0
        if length:
            body.append(_rect(x, 30, length, 28, colour, "bar"))
        x += length
    body.append(_rect(left, 30, bar_w, 28, "none", "frame"))
    body.append(_text(left, 72, "0 %", css="tick"))
    body.append(_text(left + bar_w, 72, "100 %", anchor="end", css="tick"))
    for index, (label, value, colour) in enumerate(parts):
        y = 84 + index * 20
        share = _number(100 * value / total if total else 0.0, "%")
        body.append(_rect(left, y, 12, 12, colour, "swatch"))
        body.append(_text(left + 18, y + 10, f"{label}: {_number(value)} ({share})", css="legend"))
    return _svg(width, 84 + len(parts) * 20 + 8, title, body)


def _check_values(values: Sequence[float]) -> None:
    for value in values:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"chart values must be finite and not negative, not {value!r}")


def _check_size(width: int, height: int = 160) -> None:
    if width < 240 or height < 160:
        raise ValueError(f"a chart needs at least 240 x 160, not {width} x {height}")


def _number(value: float, unit: str = "", digits: int = 1) -> str:
    """12, 95.5 %: rounded, without a trailing .0, the unit after a space."""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit else text


def _escape(text: str) -> str:
    """Escaped for an attribute or element; characters XML 1.0 forbids become spaces."""
    return html.escape(_XML_UNSAFE.sub(" ", text), quote=True)


def _fit(text: str, room: float, size: int) -> str:
    """The text shortened with an ellipsis where it would not fit in `room` pixels."""
    chars = max(int(room / (size * CHAR_WIDTH)), 2)
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = 12,
    anchor: str = "start",
    bold: bool = False,
    css: str = "",
    up: bool = False,
) -> str:
    at = f'x="{_number(x)}" y="{_number(y)}"'
    weight = ' font-weight="bold"' if bold else ""
    klass = f' class="{css}"' if css else ""
    rotate = f' transform="rotate(-90 {_number(x)} {_number(y)})"' if up else ""
    return (
        f'<text {at} font-size="{size}" text-anchor="{anchor}"'
        f' fill="#000000"{weight}{klass}{rotate}>{_escape(text)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, fill: str, css: str) -> str:
    return (
        f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}"'
        f' height="{_number(height)}" fill="{_escape(fill)}" stroke="#000000"'
        f' stroke-width="0.5" class="{css}"/>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = "#000000") -> str:
    return (
        f'<line x1="{_number(x1)}" y1="{_number(y1)}" x2="{_number(x2)}" y2="{_number(y2)}"'
        f' stroke="{stroke}" stroke-width="1"/>'
    )


def _empty(title: str, text: str, width: int) -> str:
    body = [
        _text(8, 18, title, size=14, bold=True, css="title"),
        _text(width / 2, 48, text, anchor="middle", css="empty"),
    ]
    return _svg(width, 64, title, body)


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    """The document: scales to its container, named by its title for screen readers."""
    content = "".join(body)
    # Several charts share a page, so the id is unique per chart, and stable for caching.
    title_id = "chart-" + hashlib.sha256((title + content).encode()).hexdigest()[:12]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{title_id}"'
        f' viewBox="0 0 {width:.0f} {height:.0f}" width="100%" font-family="sans-serif">'
        f'<title id="{title_id}">{_escape(title)}</title>{content}</svg>'
    )
