"""The runs table: every run (and compare variant) since the app started, side by side.

After b, g, t, i, o or r the lecture's comparison is in these rows: what differs, how far it
went, the last train/val loss, the peak saturation and the mean update:data. The rows are
`core.summary.RunsTable`'s, folded by the view from the records it gets (a replay: up to the
cursor), in the layout headless prints at the end (`format_runs_table`).
"""

from __future__ import annotations

from rich.style import Style

from makemore_tui.core.records import EndReason
from makemore_tui.core.summary import RunRow, format_runs_table
from makemore_tui.tui.canvas import Line, message_lines
from makemore_tui.tui.state import LOSS, STATUS
from makemore_tui.tui.widgets.panel import Panel, text_line


class RunsPanel(Panel):
    """One line per run and variant, the newest at the bottom; the current run marked."""

    ALSO = frozenset({STATUS, LOSS})  # evals (the losses) and ends (the status) change rows after the last stats

    def extra_key(self) -> tuple:
        # rows change with stats (steps, saturation), evals (losses) and ends (status)
        return (self.view.versions[STATUS], self.view.versions[LOSS])

    def build(self, width: int, height: int) -> list[Line]:
        rows = self.view.runs.rows
        palette = self.palette
        if not rows:
            return message_lines("no run yet", width, height, palette.dim)
        current = self.view.current.run if self.view.current is not None else None
        table = format_runs_table(rows, max(width - 1, 20))  # a cell for the marker: the whole table at 80×24
        head, body = table[0], table[1:]
        room = max(height - 1, 1)
        earlier = 0
        if len(body) > room:  # the newest rows matter most: say how many earlier ones are left out
            earlier = len(body) - (room - 1)
            body, rows = body[earlier:], rows[earlier:]
        lines = [text_line((" " + head, palette.dim))]
        if earlier:
            lines.append(text_line((f"  … {earlier} earlier row{'s' if earlier > 1 else ''} (z zooms)", palette.dim)))
        for row, text in zip(rows, body):
            marker = "▶" if row.run == current else " "
            lines.append(text_line((marker + text, self._style(row, row.run == current))))
        return lines[:height]

    def _style(self, row: RunRow, current: bool) -> Style | None:
        if row.end in (EndReason.DIVERGED, EndReason.ERROR):
            return self.palette.bad
        return self.palette.message if current else None
