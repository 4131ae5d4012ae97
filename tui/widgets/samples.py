"""Names sampled from the model, in columns, with the step they were sampled at."""

from __future__ import annotations

from tui.canvas import Line, message_lines
from tui.state import SAMPLES
from tui.widgets.panel import Panel, text_line


class SamplesPanel(Panel):
    """The latest names the model made up (s samples new ones)."""

    PART = SAMPLES

    def build(self, width: int, height: int) -> list[Line]:
        run = self.view.current
        palette = self.palette
        names = run.samples if run is not None else []
        if not names:
            return message_lines("no samples yet: press s, or wait for the end of the run", width, height, palette.dim)
        step = run.samples_step if run.samples_step is not None else run.step
        lines = [text_line((f"run {run.run}, step {step:,}:", palette.dim))]
        column = min(max(len(name) for name in names) + 2, max(width, 1))
        per_row = max(width // column, 1)
        for start in range(0, len(names), per_row):
            lines.append(text_line("".join(f"{name:<{column}}" for name in names[start : start + per_row])))
        previous = self.view.previous
        if previous is not None and previous.samples and len(lines) < height - 1:
            lines.append(text_line((f"run {previous.run}: " + "  ".join(previous.samples), palette.ghost)))
        return lines[:height]
