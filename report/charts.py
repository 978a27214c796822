"""Inline SVG charts, drawn by hand so that the HTML and the PDF carry the same vector picture (no
image files, no plotting library): a 12-week trend per headline indicator and the funnel bars."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.etree.ElementTree import Element, SubElement, tostring

from report.data import TrendPoint

INK = "#1f2a44"
MUTED = "#8a94a6"
GRID = "#e3e7ee"
ACCENT = "#2f6fdf"
# the report's font (report.css declares "Report CJK" with @font-face), then what a mail reader has
FONT_FAMILY = "'Report CJK', 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"


def _svg(width: float, height: float, label: str) -> Element:
    return Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {width:g} {height:g}",
            "width": f"{width:g}",
            "height": f"{height:g}",
            "role": "img",
            "font-family": FONT_FAMILY,
            "aria-label": label,
        },
    )


def _text(parent: Element, x: float, y: float, content: str, **attributes: str) -> None:
    node = SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": "8", **attributes})
    node.text = content


def trend_chart(
    points: Sequence[TrendPoint],
    *,
    label: str,
    axis_value: Callable[[float | None], str],
    colour: str = ACCENT,
    width: float = 220,
    height: float = 74,
) -> str:
    """A line of the weeks' values (solid) over the same weeks a year before (dashed), from zero to the
    largest value, the first and last week named below and the last value labelled."""
    svg = _svg(width, height, label)
    left, right, top, bottom = 4.0, width - 42.0, 6.0, height - 14.0
    values = [point.value for point in points] + [point.same_week_last_year_value for point in points]
    peak = max((value for value in values if value is not None), default=0.0) or 1.0
    step = (right - left) / max(len(points) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return left + index * step, bottom - (bottom - top) * value / peak

    SubElement(svg, "line", {"x1": f"{left}", "y1": f"{bottom}", "x2": f"{right}", "y2": f"{bottom}", "stroke": GRID})
    SubElement(svg, "line", {"x1": f"{left}", "y1": f"{top}", "x2": f"{right}", "y2": f"{top}", "stroke": GRID})
    _text(svg, right + 3, top + 3, axis_value(peak), fill=MUTED, **{"font-size": "7"})
    _text(svg, right + 3, bottom + 3, axis_value(0.0), fill=MUTED, **{"font-size": "7"})
    for series, style in (
        ([point.same_week_last_year_value for point in points], {"stroke": MUTED, "stroke-dasharray": "3 2"}),
        ([point.value for point in points], {"stroke": colour, "stroke-width": "1.8"}),
    ):
        coordinates = [xy(index, value) for index, value in enumerate(series) if value is not None]
        if len(coordinates) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
            SubElement(svg, "polyline", {"points": path, "fill": "none", "stroke-linejoin": "round", **style})
    if points:
        _text(svg, left, height - 3, points[0].week_label[5:], fill=MUTED)
        _text(svg, right, height - 3, points[-1].week_label[5:], fill=MUTED, **{"text-anchor": "end"})
        last = points[-1].value
        if last is not None:
            x, y = xy(len(points) - 1, last)
            SubElement(svg, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "2.6", "fill": colour})
    return tostring(svg, encoding="unicode")


def funnel_chart(stages: Sequence[tuple[str, int]], *, label: str, width: float = 330, row: float = 20) -> str:
    """Horizontal bars, one per funnel stage, as long as its count relative to the first stage."""
    height = row * len(stages) + 2
    svg = _svg(width, height, label)
    label_width, count_width = 86.0, 40.0
    bar_space = width - label_width - count_width
    first = max((count for _, count in stages), default=0) or 1
    for index, (name, count) in enumerate(stages):
        y = index * row + 1
        length = max(bar_space * count / first, 1.5)
        shade = 0.35 + 0.65 * (1 - index / max(len(stages) - 1, 1))
        _text(svg, label_width - 6, y + row * 0.65, name, fill=INK, **{"text-anchor": "end", "font-size": "9"})
        SubElement(
            svg,
            "rect",
            {
                "x": f"{label_width}",
                "y": f"{y + 3:.1f}",
                "width": f"{length:.1f}",
                "height": f"{row - 6:.1f}",
                "rx": "2",
                "fill": ACCENT,
                "fill-opacity": f"{shade:.2f}",
            },
        )
        _text(svg, label_width + length + 4, y + row * 0.65, f"{count:,}", fill=INK, **{"font-size": "9"})
    return tostring(svg, encoding="unicode")
