"""The lecture's saturation picture: |t| > 0.99 per example × neuron for one tanh layer."""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive

from makemore_tui.core.health import layer_name
from makemore_tui.tui.canvas import Line, bool_map, message_lines
from makemore_tui.tui.state import SATMAP, STATS, VariantView
from makemore_tui.tui.widgets.panel import Panel, text_line
from makemore_tui.tui.widgets.variants import ended_note, variant_style

# The run log does not keep maps (too big), so a replay never gets one.
NO_MAP = "no map yet · maps are live only (run logs keep none)"
# What the header leaves out, in turn, until it fits: the map's shape, the words of an ended variant's note
# (✖ diverged @401), then the note's reason (✖ @401), the layer's place (1/5), the key to the next variant.
HEADER_CUTS = ("shape", "words", "note", "place", "key")


class SatMapPanel(Panel):
    """Rows are the batch's examples, columns the layer's neurons; white = saturated."""

    PART = SATMAP

    shown_layer = reactive(0)  # position among the tanh layers, cycled by the app's `m` key

    def extra_key(self) -> tuple:
        # Hints (dead neurons) follow the stats even when no map arrives (replay); a compare shows one variant (v).
        return (self.shown_layer, self.view.versions[STATS], self.view.shown_variant)

    def watch_shown_layer(self) -> None:
        self.refresh()

    def layer_count(self) -> int:
        """How many tanh layers there are to cycle through."""
        variant = self.view.variant_shown()
        if variant is None or variant.stats is None:
            return 0
        return len(variant.stats.get("layers") or [])

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        variant = self.view.variant_shown()
        palette = self.palette
        if run is None or variant is None or not variant.satmap:
            return message_lines(NO_MAP, width, height, palette.dim)
        position = self.shown_layer % len(variant.satmap)
        grid = np.asarray(variant.satmap[position], dtype=bool)
        header = self._header(run.compare, variant, position, grid, width)
        return [header, *bool_map(grid, width, height - 1, palette.map_on, palette.map_off)]

    def _header(self, compare: bool, variant: VariantView, position: int, grid: np.ndarray, width: int) -> Line:
        """Which variant (a compare) and layer, the map's shape, how much is white and how many neurons are
        dead, in one line: what does not fit goes, in HEADER_CUTS's order."""
        palette = self.palette
        layers = (variant.stats or {}).get("layers") or []
        name = layer_name(layers[position], position) if position < len(layers) else f"layer {position + 1}"
        dead = int(grid.all(axis=0).sum()) if grid.ndim == 2 else 0
        rows, cols = grid.shape if grid.ndim == 2 else (0, 0)
        white = f" · {grid.mean() * 100 if grid.size else 0:.1f}% white · "
        for drop in range(len(HEADER_CUTS) + 1):
            cut = HEADER_CUTS[:drop]
            line: Line = []
            if compare:  # which variant, and the key to the next
                note = ended_note(variant, short="note" in cut, brief="words" in cut)
                line = text_line(
                    (f"{variant.name} {note}".rstrip(), variant_style(palette, variant)),
                    (" · " if "key" in cut else " · v next · ", palette.dim),
                )
            place = "" if "place" in cut else f" {position + 1}/{len(variant.satmap)}"
            shape = "" if "shape" in cut else f" · {rows}×{cols}"
            line += text_line(
                (name, palette.dim if compare else palette.layer(position)),
                (f"{place}{shape}{white}", palette.dim),
                (f"{dead} dead", palette.bad if dead else palette.dim),
            )
            if sum(segment.cell_length for segment in line) <= width:
                break
        return line  # the shortest, when none fits: the panel cuts it with …
