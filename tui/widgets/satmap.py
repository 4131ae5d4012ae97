"""The lecture's saturation picture: |t| > 0.99 per example × neuron for one tanh layer."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from textual.reactive import reactive

from core.health import layer_name
from tui.canvas import Line, bool_map, message_lines
from tui.state import SATMAP, STATS
from tui.widgets.panel import BAD_STYLE, DIM_STYLE, Panel, layer_style, text_line

ON_STYLE = Style(color="#ffffff")
OFF_STYLE = Style(color="#202020")


class SatMapPanel(Panel):
    """Rows are the batch's examples, columns the layer's neurons; white = saturated."""

    PART = SATMAP
    TITLE = "7 saturation map · |t|>0.99 · m: next layer"
    HINT_PANEL = "map"

    shown_layer = reactive(0)  # position among the tanh layers, cycled by the app's `m` key

    def __init__(self, view, *, live: bool = True, id: str | None = None, classes: str | None = None):
        super().__init__(view, id=id, classes=classes)
        self.live = live

    def extra_key(self) -> tuple:
        # Hints (dead neurons) follow the stats even when no map arrives (replay).
        return (self.shown_layer, self.view.versions[STATS])

    def watch_shown_layer(self) -> None:
        self.refresh()

    def layer_count(self) -> int:
        """How many tanh layers there are to cycle through."""
        run = self.view.current
        if run is None or run.stats is None:
            return 0
        return len(run.stats.get("layers") or [])

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        if run is None or not run.satmap:
            text = (
                "waiting for the first map…"
                if self.live
                else "saturation maps are live only: the run log does not keep them"
            )
            return message_lines(text, width, height, DIM_STYLE)
        position = self.shown_layer % len(run.satmap)
        grid = np.asarray(run.satmap[position], dtype=bool)
        layers = (run.stats or {}).get("layers") or []
        name = layer_name(layers[position], position) if position < len(layers) else f"layer {position + 1}"
        dead = int(grid.all(axis=0).sum()) if grid.ndim == 2 else 0
        rows, cols = grid.shape if grid.ndim == 2 else (0, 0)
        header = text_line(
            (f"{name}", layer_style(position)),
            (
                f" {position + 1}/{len(run.satmap)} · {rows}×{cols} · "
                f"{grid.mean() * 100 if grid.size else 0:.1f}% white · ",
                DIM_STYLE,
            ),
            (f"{dead} dead", BAD_STYLE if dead else DIM_STYLE),
        )
        return [header, *bool_map(grid, width, height - 1, ON_STYLE, OFF_STYLE)]
