"""The runs table: one row per run and variant seen, folded incrementally from records.

Headless prints it at the end; the app can show the same rows as a panel. Pure Python over
the record contract (core/records.py): no torch, no Textual.

    table = RunsTable()
    for record in records:
        table.apply(record)
    print("\\n".join(format_runs_table(table.rows)))

A row says what differs (a compare variant's label; for a single run the config fields that
differ from the previous run, or from its preset for the first), the steps done, the last
train/val loss, the peak tanh saturation (max over layers and stats ticks, percent of |t| > 0.97)
and the mean update:data ratio (log10, over the weights W1…, over the run's stats ticks; the
embedding C is left out as the health rules leave it out: a batch touches few of its rows, so
its ratio sits low by nature — makemore part 3).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from makemore_tui.core.config import PRESETS, TrainConfig
from makemore_tui.core.records import EndReason, Event, variant_of, variants_of
from makemore_tui.core.text import printable
from makemore_tui.core.values import is_number
from makemore_tui.core.wording import config_difference

TABLE_WIDTH = 120  # columns the runs table fits in when the caller gives no width

# ---- what differs ---------------------------------------------------------------------------------


def _reference_config(config: Mapping) -> dict:
    """The preset a first run started from (the default preset when unknown)."""
    preset = PRESETS.get(config.get("preset"), TrainConfig())
    return preset.to_dict()


# ---- the table ---------------------------------------------------------------------------------


@dataclass
class RunRow:
    """One run (single) or one variant of a compare run, as far as its records have told."""

    run: int  # the run number (1, 2, … across reruns)
    variant: int  # 0-based; 0 for a single run
    differs: str  # what sets it apart: the variant label, or the config fields changed
    steps: int = 0  # steps done so far (the end's step once it ended)
    train: float | None = None  # the last eval's train loss
    val: float | None = None  # … and val loss
    peak_saturation: float | None = None  # max saturated % over layers and stats ticks
    update_sum: float = 0.0  # sum of every weight's log10 update:data over the stats ticks
    update_count: int = 0  # how many values update_sum holds
    end: str | None = None  # EndReason once it ended (None while training)
    end_step: int | None = None  # the step it ended at
    paused: bool = False  # the latest state record of its run said paused

    @property
    def mean_update_log10(self) -> float | None:
        """Mean log10 update:data over the weights and the stats ticks; None before any."""
        return self.update_sum / self.update_count if self.update_count else None

    @property
    def status(self) -> str:
        """`training`, `paused`, `finished`, `stopped at 500`, `diverged at 1200`, `error at 40`."""
        if self.end is None:
            return "paused" if self.paused else "training"
        if self.end == EndReason.FINISHED:
            return str(self.end)
        return f"{self.end} at {self.end_step}" if self.end_step is not None else str(self.end)


@dataclass
class RunsTable:
    """Every run and variant seen, in order; `apply` folds one record in (any order-safe subset)."""

    rows: list[RunRow] = field(default_factory=list)
    _by_key: dict[tuple[int, int], RunRow] = field(default_factory=dict, repr=False)
    _last_config: dict | None = field(default=None, repr=False)  # variant 0 of the previous run
    _last_model: object = field(default=None, repr=False)  # the previous run's --model file record (path, sha256)

    def apply(self, record: Mapping) -> None:
        """Fold one record in; records of unknown events or runs never announced are ignored."""
        event = record.get("event")
        if event == Event.RUN_START:
            self._start(record)
            return
        run = record.get("run")
        if event in (Event.RUN_END, Event.STATE):
            for row in self.rows:
                if row.run == run and row.end is None:
                    if event == Event.RUN_END:
                        self._end(row, record)
                    elif isinstance(record.get("paused"), bool):
                        row.paused = record["paused"]
            return
        row = self._by_key.get((run, variant_of(record)))
        if row is None:
            return
        if event == Event.STATS:
            _fold_stats(row, record)
        elif event == Event.EVAL:
            row.train, row.val = _number_or_none(record.get("train")), _number_or_none(record.get("val"))
            row.steps = max(row.steps, _step(record))
        elif event == Event.VARIANT_END:
            self._end(row, record)

    def _start(self, record: Mapping) -> None:
        variants = variants_of(record)
        config = variants[0]["config"]
        if len(variants) > 1:
            labels = [variant["label"] for variant in variants]
        else:
            reference = self._last_config if self._last_config is not None else _reference_config(config)
            phrases = config_difference(config, reference) + _edited(record.get("model"), self._last_model)
            labels = [" · ".join(phrases) or ("defaults" if self._last_config is None else "as before")]
        run = record.get("run") if isinstance(record.get("run"), int) else len(self.rows) + 1
        for v, label in enumerate(labels):
            row = RunRow(run=run, variant=v, differs=label)
            self.rows.append(row)
            self._by_key[(run, v)] = row
        self._last_config = dict(config)
        self._last_model = record.get("model") or self._last_model  # a build that failed records no file

    @staticmethod
    def _end(row: RunRow, record: Mapping) -> None:
        row.end = str(record.get("reason") or EndReason.ERROR)
        row.end_step = _step(record) if isinstance(record.get("step"), int) else None
        if row.end_step is not None:
            row.steps = row.end_step


def _edited(model: object, before: object) -> list[str]:
    """["mynet.py edited"] when a --model run's file (run_start's `model`: path and sha256) is the previous run's
    file with other contents; else []."""
    if not (isinstance(model, Mapping) and isinstance(before, Mapping)):
        return []
    same_file = model.get("path") == before.get("path")
    if same_file and model.get("sha256") != before.get("sha256"):
        return [f"{printable(os.path.basename(str(model.get('path'))))} edited"]
    return []


def _step(record: Mapping) -> int:
    step = record.get("step")
    return step if isinstance(step, int) and not isinstance(step, bool) else 0


def _number_or_none(value) -> float | None:
    return float(value) if is_number(value) else None


def _fold_stats(row: RunRow, stats: Mapping) -> None:
    """Peak saturation and the update:data sum of one stats record (step S counts S + 1 steps done)."""
    row.steps = max(row.steps, _step(stats) + 1)
    for layer in stats.get("layers") or []:
        pct = layer.get("saturated_pct") if isinstance(layer, Mapping) else None
        if is_number(pct) and (row.peak_saturation is None or pct > row.peak_saturation):
            row.peak_saturation = float(pct)
    for param in (stats.get("params") or [])[1:]:  # the weights: C (index 0) is not judged
        ratio = param.get("update_to_data_log10") if isinstance(param, Mapping) else None
        if is_number(ratio):
            row.update_sum += ratio
            row.update_count += 1


# ---- text ----------------------------------------------------------------------------------------

_HEADS = ("run", "what differs", "steps", "train", "val", "peak sat %", "update:data", "end")


def format_runs_table(rows: Sequence[RunRow], width: int = TABLE_WIDTH) -> list[str]:
    """The runs table as lines of at most `width` columns: a head line, then one line per row.

    Numbers that are undefined (no eval yet, a diverged loss) show as `–`; update:data is log10.
    The `what differs` column takes the room the others leave and cuts its text with `…`.
    """
    compared = {row.run for row in rows if row.variant > 0}  # a compare's rows carry their variant's letter
    cells = [_cells(row, row.run in compared) for row in rows]
    widths = [max([len(head)] + [len(line[i]) for line in cells]) for i, head in enumerate(_HEADS)]
    others = sum(w for i, w in enumerate(widths) if i != 1) + 2 * (len(_HEADS) - 1)
    widths[1] = max(len(_HEADS[1]), min(widths[1], width - others))
    lines = [_join(_HEADS, widths)]
    for line in cells:
        line[1] = _cut(line[1], widths[1])
        lines.append(_join(line, widths))
    return [line[:width].rstrip() for line in lines]


def _cells(row: RunRow, lettered: bool) -> list[str]:
    letter = f"{chr(ord('a') + row.variant)} " if lettered else ""  # `a gain 0.5 · BN on`: a cut keeps the letter
    return [
        str(row.run),
        letter + printable(row.differs),
        str(row.steps),
        _num(row.train, ".4f"),
        _num(row.val, ".4f"),
        _num(row.peak_saturation, ".1f"),
        _num(row.mean_update_log10, "+.2f"),
        row.status,
    ]


def _num(value, spec: str) -> str:
    return format(value, spec) if is_number(value) else "–"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _join(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Text columns left-aligned (run, what differs, end), numbers right-aligned."""
    parts = [cell.ljust(w) if i in (0, 1, 7) else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths))]
    return "  ".join(parts).rstrip()
