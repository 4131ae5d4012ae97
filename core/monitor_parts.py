"""The Monitor's parts that know nothing of its timing: its error, the model it walks, the log it opens,
its run_start record, and the update sampler (core/monitor.py)."""

from __future__ import annotations

import math
import os
import queue
import sys
import threading
import time
import warnings

import torch

from makemore_tui.core.kinds import row_std_mean
from makemore_tui.core.probe import Probe
from makemore_tui.core.runlog import RunLog, RunLogError

SAMPLE = 4096  # elements of each 2+-D parameter whose change measures update:data (memory stays ~flat)


class MonitorError(Exception):
    """The Monitor cannot watch this model or write this log; str() says what to do."""


def unwrap(model):
    """The module whose layers the Monitor walks: DDP's `.module`; a compiled model's original (warned:
    hooks attached after torch.compile may not reach its compiled graphs; attach before compiling)."""
    if hasattr(model, "_orig_mod"):
        warnings.warn(
            "Monitor attached to an already compiled model: attach it before torch.compile so its graphs keep "
            "the hooks (activation statistics may be missing)",
            stacklevel=3,
        )
        model = model._orig_mod
    if isinstance(model, torch.nn.parallel.DistributedDataParallel):
        model = model.module
    return model


def check_not_sharded(model, params: list[torch.Tensor]) -> None:
    """Raise MonitorError for FSDP or other sharded parameters (a shard's statistics are not the tensor's)."""
    names = {type(model).__name__, *(type(p).__name__ for p in params)}
    if any("FullyShardedDataParallel" in name or name in ("DTensor", "FlatParameter") for name in names) or any(
        getattr(p, "_is_sharded", False) for p in params
    ):
        raise MonitorError(
            "sharded parameters (FSDP, DTensor) are not supported: watch the model under DDP or on one process"
        )


def open_log(path) -> BackgroundLog:
    """Open the run log (its folder made) to be written by a thread, or raise MonitorError saying why and what
    to do."""
    if path is None:
        raise MonitorError("run_log= is required: a path such as runs/mine.jsonl (replay it with makemore-tui)")
    try:
        return BackgroundLog(RunLog(path))
    except RunLogError as error:
        raise MonitorError(str(error).replace("with --run-log", "with run_log=")) from None


def run_start_record(monitor, model, params: list[torch.Tensor]) -> dict:
    """The run_start of a Monitor's log: where the records come from, and the little config a loop has."""
    settings = monitor.settings
    config = {"stats_every": settings.every}
    if settings.total_steps is not None:
        config["steps"] = settings.total_steps
    source = {
        "kind": "monitor",
        "model": type(model).__name__,
        "parameters": sum(p.numel() for p in params),
        "optimizer": type(monitor.optimizer).__name__ if monitor.optimizer is not None else None,
        "world_size": monitor.world,
        "pid": os.getpid(),
    }
    return {
        "event": "run_start",
        "run": monitor.run,
        "config": config,
        "variants": [{"label": "", "config": config}],
        "device": str(params[0].device),
        "engine": "monitor",
        "source": source,
        "time": time.time(),
    }


class UpdateSampler:
    """The change an optimizer made to each 2+-D parameter, on a fixed random sample of its elements.

    `snapshot()` (at a stats step, before optimizer.step) copies the sampled values on their device;
    `measure()` (at the next call, after it) returns {parameter index: std(change) / std(values now)},
    with one host transfer. Every parameter gives `size` values (drawn with replacement; a parameter of
    at most `size` elements is read whole, repeated), so all of them are measured by two ops on a
    (parameters, size) stack.
    """

    def __init__(self, params: list[tuple[str, int, torch.Tensor]], size: int = SAMPLE, seed: int = 0):
        generator = torch.Generator().manual_seed(seed)
        self.entries = []  # (index, parameter, flat element indices (size,) on its device)
        for _, index, p in params:
            if p.ndim < 2:
                continue
            n = p.numel()
            chosen = torch.randint(n, (size,), generator=generator) if n > size else torch.arange(size) % n
            self.entries.append((index, p, chosen.to(p.device)))
        self.device = self.entries[0][1].device if self.entries else None
        self._before: torch.Tensor | None = None

    def _values(self) -> torch.Tensor:
        """(parameters, size) float32 on the first parameter's device."""
        rows = [p.detach().reshape(-1).index_select(0, chosen) for _, p, chosen in self.entries]
        same = all(row.device == self.device and row.dtype == torch.float32 for row in rows)  # mostly: no copies
        return torch.stack(rows if same else [row.to(self.device, torch.float32) for row in rows])

    def snapshot(self) -> None:
        self._before = self._values() if self.entries else None

    def measure(self) -> dict[int, float]:
        if self._before is None:
            return {}
        now = self._values()
        std = row_std_mean(torch.cat([now - self._before, now]))[0]  # (2 × parameters,): changes', then values'
        ratios = (std[: len(now)] / std[len(now) :]).tolist()  # sync point: one host transfer
        self._before = None
        return {index: value for (index, _, _), value in zip(self.entries, ratios) if math.isfinite(value)}


class GradProbe(Probe):
    """A Probe whose hooks count only grad-enabled forwards: an evaluation forward under `torch.no_grad()`
    between a step's forward and its `monitor.step()` leaves that step's statistics alone."""

    def _hook(self, entry):
        record = super()._hook(entry)

        def hook(module, inputs, output) -> None:
            if self.armed and torch.is_grad_enabled():  # disarmed (most steps): one attribute test
                record(module, inputs, output)

        return hook


class BackgroundLog:
    """A run log written by a thread of its own: the loop hands a finished record over and goes on (a stats
    record's encoding, ~0.5 ms, is off the training thread). Order is kept; `close()` writes what is left and
    closes the log. A write that fails stops the writing with one stderr line; training goes on."""

    def __init__(self, run_log: RunLog):
        self.run_log = run_log
        self.path = run_log.path
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drain, name="monitor-log", daemon=True)
        self._thread.start()

    def write(self, record: dict) -> None:
        self._queue.put(record)

    def _drain(self) -> None:
        broken = False
        while (record := self._queue.get()) is not None:
            if broken:
                continue
            try:
                self.run_log.write(record)
            except (OSError, ValueError) as error:
                broken = True
                print(f"makemore-tui Monitor: the run log stopped ({error}); training goes on", file=sys.stderr)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self.run_log.close()
