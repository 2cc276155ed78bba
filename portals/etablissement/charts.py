"""Horizontal bar charts drawn on the server as inline SVG: no script, no external library.

The geometry is computed here; ``templates/_chart.html`` draws it. Each bar is
split into boys and girls; the total is written after the bar. The chart is an
image for assistive technologies (``role="img"``) whose ``<desc>`` reads out
every value, and the table beside it holds the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    key: str
    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def description(self) -> str:
        if not self.bars:
            return "Aucun élève."
        return " ; ".join(
            f"{b.label} : {b.total} élève{'s' if b.total > 1 else ''} "
            f"({b.boys} garçon{'s' if b.boys > 1 else ''}, {b.girls} fille{'s' if b.girls > 1 else ''})"
            for b in self.bars
        )


def _truncate(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(key: str, title: str, rows: list[HeadcountRow]) -> BarChart:
    largest = max((r.total for r in rows), default=0)
    scale = BAR_AREA / largest if largest else 0.0
    bars = []
    for index, row in enumerate(rows):
        # Rows counted in ``total`` but neither M nor F would be lost: draw them with the boys.
        boys = row.total - row.girls
        bars.append(
            Bar(
                label=_truncate(row.label),
                total=row.total,
                boys=row.boys,
                girls=row.girls,
                y=TOP + index * (BAR_HEIGHT + BAR_GAP),
                boys_width=round(boys * scale, 1),
                girls_width=round(row.girls * scale, 1),
            )
        )
    height = TOP + max(len(rows), 1) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + BOTTOM
    return BarChart(
        key=key,
        title=title,
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=math.ceil(height),
    )
