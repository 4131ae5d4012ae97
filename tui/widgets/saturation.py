"""Saturation bars per tanh layer with each layer's forward gain: one run (the previous one as a
ghost) or every variant of a compare side by side."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.style import Style

from makemore_tui.core.health import (
    INIT_SATURATION_LIMIT_PCT,
    SATURATION_LIMIT_PCT,
    TRAINING_SATURATION_LIMIT_PCT,
    Regime,
    init_saturation_hints,
    layer_name,
)
from makemore_tui.core.kinds import column_word, record_kinds
from makemore_tui.core.values import forward_gains, is_number
from makemore_tui.tui.canvas import Line, bar
from makemore_tui.tui.state import RunView, VariantView
from makemore_tui.tui.widgets.palette import Palette
from makemore_tui.tui.widgets.panel import Panel, activation_word, text_line
from makemore_tui.tui.widgets.variants import (
    OFF_SCALE,
    ended_note,
    fit,
    scale_setters,
    shared_words,
    short_label,
    split_widths,
    variant_style,
)

# In training a layer past this is unusual but not yet an alarm: healthy 200,000-step runs stayed
# under 65% per layer (BatchNorm: under 26%), a far too high lr reached 95–100% (core/health.py).
TRAINING_WARN_PCT = 65.0
PCT_CELLS = 5  # " 2.5%", "  26%", " 100%"
GAIN_CELLS = 6  # " ×0.98"


def saturation_level(pct: float, step: int | None, regime: Regime, init_alarm: bool) -> str:
    """ok, warn or bad for a layer `pct` percent saturated, judged as core/health.py judges it.

    At step 0 (the init): past the lecture's 5% is warn, past INIT_SATURATION_LIMIT_PCT bad when
    the init rule fires (`init_alarm`: the median layer is past it too; the lecture's no-BN net has
    L1 at 22% and is healthy). In training saturation grows as the net learns: warn past
    TRAINING_WARN_PCT, bad past TRAINING_SATURATION_LIMIT_PCT (the training rule's level). A linear
    activation does not saturate: always ok.
    """
    if not regime.tanh:
        return "ok"
    if not step:
        if init_alarm and pct > INIT_SATURATION_LIMIT_PCT:
            return "bad"
        return "warn" if pct > SATURATION_LIMIT_PCT else "ok"
    if pct > TRAINING_SATURATION_LIMIT_PCT:
        return "bad"
    return "warn" if pct > TRAINING_WARN_PCT else "ok"


class Levels:
    """The health colour of each layer's saturation in one stats record of one variant."""

    def __init__(self, stats: Mapping, config: Mapping):
        self.step = stats.get("step")
        self.regime = Regime.of(config)
        layers = [layer for layer in stats.get("layers") or [] if isinstance(layer, Mapping)]
        self.init_alarm = not self.step and bool(init_saturation_hints(layers, self.regime))

    def style(self, pct: float, palette: Palette) -> Style:
        return getattr(palette, saturation_level(pct, self.step, self.regime, self.init_alarm))


def percent(value) -> float:
    """A saturation percentage to draw: 0 when missing or not finite."""
    return float(value) if is_number(value) else 0.0


def format_pct(pct: float) -> str:
    """Five cells: ` 2.5%`, `  26%`, ` 100%`."""
    return f"{pct:4.1f}%" if pct < 9.95 else f"{pct:4.0f}%"


def format_gain(gain: float | None) -> str:
    """Six cells: ` ×0.98`, ` ×12.2`, ` ×1217`, or a dash when unknown."""
    return f" ×{_compact(gain, 4):>4}" if gain is not None else f"{'–':>6}"


def bar_scale(values: Sequence[float]) -> int:
    """The bars' full scale in percent: at least 20, rounded up to tens."""
    top = max([20.0, *(v for v in values if math.isfinite(v))])
    return min(math.ceil(top / 10) * 10, 100)


def scale_label(scale: int, width: int) -> str:
    """The bar column's header, `0` at its left and the scale at its right, never cut: `0    20%`."""
    right = f"{scale}%"
    if width >= len(right) + 2:
        return "0" + right.rjust(width - 1)
    return f"≤{right}"[:width].ljust(width) if width >= 4 else " " * width


class SaturationPanel(Panel):
    """Per tanh layer: percent of |t| > 0.97 as a bar, forward gain, mean, std, dead neurons."""

    def heading(self) -> str:
        heading = super().heading()
        if activation_word(self.view.current) == "linear":  # an identity layer never saturates: it counts |x|>0.97
            heading = heading.replace("saturation", "|x|>0.97 (no saturation)", 1)
        return heading

    def body_lines(self) -> int:
        run, variant = self.view.current, self.view.variant_shown()
        layers = (variant.stats or {}).get("layers") or [] if variant is not None else []
        return 1 + len(layers) + (1 if run is not None and run.compare else 0)

    def build(self, width: int, height: int) -> list[Line]:
        return self.stats_body(width, height, lambda run: self._single(run, self.view.variant_shown(), width, height))

    # ---- one run --------------------------------------------------------------------------

    def _ghosts(self, run: RunView, count: int) -> list[float | None]:
        before = self.view.previous_shown()
        if before is None:
            return [None] * count
        return [
            before.saturation_series[i].value_at(run.step) if i < len(before.saturation_series) else None
            for i in range(count)
        ]

    def _single(self, run: RunView, variant: VariantView, width: int, height: int) -> list[Line]:
        palette = self.palette
        layers = variant.stats.get("layers") or []
        previous = self.view.previous
        ghosts = self._ghosts(run, len(layers))
        values = [percent(layer.get("saturated_pct")) for layer in layers]
        scale = bar_scale(values + [g for g in ghosts if g is not None])
        gains = forward_gains(variant.stats)
        levels = Levels(variant.stats, run.config)

        two_rows = previous is not None and height >= 1 + 2 * len(layers)
        show_prev = previous is not None and width >= 46 and not two_rows
        show_gain = width >= 30
        show_moments = width >= 42
        show_dead = width >= 54
        fixed = 4 + PCT_CELLS + 1 + GAIN_CELLS * show_gain + 12 * show_moments + 5 * show_dead + 8 * show_prev
        bar_width = max(width - fixed, 4)
        header = text_line(
            ("    ", palette.dim),
            (scale_label(scale, bar_width), palette.dim),
            (f"{column_word(record_kinds(variant.stats)):>{PCT_CELLS + 1}}", palette.dim),
            (f"{'gain':>{GAIN_CELLS}}" if show_gain else "", palette.dim),
            ("  mean   std" if show_moments else "", palette.dim),
            (" dead" if show_dead else "", palette.dim),
            (f"{'run ' + str(previous.run):>8}" if show_prev else "", palette.ghost),
        )
        lines = [header]
        for i, layer in enumerate(layers):
            pct, ghost = values[i], ghosts[i]
            style = levels.style(pct, palette)
            line = text_line((f"{layer_name(layer, i):<4}", palette.layer(i)))
            line += bar(
                pct / scale, bar_width, style, palette.track, None if ghost is None else ghost / scale, palette.ghost
            )
            line += text_line((" " + format_pct(pct), style))
            if show_gain:
                line += text_line(format_gain(gains[i] if i < len(gains) else None))
            if show_moments:
                line += text_line(f"{_compact(layer.get('mean'), 6, '+'):>7}{_compact(layer.get('std'), 4):>5}")
            if show_dead:
                dead = layer.get("dead") or 0
                line += text_line((f"{dead:>5}", palette.bad if dead else palette.dim))
            if show_prev:
                line += text_line((f"{ghost:7.1f}%" if ghost is not None else f"{'–':>8}", palette.ghost))
            lines.append(line)
            if two_rows and ghost is not None:
                # Room to spare: the previous run's bar right under this run's, for A/B.
                lines.append(
                    text_line(f"{'':4}")
                    + bar(ghost / scale, bar_width, palette.ghost, palette.track)
                    + text_line((f" {format_pct(ghost)} run {previous.run}", palette.ghost))
                )
        return lines[:height]

    # ---- a compare: layer rows, one bar per variant ------------------------------------------

    def _compare(self, run: RunView, width: int, height: int) -> list[Line]:
        palette = self.palette
        variants = run.variants
        shown = [v for v in variants if v.stats is not None]
        depth = max(len(v.stats.get("layers") or []) for v in shown) if shown else 0
        values = {
            v.index: [percent(layer.get("saturated_pct")) for layer in v.stats.get("layers") or []] for v in shown
        }
        setters = {v.index for v in scale_setters(shown)}
        scale = bar_scale([pct for k, row in values.items() if k in setters for pct in row])
        levels = {v.index: Levels(v.stats, v.config) for v in shown}
        gains = {v.index: forward_gains(v.stats) for v in shown}
        cells = split_widths(width - 4, len(variants))
        show_gain = min(cells) >= PCT_CELLS + GAIN_CELLS + 5
        lines = [self._compare_header(variants, cells)]
        for i in range(depth):
            line = text_line((f"L{i + 1:<3}", palette.dim))
            for k, variant in enumerate(variants):
                level, gain = levels.get(variant.index), gains.get(variant.index, [])
                line += text_line(" ") + self._cell(variant, level, gain, i, cells[k] - 1, scale, show_gain)
            lines.append(line)
        gain_rows = [] if show_gain else self._gain_rows(variants, gains, cells, depth, width)
        if height < len(lines) + 1 + len(gain_rows):
            gain_rows = []  # no room for them under a one-line footer: z gives it
        footer = footer_lines(variants, values, scale, width, max(height - len(lines) - len(gain_rows), 1))
        if not show_gain and not gain_rows and cell_len(footer[-1] + " · z: forward gains") <= width:
            footer[-1] += " · z: forward gains"
        lines += [text_line((text, palette.dim)) for text in footer]
        return (lines + gain_rows)[:height]

    def _compare_header(self, variants: list[VariantView], cells: list[int]) -> Line:
        """Each variant's name over its column; when one does not fit, the words all share go left (`gain`)."""
        notes = [f" {ended_note(v, short=True)}" if v.ended is not None else "" for v in variants]
        if any(cell_len(v.name + note) > cell - 1 for v, note, cell in zip(variants, notes, cells)):
            notes = [note[:2] for note in notes]  # ` ✖`: the line under the bars says when
        shared = ""
        if any(cell_len(v.name + note) > cell - 1 for v, note, cell in zip(variants, notes, cells)):
            shared = shared_words([v.label for v in variants])
        line = text_line((fit(shared, 4), self.palette.dim))
        for variant, note, cell in zip(variants, notes, cells):
            name = short_label(variant, shared) if shared else variant.name
            line += text_line(" ", (fit(name + note, cell - 1), variant_style(self.palette, variant)))
        return line

    def _gain_rows(
        self, variants: list[VariantView], gains: dict, cells: list[int], depth: int, width: int
    ) -> list[Line]:
        """Each layer's forward gain (std out ÷ std in) per variant, under the bars when they left no room beside."""
        palette = self.palette
        title = "forward gain: std of a layer's output ÷ its input's"
        rows = [text_line((title if cell_len(title) <= width else "forward gain: std out ÷ std in", palette.dim))]
        for i in range(depth):
            line = text_line((f"L{i + 1:<3}", palette.dim))
            for variant, cell in zip(variants, cells):
                found = gains.get(variant.index, [])
                value = format_gain(found[i] if i < len(found) else None).strip()
                line += text_line(" ", (f"{value:<{cell - 1}}", variant_style(palette, variant)))
            rows.append(line)
        return rows

    def _cell(
        self,
        variant: VariantView,
        levels: Levels | None,
        gains: list[float | None],
        i: int,
        width: int,
        scale: int,
        show_gain: bool,
    ) -> Line:
        """Layer i of one variant: its bar in the variant's colour, the percentage in its health colour."""
        palette = self.palette
        layers = (variant.stats or {}).get("layers") or []
        if levels is None or i >= len(layers):
            return text_line(" " * width)
        pct = percent(layers[i].get("saturated_pct"))
        colour = variant_style(palette, variant)
        health = palette.ghost if variant.ended is not None else levels.style(pct, palette)
        bar_width = width - PCT_CELLS - (GAIN_CELLS if show_gain else 0)
        line = bar(pct / scale, bar_width, colour, palette.track) if bar_width >= 1 else []
        line += text_line((format_pct(pct), health))
        if show_gain:
            line += text_line((format_gain(gains[i] if i < len(gains) else None), colour))
        return line


def footer_lines(
    variants: list[VariantView], values: dict[int, list[float]], scale: int, width: int, room: int
) -> list[str]:
    """What ended early and the bars' scale, said whole: on one line, else over up to `room` lines,
    else shorter (`b ✖ diverged @101 off scale`, then `b ✖ @101 off scale`, then `bars 0–20%`)."""
    clipped = {v.index for v in variants if max(values.get(v.index) or [0.0]) > scale}

    def notes(short: bool = False, brief: bool = False) -> list[str]:
        return [
            f"{v.key} {ended_note(v, short, brief)}{' ' + OFF_SCALE if v.index in clipped else ''}"
            for v in variants
            if v.ended is not None
        ]

    full, bare = f"bars 0–{scale}% of |t|>0.97", f"bars 0–{scale}%"
    choices = [[*notes(), full], [*notes(brief=True), full], [*notes(short=True), full], [*notes(short=True), bare]]
    for parts in choices:
        if cell_len(" · ".join(parts)) <= width:
            return [" · ".join(parts)]
        packed = packed_lines(parts, width)
        if len(packed) <= room and all(cell_len(line) <= width for line in packed):
            return packed
    return [" · ".join(choices[-1])]  # the panel cuts it with …


def packed_lines(parts: list[str], width: int, joint: str = " · ") -> list[str]:
    """`parts` joined by `joint` over as few lines of `width` cells as they fill in order (a part wider than
    `width` gets a line of its own)."""
    lines: list[str] = []
    for part in parts:
        if lines and cell_len(lines[-1] + joint + part) <= width:
            lines[-1] += joint + part
        else:
            lines.append(part)
    return lines


def _compact(value, cells: int, sign: str = "") -> str:
    """`value` in at most `cells` characters, two decimals while they fit (a linear net's std of 12.17
    reads 12.2, one of 1,217 reads 1217): its column keeps a space before it whatever the value."""
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        return "–"
    for decimals in (2, 1, 0):
        text = f"{value:{sign}.{decimals}f}"
        if len(text) <= cells:
            return text
    return f"{value:{sign}.0e}".replace("e+0", "e").replace("e+", "e")[:cells]


def _num(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) and math.isfinite(value) else "–"
