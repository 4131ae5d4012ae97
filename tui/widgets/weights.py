"""Per 2-D parameter: gradient mean and std, grad:data and update:data, as the lecture prints."""

from __future__ import annotations

import math

from core.health import param_names
from tui.canvas import Line, bar, message_lines
from tui.widgets.panel import Panel, text_line

# grad:data bars span these decades: 1e-5 … 1e0 covers every healthy and sick run we saw.
LOG_LOW, LOG_HIGH = -5.0, 0.0


class WeightsPanel(Panel):
    """A table of the weight gradients: the numbers behind the lecture's weight-gradient plot."""

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        if run is None or run.stats is None:
            return message_lines("waiting for the first statistics…", width, height, palette.dim)
        params = run.stats.get("params") or []
        if not params:
            return message_lines("no parameter statistics", width, height, palette.dim)
        ratios = [p.get("grad_to_data") for p in params]
        finite = sorted(r for r in ratios if _finite(r) and r > 0)
        median = finite[len(finite) // 2] if finite else None
        show_mean = width >= 70
        bar_width = max(width - (58 if show_mean else 46), 0)
        header = (
            f"{'param':<6}{'shape':<11}"
            + (f"{'grad mean':>11}" if show_mean else "")
            + f"{'grad std':>10}{'grad:data':>10}{'upd:data':>9}"
        )
        lines = [
            text_line(
                (header + (f"  log10 grad:data {LOG_LOW:g}…{LOG_HIGH:g}" if bar_width >= 24 else ""), palette.dim)
            )
        ]
        for i, (name, param) in enumerate(zip(param_names(len(params)), params)):
            shape = param.get("shape") or []
            ratio = param.get("grad_to_data")
            # The lecture's tell-tale: one layer learning ~10× faster than the rest (the last
            # layer right after init) shows up as a grad:data far above the median.
            outlier = median is not None and _finite(ratio) and ratio > 10 * median
            row = f"{name:<6}{'×'.join(str(s) for s in shape):<11}"
            if show_mean:
                row += f"{_sci(param.get('grad_mean')):>11}"
            row += f"{_sci(param.get('grad_std')):>10}"
            line = text_line((row, palette.layer(i)), (f"{_sci(ratio):>10}", palette.warn if outlier else None))
            update = param.get("update_to_data_log10")
            line += text_line((f"{update:>9.2f}" if _finite(update) else f"{'–':>9}", None))
            if bar_width >= 8 and _finite(ratio) and ratio > 0:
                frac = (math.log10(ratio) - LOG_LOW) / (LOG_HIGH - LOG_LOW)
                line += text_line("  ") + bar(
                    frac, bar_width - 2, palette.warn if outlier else palette.layer(i), palette.track
                )
            lines.append(line)
        return lines[:height]


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _sci(value) -> str:
    return f"{value:.2e}" if _finite(value) else "–"
