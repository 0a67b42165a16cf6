"""SVG charts for reports: well-formed, named for screen readers, readable in print, and safe
with whatever text the users typed into the labels."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sladesk.reports.charts import (
    PALETTE,
    Series,
    bar_chart,
    grouped_columns,
    nice_ticks,
    stacked_bar,
)

SVG = "{http://www.w3.org/2000/svg}"
CYRILLIC = "Заявки по договору"
CZECH = "Příliš žluťoučký kůň"
DAYS = [f"{day:02d}.03." for day in range(1, 31)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  # our own output, not untrusted XML


def texts(root: ET.Element, css: str) -> list[str]:
    return [node.text or "" for node in root.iter(f"{SVG}text") if node.get("class") == css]


def bars(root: ET.Element) -> list[ET.Element]:
    return [node for node in root.iter(f"{SVG}rect") if node.get("class") == "bar"]


def every_chart() -> list[str]:
    series = [
        Series("Incoming", [3, 5, 0], PALETTE.neutral),
        Series("Resolved", [2, 6, 1], PALETTE.met),
    ]
    return [
        bar_chart([("Line 1", 12), ("Line 2", 7.5)], title="Tickets by line"),
        bar_chart([], title="Tickets by line"),
        grouped_columns(["Mon", "Tue", "Wed"], series, title="Incoming and resolved"),
        grouped_columns([], [], title="Incoming and resolved"),
        stacked_bar([("Met", 3, PALETTE.met), ("Breached", 1, PALETTE.breached)], title="SLA"),
        stacked_bar([], title="SLA"),
    ]


@pytest.mark.parametrize("svg", every_chart())
def test_every_chart_is_well_formed_and_named_by_its_title(svg: str) -> None:
    root = parse(svg)
    title = root.find(f"{SVG}title")
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert title is not None
    assert title.text in {"Tickets by line", "Incoming and resolved", "SLA"}
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%"
    assert root.get("font-family") == "sans-serif"


@pytest.mark.parametrize("svg", every_chart())
def test_charts_fetch_nothing_and_run_nothing(svg: str) -> None:
    root = parse(svg)
    assert not [node for node in root.iter() if node.tag in {f"{SVG}script", f"{SVG}image"}]
    assert "href" not in svg
    assert svg.count("http") == 1  # the namespace only
    assert all(rect.get("fill") for rect in root.iter(f"{SVG}rect"))


def test_bar_widths_are_proportional_to_the_values() -> None:
    root = parse(bar_chart([("A", 10), ("B", 40), ("C", 20)], title="Tickets"))
    widths = [float(rect.get("width", "")) for rect in bars(root)]
    assert widths.index(max(widths)) == 1
    assert widths[0] / widths[1] == pytest.approx(0.25, abs=0.01)
    assert widths[2] / widths[1] == pytest.approx(0.5, abs=0.01)


def test_every_bar_has_its_value_printed_without_a_trailing_zero() -> None:
    root = parse(bar_chart([("A", 12.0), ("B", 95.5)], title="Met", unit="%", max_value=100))
    assert texts(root, "value") == ["12 %", "95.5 %"]
    assert texts(root, "tick") == ["0 %", "50 %", "100 %"]


def test_max_value_fixes_the_scale_and_a_larger_value_stays_inside() -> None:
    root = parse(bar_chart([("A", 50), ("B", 100), ("C", 130)], title="Met", max_value=100))
    widths = [float(rect.get("width", "")) for rect in bars(root)]
    assert widths[0] / widths[1] == pytest.approx(0.5, abs=0.01)
    assert widths[2] == widths[1]
    assert texts(root, "value")[2] == "130"


def test_labels_are_escaped_and_cyrillic_and_czech_kept() -> None:
    hostile = '<script>"x"</script>'
    svg = bar_chart([(hostile, 1), (CYRILLIC, 2), (CZECH, 3)], title=f"{CZECH} & {CYRILLIC}")
    root = parse(svg)
    labels = [node.text for node in root.iter(f"{SVG}text")]
    assert "<script" not in svg
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt;" in svg
    assert hostile in labels
    assert CYRILLIC in labels
    assert CZECH in labels
    assert root.findtext(f"{SVG}title") == f"{CZECH} & {CYRILLIC}"


def test_series_names_x_labels_and_parts_are_escaped_too() -> None:
    series = [Series("<b>in</b>", [1], '"red" onload="x"')]
    columns = grouped_columns(["<i>Mon</i>"], series, title="<t>")
    stacked = stacked_bar([("<b>met</b>", 1, PALETTE.met)], title="<t>")
    for svg in (columns, stacked):
        parse(svg)
        assert "<b>" not in svg
        assert "<i>" not in svg
        assert "<t>" not in svg
    assert 'fill="&quot;red&quot; onload=&quot;x&quot;"' in columns


def test_control_characters_in_a_label_keep_the_document_well_formed() -> None:
    root = parse(bar_chart([("Line\x00 1\x1b", 1)], title="Tab\there"))
    assert "Line  1 " in [node.text for node in root.iter(f"{SVG}text")]


def test_a_long_label_is_shortened_with_an_ellipsis() -> None:
    root = parse(bar_chart([("Very long " * 20, 1)], title="Tickets"))
    label = next(
        node.text or "" for node in root.iter(f"{SVG}text") if node.get("class") == "label"
    )
    assert label.endswith("…")
    assert label.startswith("Very long")


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart([], title="Tickets", empty="Нет данных"),
        grouped_columns([], [], title="Tickets", empty="Нет данных"),
        grouped_columns(DAYS, [], title="Tickets", empty="Нет данных"),
        stacked_bar([], title="Tickets", empty="Нет данных"),
    ],
)
def test_empty_input_says_there_is_nothing_to_show(svg: str) -> None:
    root = parse(svg)
    assert texts(root, "empty") == ["Нет данных"]
    assert bars(root) == []


def test_all_zero_values_draw_empty_bars_without_dividing_by_zero() -> None:
    bar = parse(bar_chart([("A", 0), ("B", 0)], title="Tickets"))
    columns = parse(grouped_columns(["Mon"], [Series("In", [0], PALETTE.neutral)], title="T"))
    stacked = parse(
        stacked_bar([("Met", 0, PALETTE.met), ("Late", 0, PALETTE.breached)], title="T")
    )
    assert [rect.get("width") for rect in bars(bar)] == ["0", "0"]
    assert texts(bar, "value") == ["0", "0"]
    assert [rect.get("height") for rect in bars(columns)] == ["0"]
    assert texts(columns, "tick") == ["0", "0.5", "1"]
    assert bars(stacked) == []
    assert texts(stacked, "legend") == ["Met: 0 (0 %)", "Late: 0 (0 %)"]


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf])
def test_negative_and_not_a_number_values_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="finite and not negative"):
        bar_chart([("A", 1), ("B", bad)], title="T")
    with pytest.raises(ValueError, match="finite and not negative"):
        grouped_columns(["Mon"], [Series("In", [bad], PALETTE.neutral)], title="T")
    with pytest.raises(ValueError, match="finite and not negative"):
        stacked_bar([("Met", bad, PALETTE.met)], title="T")


def test_a_series_of_another_length_than_the_labels_is_refused() -> None:
    series = [Series("In", [1, 2], PALETTE.neutral), Series("Out", [1], PALETTE.met)]
    with pytest.raises(ValueError, match="'Out' has 1 values for 2 labels"):
        grouped_columns(["Mon", "Tue"], series, title="T")


def test_thirty_days_of_x_labels_are_thinned_but_the_first_is_kept() -> None:
    series = [
        Series("Incoming", [float(day % 7) for day in range(30)], PALETTE.neutral),
        Series("Resolved", [float(day % 5) for day in range(30)], PALETTE.met),
    ]
    root = parse(grouped_columns(DAYS, series, title="Last 30 days"))
    shown = texts(root, "x-label")
    assert 2 <= len(shown) < 30
    assert shown[0] == "01.03."
    assert set(shown) <= set(DAYS)
    positions = [
        float(node.get("x", ""))
        for node in root.iter(f"{SVG}text")
        if node.get("class") == "x-label"
    ]
    assert min(b - a for a, b in itertools.pairwise(positions)) >= 6 * 11 * 0.6


def test_a_few_x_labels_are_all_shown() -> None:
    series = [Series("Incoming", [1, 2, 3], PALETTE.neutral)]
    assert texts(parse(grouped_columns(["Mon", "Tue", "Wed"], series, title="T")), "x-label") == [
        "Mon",
        "Tue",
        "Wed",
    ]


def test_columns_carry_their_values_their_heights_and_a_legend() -> None:
    series = [
        Series("Incoming", [4, 8], PALETTE.neutral),
        Series("Resolved", [2, 0], PALETTE.met),
    ]
    root = parse(grouped_columns(["Mon", "Tue"], series, title="T"))
    heights = [float(rect.get("height", "")) for rect in bars(root)]
    fills = [rect.get("fill") for rect in bars(root)]
    assert heights[2] == pytest.approx(heights[0] * 2, abs=0.2)  # Tue incoming, Mon incoming
    assert heights[1] == pytest.approx(heights[0] / 2, abs=0.2)  # Mon resolved
    assert fills == [PALETTE.neutral, PALETTE.met, PALETTE.neutral, PALETTE.met]
    assert texts(root, "value") == ["4", "2", "8"]  # a zero column is left unlabelled
    assert texts(root, "legend") == ["Incoming", "Resolved"]
    assert texts(root, "tick") == ["0", "2", "4", "6", "8"]


def test_narrow_columns_turn_their_values_upright() -> None:
    series = [Series("Incoming", [1234.5] * 30, PALETTE.neutral)]
    root = parse(grouped_columns(DAYS, series, title="T"))
    values = [node for node in root.iter(f"{SVG}text") if node.get("class") == "value"]
    assert len(values) == 30
    assert all("rotate(-90" in node.get("transform", "") for node in values)


def test_stacked_bar_splits_the_whole_width_and_states_value_and_percent() -> None:
    parts = [
        ("Met", 6, PALETTE.met),
        ("Breached", 1, PALETTE.breached),
        ("Running", 1, PALETTE.running),
    ]
    root = parse(stacked_bar(parts, title="SLA this month"))
    widths = [float(rect.get("width", "")) for rect in bars(root)]
    frame = next(rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "frame")
    assert sum(widths) == pytest.approx(float(frame.get("width", "")), abs=0.2)
    assert widths[0] == pytest.approx(widths[1] * 6, abs=0.5)
    assert texts(root, "legend") == ["Met: 6 (75 %)", "Breached: 1 (12.5 %)", "Running: 1 (12.5 %)"]
    assert [rect.get("fill") for rect in bars(root)] == [
        PALETTE.met,
        PALETTE.breached,
        PALETTE.running,
    ]


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 0.5, 1]),
        (1, [0, 0.5, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 5, 10]),
        (11, [0, 5, 10, 15]),
        (0.3, [0, 0.1, 0.2, 0.3]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_nice_ticks_step_by_one_two_or_five_times_a_power_of_ten(
    top: float, ticks: list[float]
) -> None:
    assert nice_ticks(top) == ticks


@given(st.floats(min_value=1e-6, max_value=1e12))
def test_nice_ticks_are_three_to_five_and_reach_the_top(top: float) -> None:
    ticks = nice_ticks(top)
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert 3 <= len(ticks) <= 5
    assert ticks[0] == 0
    assert ticks[-1] >= top * (1 - 1e-9)
    assert ticks[-2] < top
    assert round(mantissa, 6) in {1, 2, 5}


def test_a_chart_too_small_to_read_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 240 x 160"):
        bar_chart([("A", 1)], title="T", width=100)
    with pytest.raises(ValueError, match="at least 240 x 160"):
        grouped_columns(["Mon"], [Series("In", [1], PALETTE.neutral)], title="T", height=80)


def test_a_max_value_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="max_value must be a positive number"):
        bar_chart([("A", 1)], title="T", max_value=0)
