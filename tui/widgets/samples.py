"""Names sampled from the model, in columns laid out by display width, with the step they were
sampled at; names asked for with `s` stay up a while beside the scheduled ones."""

from __future__ import annotations

import dataclasses
import textwrap

from rich.cells import cell_len
from rich.style import Style

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.evaluate import shown_samples
from makemore_tui.tui.canvas import Line, message_lines
from makemore_tui.tui.state import SAMPLES, RunView, VariantView
from makemore_tui.tui.widgets.panel import Panel, text_line
from makemore_tui.tui.widgets.variants import ended_note, fit, variant_style

_FIELDS = {field.name for field in dataclasses.fields(TrainConfig)}


def sample_interval(config: dict) -> int | None:
    """Steps between the trainer's scheduled samples for a run's config dict (None when unreadable)."""
    try:
        return TrainConfig(**{k: v for k, v in config.items() if k in _FIELDS}).sample_interval
    except (TypeError, ValueError, ArithmeticError):
        return None


def name_rows(names: list[str], width: int, style: Style | None = None) -> list[Line]:
    """Names (ready for a terminal) in columns of equal display width (Rich's cell_len, as Textual
    lays out cells): a name of combining vowel signs or wide characters keeps its column and the
    panel's border; one wider than the panel is cut with `…`."""
    if not names or width < 1:
        return []
    column = min(max(cell_len(name) for name in names) + 2, width)
    per_row = max(width // column, 1)
    return [
        text_line(("".join(fit(name, column) for name in names[start : start + per_row]), style))
        for start in range(0, len(names), per_row)
    ]


class SamplesPanel(Panel):
    """The latest names the model made up (s samples new ones)."""

    PART = SAMPLES

    def extra_key(self) -> tuple:
        return (self.view.shown_variant,)

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        variant = self.view.variant_shown()
        palette = self.palette
        if run is None or variant is None:
            return message_lines("waiting for the run to start…", width, height, palette.dim)
        lines = self._heading(run, variant, width) if run.compare else []
        asked = variant.asked
        if asked is not None and not variant.samples_asked:  # a scheduled sample came after the asked-for one
            lines.append(text_line((f"asked for (s) at step {asked.step:,}:", palette.dim)))
            lines += name_rows(shown_samples(list(asked.names), list(asked.cut)), width)
            if variant.samples and len(lines) < height - 1:
                lines.append(text_line((f"since, at step {variant.samples_step:,}:", palette.dim)))
                lines += name_rows(shown_samples(variant.samples, variant.samples_cut), width)
            return lines[:height]
        if not variant.samples:
            lines += [text_line((text, palette.dim)) for text in textwrap.wrap(self._waiting(run, variant), width)]
            return lines[:height]
        where = f"step {variant.samples_step:,}" if variant.samples_step is not None else f"step {run.step:,}"
        caption = f"{where}, asked for (s):" if variant.samples_asked else f"{where}:"
        lines.append(text_line((caption if run.compare else f"run {run.run}, {caption}", palette.dim)))
        lines += name_rows(shown_samples(variant.samples, variant.samples_cut), width)
        previous, before = self.view.previous, self.view.previous_shown()
        if not run.compare and before is not None and before.samples and len(lines) < height - 1:
            names = "  ".join(shown_samples(before.samples, before.samples_cut))
            lines.append(text_line((fit(f"run {previous.run}: {names}", width), palette.ghost)))
        return lines[:height]

    def _heading(self, run: RunView, variant: VariantView, width: int) -> list[Line]:
        """In a compare: whose names these are, and the key to the next variant; shorter where it does not fit
        (✖ diverged @401, then ✖ @401, then without its place 2/4)."""
        style, dim = variant_style(self.palette, variant), self.palette.dim
        place = f" · {variant.index + 1}/{len(run.variants)}"
        for brief, short, where in ((False, False, place), (True, False, place), (True, True, place), (True, True, "")):
            line = text_line(
                (f"{variant.name} {ended_note(variant, short, brief)}".rstrip(), style),
                (f"{where} · v: next variant", dim),
            )
            if sum(segment.cell_length for segment in line) <= width:
                break
        return [line]  # the shortest, when none fits: the panel cuts it with …

    def _waiting(self, run: RunView, variant: VariantView) -> str:
        """When the first names will come: the trainer samples every few thousand steps, and at the end."""
        if run.engine == "monitor":  # a user's loop (core/monitor.py): no vocabulary, nothing to sample
            return "no samples: a loop watched by Monitor has no vocabulary to sample from"
        interval = sample_interval(variant.config or run.config)
        total = run.total_steps
        ask = "" if getattr(self.app, "feed", None) is None or self.app.feed.recording else " · s samples now"
        if interval is None or (total is not None and interval >= total):
            return f"no samples yet{ask} · the run samples at its end"
        upcoming = (run.step // interval + 1) * interval
        return f"no samples yet{ask} · the first come at step {upcoming:,} (then every {interval:,})"
