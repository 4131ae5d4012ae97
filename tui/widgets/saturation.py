"""Saturation bars per tanh layer, with mean and std, and the previous run as a ghost."""

from __future__ import annotations

import math

from rich.style import Style

from core.health import SATURATION_LIMIT_PCT, layer_name
from tui.canvas import Line, bar, message_lines
from tui.widgets.palette import Palette
from tui.widgets.panel import Panel, text_line

BAD_PCT = 4 * SATURATION_LIMIT_PCT


def saturation_style(pct: float, palette: Palette) -> Style:
    """ok when fine, warn past the lecture's 5%, bad when far past it."""
    if pct > BAD_PCT:
        return palette.bad
    if pct > SATURATION_LIMIT_PCT:
        return palette.warn
    return palette.ok


class SaturationPanel(Panel):
    """Per tanh layer: percent of |t| > 0.97 as a bar, mean, std, dead neurons."""

    def body_lines(self) -> int:
        run = self.view.current
        layers = (run.stats or {}).get("layers") or [] if run is not None else []
        return 1 + len(layers)

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        if run is None or run.stats is None:
            return message_lines("waiting for the first statistics…", width, height, palette.dim)
        layers = run.stats.get("layers") or []
        previous = self.view.previous
        ghosts: list[float | None] = []
        for i in range(len(layers)):
            if previous is not None and i < len(previous.saturation_series):
                ghosts.append(previous.saturation_series[i].value_at(run.step))
            else:
                ghosts.append(None)
        values = [layer.get("saturated_pct") or 0.0 for layer in layers]
        top = max([20.0] + [v for v in values + [g for g in ghosts if g is not None] if math.isfinite(v)])
        scale = math.ceil(top / 10) * 10

        two_rows = previous is not None and height >= 1 + 2 * len(layers)
        show_prev = previous is not None and width >= 44 and not two_rows
        show_moments = width >= 36
        show_dead = width >= 50
        fixed = 4 + 7 + (12 if show_moments else 0) + (5 if show_dead else 0) + (8 if show_prev else 0)
        bar_width = max(width - fixed, 4)
        header = text_line(
            ("tanh", palette.dim),
            (f"{f' |t|>0.97 · bar 0–{scale}%'[:bar_width]:<{bar_width}}{'':7}", palette.dim),
            ("  mean   std" if show_moments else "", palette.dim),
            (" dead" if show_dead else "", palette.dim),
            (f"{'run ' + str(previous.run):>8}" if show_prev else "", palette.ghost),
        )
        lines = [header]
        for i, layer in enumerate(layers):
            pct = values[i] if math.isfinite(values[i]) else 0.0
            ghost = ghosts[i]
            line = text_line((f"{layer_name(layer, i):<4}", palette.layer(i)))
            line += bar(
                pct / scale,
                bar_width,
                saturation_style(pct, palette),
                palette.track,
                None if ghost is None else ghost / scale,
                palette.ghost,
            )
            line += text_line((f"{pct:6.1f}%", saturation_style(pct, palette)))
            if show_moments:
                line += text_line(f"{_num(layer.get('mean'), '+.2f'):>7}{_num(layer.get('std'), '.2f'):>5}")
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
                    + text_line((f"{ghost:6.1f}% run {previous.run}", palette.ghost))
                )
        return lines[:height]


def _num(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) and math.isfinite(value) else "–"
