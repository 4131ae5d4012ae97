"""Drawing FigureSpecs with matplotlib, off screen (Agg for PNG, matplotlib's SVG backend for SVG).

matplotlib is an optional extra (`pip install -e ".[plot]"`): every import of it is inside a
function, so importing this module (and the app, and headless) never loads it. No pyplot: the
figures are plain `matplotlib.figure.Figure`s on an Agg canvas, so no display is ever opened
(SSH boxes) and no global figure state is kept between calls.
"""

from __future__ import annotations

import math
from pathlib import Path

from makemore_tui.plot.series import FigureSpec

FORMATS = ("png", "svg")  # one file of each per figure
DPI = 100  # PNG pixels per inch: the lecture's 20×4 in figure is 2000×400 px
PALETTE = "tab10"  # a compare's variant k has colour k (at most 8 variants: all distinct)
MAX_COLUMNS = 5  # small multiples wrap into balanced rows of at most this many panels


class MatplotlibMissing(ImportError):
    """matplotlib is not installed; str() is one line saying how to install it."""


def require_matplotlib() -> None:
    """Raise MatplotlibMissing unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MatplotlibMissing('plot needs matplotlib: pip install -e ".[plot]" (or pip install matplotlib)') from None


def grid(panels: int) -> tuple[int, int]:
    """(rows, columns) of small multiples: balanced rows of at most MAX_COLUMNS panels."""
    rows = max(1, math.ceil(panels / MAX_COLUMNS))
    return rows, max(1, math.ceil(panels / rows))


def draw(spec: FigureSpec):
    """A matplotlib Figure of `spec` (on an Agg canvas); its axes are in panel order."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows, cols = grid(len(spec.panels))
    single = len(spec.panels) == 1
    size = (20, 4) if single else (4.2 * cols, 3.4 * rows + 0.8)  # the lecture's figsize=(20, 4)
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).flatten()
    colours = _palette()
    for k, (ax, panel) in enumerate(zip(axes, spec.panels)):
        _draw_panel(ax, panel, spec, colours, first=k == 0)
        if single:
            ax.set_title(spec.title)
        elif panel.title:
            ax.set_title(panel.title, fontsize="medium")
    for ax in axes[len(spec.panels) :]:
        ax.set_visible(False)
    if not single:
        figure.suptitle(spec.title)
    if spec.note:  # a super-xlabel: constrained layout keeps room for it under the panels
        figure.supxlabel(spec.note, x=0.995, ha="right", fontsize="x-small", color="0.4")
    return figure


def _palette() -> list:
    from matplotlib import colormaps

    return list(colormaps[PALETTE].colors)


def _draw_panel(ax, panel, spec: FigureSpec, colours: list, first: bool) -> None:
    cycled = sum(curve.color is None for curve in panel.curves)
    if cycled > len(colours):  # a deep net: more layers than the palette has colours
        from matplotlib import colormaps

        ax.set_prop_cycle(color=[colormaps["viridis"](k / cycled) for k in range(cycled)])
    for curve in panel.curves:
        style = {"label": curve.label}
        if curve.color is not None:
            style["color"] = colours[curve.color % len(colours)]
        if curve.marker:
            style |= {"marker": curve.marker, "linestyle": "none", "markersize": 7}
            if not curve.filled:
                style["markerfacecolor"] = "none"
        ax.plot(curve.x, curve.y, **style)
    if spec.hline is not None:  # the lecture's plt.plot([0, len(ud)], [-3, -3], 'k'); in the legend once
        ax.axhline(spec.hline, color="k", linewidth=1, label=spec.hline_label if first else "_reference")
    if spec.log_y:
        _log_y(ax)
    if spec.ylim is not None:
        ax.set_ylim(*spec.ylim)
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    ax.grid(alpha=0.25)
    if len(spec.panels) == 1:
        ax.legend(fontsize="small" if len(panel.curves) <= 8 else "x-small")
    else:  # small multiples: each legend under its axes, where it hides no neighbour's curves or labels
        ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.22), borderaxespad=0)


def _log_y(ax) -> None:
    """A log y axis labelled in plain numbers (2.4, not 2.4×10⁰).

    A loss usually spans less than a decade: every minor tick is labelled. A diverged variant's
    can span four: then only the decades are, or their labels would pile on one another.
    """
    from matplotlib.ticker import LogFormatter

    ax.set_yscale("log")
    # minor ticks: all labelled under 0.4 decades shown, a subset under 1, none beyond
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def save(figure, directory: Path, name: str) -> list[Path]:
    """Write `figure` as DIR/NAME.png and DIR/NAME.svg; return the paths. OSError if it cannot."""
    paths = []
    for fmt in FORMATS:
        path = directory / f"{name}.{fmt}"
        figure.savefig(path, format=fmt)
        paths.append(path)
    return paths
