"""The leaders' chart: one stacked bar per unit, worst first, in the colours of the printed report.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no screen, safe in a worker thread).
DejaVu Sans, shipped with matplotlib, has every Vietnamese letter, so the labels keep their diacritics.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from scheduler.reporting.stats import BUCKET_LABELS, BUCKETS, Statistics

COLOURS = {
    "done_on_time": "#2e7d32",  # green
    "done_late": "#ef6c00",  # orange
    "in_progress": "#1565c0",  # blue
    "overdue": "#c62828",  # red
    "not_started": "#9e9e9e",  # grey
    "not_reported": "#d7ccc8",  # pale brown: a routine nobody confirmed
}
# The order of the segments along a bar: finished work on the left, trouble in the middle.
SEGMENTS = ("done_on_time", "done_late", "overdue", "in_progress", "not_started", "not_reported")
WIDTH_PX, HEIGHT_PX, DPI = 1200, 800, 100
TOP_UNITS = 15
LABEL_WIDTH = 34

assert set(SEGMENTS) == set(BUCKETS)


@dataclass(frozen=True)
class Chart:
    """A PNG and the unit labels drawn on it, top to bottom."""

    png: bytes
    labels: tuple[str, ...]
    totals: tuple[int, ...] = ()  # the number written at the end of each bar, top to bottom
    width: int = WIDTH_PX
    height: int = HEIGHT_PX


def _short(name: str) -> str:
    return name if len(name) <= LABEL_WIDTH else name[: LABEL_WIDTH - 1] + "…"


def stacked_chart(stats: Statistics, top: int = TOP_UNITS) -> Chart:
    """The worst `top` units of a report as a stacked bar chart, 1200×800 pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    units = stats.units[:top]
    labels = tuple(_short(u.unit_name) for u in units)
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(units)))
    left = [0] * len(units)
    totals = tuple(sum(getattr(u, b) for b in SEGMENTS) for u in units)
    for bucket in SEGMENTS:
        values = [getattr(u, bucket) for u in units]
        bars = axes.barh(positions, values, left=left, color=COLOURS[bucket], label=BUCKET_LABELS[bucket], height=0.7)
        # a segment carries its count in white, unless it is empty or the whole bar (the total says it already)
        counts = [str(v) if 0 < v < total else "" for v, total in zip(values, totals, strict=True)]
        axes.bar_label(bars, labels=counts, label_type="center", color="white", fontsize=9)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for position, total in zip(positions, totals, strict=True):
        axes.annotate(
            f"{total}", (total, position), xytext=(4, 0), textcoords="offset points", va="center", fontsize=10
        )
    # room after the longest bar for its total, so that no bar touches the frame
    axes.set_xlim(0, max(max(totals, default=0) * 1.12, 1))
    axes.set_yticks(positions, labels=labels, fontsize=10)
    axes.invert_yaxis()  # the worst unit on top
    axes.set_xlabel("Số nhiệm vụ")
    shown = f"{len(units)} đơn vị chậm nhất" if len(stats.units) > top else f"{len(units)} đơn vị"
    axes.set_title(
        f"Tiến độ nhiệm vụ {stats.period.label} — tính đến ngày {stats.today:%d/%m/%Y} ({shown})", fontsize=13
    )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=len(SEGMENTS), fontsize=10, frameon=False)
    if not units:
        axes.text(0.5, 0.5, "Không có nhiệm vụ nào trong kỳ", ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=DPI,
        metadata={
            "Title": axes.get_title(),
            "Description": "\n".join(f"{label}: {total}" for label, total in zip(labels, totals, strict=True)),
        },
    )
    return Chart(buffer.getvalue(), labels, totals)
