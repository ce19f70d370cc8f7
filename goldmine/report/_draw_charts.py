"""Draw the report's charts with matplotlib as inline SVG (no JavaScript, works offline).

Each function takes plain data and returns an SVG document as text, or ``None`` when
there is nothing to draw. Every drawn data mark (a bar) carries an id starting with
``mark-`` so a browser test can check that a chart is not empty.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from goldmine.report._model import LayerStorage, StepTime

#: One colour per build, used by every chart.
BUILD_COLOURS: dict[str, str] = {
    "lake": "#4c78a8",
    "lakehouse": "#f58518",
    "mesh": "#54a24b",
    "shared": "#9d9d9d",
}
_CATEGORY_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2")
_WIDTH = 9.0  # inches; the page scales the SVG to its column


def human_bytes(size: float) -> str:
    """Return ``size`` in B, KB, MB or GB (powers of 1000).

    Examples
    --------
    >>> human_bytes(999), human_bytes(1_234_567)
    ('999 B', '1.23 MB')
    """
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.2f} {unit}"
    return f"{size:.0f} B"


def _svg(name: str, height: float, draw: Callable[[Figure], None]) -> str:
    """Draw a figure of ``height`` inches with ``draw``; return its SVG (no XML prolog)."""
    import matplotlib
    from matplotlib.figure import Figure

    rc: Any = {"svg.fonttype": "none", "svg.hashsalt": name, "font.size": 9}
    with matplotlib.rc_context(rc):
        figure = Figure(figsize=(_WIDTH, height), layout="constrained")
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    # The RDF metadata block names vocabularies by URL: nothing a reader needs.
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.S)


def _mark(bars: Any, chart: str, label: str) -> None:
    for index, patch in enumerate(bars.patches):
        patch.set_gid(f"mark-{chart}-{label}-{index}")


def _tidy(axes: Axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)


def _short(label: str, width: int = 34) -> str:
    """Return ``label`` cut to ``width`` characters (an ellipsis marks the cut)."""
    return label if len(label) <= width else label[: width - 1] + "…"


def draw_steps(steps: Mapping[str, Sequence[StepTime]]) -> str | None:
    """Seconds per step, one panel per build that recorded its steps."""
    timed = {b: s for b, s in steps.items() if s}
    if not timed:
        return None
    tallest = max(len(s) for s in timed.values())

    def draw(figure: Figure) -> None:
        panels = figure.subplots(1, len(timed), squeeze=False)[0]
        for axes, (build, run) in zip(panels, timed.items(), strict=True):
            names = [_short(s.step) for s in run][::-1]
            seconds = [s.seconds for s in run][::-1]
            bars = axes.barh(names, seconds, color=BUILD_COLOURS.get(build, "#888"))
            _mark(bars, "steps", build)
            axes.bar_label(bars, fmt="%.1f s", padding=2, fontsize=7)
            axes.set_title(f"{build}: {sum(seconds):.1f} s", loc="left")
            axes.set_xlabel("seconds")
            axes.tick_params(axis="y", labelsize=7)
            axes.margins(x=0.25)
            _tidy(axes)

    return _svg("steps", max(2.5, 0.22 * tallest + 1.2), draw)


def draw_storage(storage: Mapping[str, Sequence[LayerStorage]]) -> str | None:
    """Bytes per build as one bar stacked by layer, layers named on their segment."""
    kept = {b: layers for b, layers in storage.items() if sum(x.bytes for x in layers)}
    if not kept:
        return None
    widest = max(sum(x.bytes for x in layers) for layers in kept.values()) / 1e6

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        names = list(kept)[::-1]
        for row, build in enumerate(names):
            left = 0.0
            for index, layer in enumerate(kept[build]):
                size = layer.bytes / 1e6
                bars = axes.barh(
                    [row], [size], left=left, color=_CATEGORY_COLOURS[index % 6],
                    edgecolor="white", linewidth=1,
                )  # fmt: skip
                _mark(bars, "storage", f"{build}-{layer.layer}")
                if size >= 0.09 * widest:
                    axes.text(
                        left + size / 2, row, f"{layer.layer}\n{human_bytes(layer.bytes)}",
                        ha="center", va="center", fontsize=7, color="white",
                    )  # fmt: skip
                left += size
            objects = sum(x.objects for x in kept[build])
            parts = " · ".join(f"{x.layer} {human_bytes(x.bytes)}" for x in kept[build])
            axes.text(left, row, f"  {human_bytes(left * 1e6)}, {objects:,} objects", va="bottom")
            axes.text(left, row, f"  {parts}", va="top", fontsize=6.5, color="#444")
        axes.set_yticks(range(len(names)), names)
        axes.set_xlabel("MB stored in S3")
        axes.margins(x=0.75)
        _tidy(axes)

    return _svg("storage", 0.6 * len(kept) + 1.2, draw)


def draw_per_build(chart: str, values: Mapping[str, Mapping[str, float]], unit: str) -> str | None:
    """One panel per build: a bar per key (a layer), labelled with its value."""
    kept = {b: v for b, v in values.items() if v}
    if not kept:
        return None
    tallest = max(len(v) for v in kept.values())

    def draw(figure: Figure) -> None:
        panels = figure.subplots(1, len(kept), squeeze=False)[0]
        for axes, (build, found) in zip(panels, kept.items(), strict=True):
            names = list(found)[::-1]
            bars = axes.barh(names, [found[n] for n in names], color=BUILD_COLOURS[build])
            _mark(bars, chart, build)
            axes.bar_label(bars, labels=[f"{found[n]:,.0f}" for n in names], padding=2, fontsize=7)
            axes.set_title(build, loc="left")
            axes.set_xlabel(unit)
            axes.margins(x=0.3)
            _tidy(axes)

    return _svg(chart, max(2.0, 0.3 * tallest + 1.2), draw)


def draw_grouped(
    chart: str,
    values: Mapping[str, Mapping[str, float]],
    unit: str,
    label: Callable[[float], str],
    scale: float = 1.0,
) -> str | None:
    """One group of bars per key (a reason, a question), one bar per build in each."""
    kept = {b: v for b, v in values.items() if v}
    keys = sorted({k for v in kept.values() for k in v})
    if not keys:
        return None

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        height = 0.8 / len(kept)
        for index, (build, found) in enumerate(kept.items()):
            positions = [
                len(keys) - 1 - i + (len(kept) / 2 - index - 0.5) * height for i in range(len(keys))
            ]
            raw = [found.get(k, 0.0) for k in keys]
            bars = axes.barh(
                positions, [v / scale for v in raw], height=height,
                color=BUILD_COLOURS[build], label=build,
            )  # fmt: skip
            _mark(bars, chart, build)
            axes.bar_label(bars, labels=[label(v) for v in raw], padding=2, fontsize=6)
        axes.set_yticks([len(keys) - 1 - i for i in range(len(keys))], keys)
        axes.set_xlabel(unit)
        figure.legend(loc="outside lower center", ncol=4, frameon=False)
        axes.margins(x=0.15)
        _tidy(axes)

    return _svg(chart, 0.32 * len(keys) * len(kept) / 1.6 + 1.4, draw)


def draw_cost(costs: Mapping[str, Mapping[str, float]]) -> str | None:
    """Monthly USD per build as one bar stacked by category (storage, Athena, EMR)."""
    kept = {b: c for b, c in costs.items() if sum(c.values())}
    if not kept:
        return None
    categories = sorted({k for c in kept.values() for k in c})

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        names = list(kept)[::-1]
        left = [0.0] * len(names)
        for index, category in enumerate(categories):
            usd = [kept[b].get(category, 0.0) for b in names]
            bars = axes.barh(
                names, usd, left=left, color=_CATEGORY_COLOURS[index % 6], label=category
            )
            _mark(bars, "cost", category)
            left = [a + b for a, b in zip(left, usd, strict=True)]
        for row, total in enumerate(left):
            axes.text(total, row, f"  {total:.4f} USD", va="center")
        axes.set_xlabel("USD per month")
        figure.legend(loc="outside lower center", ncol=4, frameon=False)
        axes.margins(x=0.25)
        _tidy(axes)

    return _svg("cost", 0.5 * len(kept) + 1.4, draw)
