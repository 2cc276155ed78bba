"""Horizontal bar charts drawn on the server as inline SVG: no script, no external library.

The geometry is computed here; ``templates/_chart.html`` draws it. Each bar is
split into boys and girls; the total is written after the bar. The chart is an
image for assistive technologies (``role="img"``) whose ``<desc>`` reads out
every value, and the table beside it holds the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from api.resolvers.statistics import HeadcountRow

LABEL_WIDTH = 150
BAR_AREA = 420
VALUE_WIDTH = 60
BAR_HEIGHT = 22
BAR_GAP = 10
TOP = 34  # room for the legend
BOTTOM = 8


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    boys: int
    girls: int
    y: float
    boys_width: float
    girls_width: float

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT / 2

    @property
    def girls_x(self) -> float:
        return LABEL_WIDTH + self.boys_width

    @property
    def value_x(self) -> float:
        return LABEL_WIDTH + self.boys_width + self.girls_width + 6


@dataclass(frozen=True)
class BarChart:
    """Bars in two parts: ``boys`` then ``girls`` for headcounts, or any two series named by
    ``legend`` (e.g. justified and unjustified half-days)."""

    key: str
    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    legend: tuple[str, str] = ("Garçons", "Filles")
    # (singular, plural) of what is counted, and of each series.
    unit: tuple[str, str] = ("élève", "élèves")
    series_units: tuple[tuple[str, str], tuple[str, str]] = (
        ("garçon", "garçons"),
        ("fille", "filles"),
    )

    @property
    def description(self) -> str:
        if not self.bars:
            return f"Aucun {self.unit[0]}."

        def count(n: int, unit: tuple[str, str]) -> str:
            return f"{n} {unit[1] if n > 1 else unit[0]}"

        first, second = self.series_units
        return " ; ".join(
            f"{b.label} : {count(b.total, self.unit)} "
            f"({count(b.boys, first)}, {count(b.girls, second)})"
            for b in self.bars
        )


def _truncate(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stacked_chart(
    key: str, title: str, rows: list[tuple[str, int, int, int]], **labels: Any
) -> BarChart:
    """A chart of (label, total, first part, second part) rows; ``labels`` are BarChart's
    ``legend``, ``unit`` and ``series_units``."""
    largest = max((total for _l, total, _a, _b in rows), default=0)
    scale = BAR_AREA / largest if largest else 0.0
    bars = []
    for index, (label, total, first, second) in enumerate(rows):
        # Counted in ``total`` but in neither part: drawn with the first part.
        first_drawn = total - second
        bars.append(
            Bar(
                label=_truncate(label),
                total=total,
                boys=first,
                girls=second,
                y=TOP + index * (BAR_HEIGHT + BAR_GAP),
                boys_width=round(first_drawn * scale, 1),
                girls_width=round(second * scale, 1),
            )
        )
    height = TOP + max(len(rows), 1) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + BOTTOM
    return BarChart(
        key=key,
        title=title,
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=math.ceil(height),
        **labels,
    )


def bar_chart(key: str, title: str, rows: list[HeadcountRow]) -> BarChart:
    return stacked_chart(key, title, [(r.label, r.total, r.boys, r.girls) for r in rows])
