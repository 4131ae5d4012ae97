"""`Monitor`: any PyTorch training loop, watched live (DESIGN §12).

    with Monitor(model, run_log="runs/x.jsonl", every=100, optimizer=optimizer) as monitor:
        for step in range(n):
            loss = loss_fn(model(X), Y)
            optimizer.zero_grad()
            loss.backward()
            monitor.step(loss)      # after backward, before optimizer.step()
            optimizer.step()
            if monitor.stop_requested:
                break

The run log follows the record contract (core/records.py) and `makemore-tui replay` draws it, live with
`--follow`. Timing of step k's statistics (k = the calls made before this one):
- activations: the last grad-enabled forward before call k (hooks armed at call k−1, at construction for
  step 0; an eval forward under no_grad does not count), computed inside the hook, or for an output autograd
  keeps for the backward (tanh, relu, sigmoid: an in-place change would fail it) at this call (core/probe.py);
- gradients: as `backward` left them at call k (under GradScaler: scaled, unless `unscale_` ran);
- update:data: the change the optimizer actually made (Adam, momentum, any), measured at call k+1 on a
  sample of at most SAMPLE elements per tensor; `None` when the step changed nothing (GradScaler skipped
  it). So step k's record is written at call k+1, and `close()` writes the last.
With gradient accumulation call `step()` once per optimizer step.

Keys from a viewer (control=True, core/control.py): pause (`step()` blocks), one step, statistics now,
resume, stop (sets `stop_requested`; the loop decides when to leave). Under torch.distributed rank 0
records, the other ranks only count calls, and stop reaches every rank at the next stats step.
"""

from __future__ import annotations

import math
import queue
import sys
import time
import weakref
from dataclasses import dataclass

import torch

from makemore_tui.core.control import Refused, serve
from makemore_tui.core.monitor_parts import (
    GradProbe,
    MonitorError,
    UpdateSampler,
    check_not_sharded,
    open_log,
    run_start_record,
    unwrap,
)
from makemore_tui.core.probe import LayerSelection
from makemore_tui.core.records import WEIGHT_HIST_EVERY, EndReason, Event

__all__ = ["Monitor", "MonitorError"]

PROGRESS_SECONDS = 0.5  # a progress record at most this often (steps done, speed)
PAUSED_POLL = 0.05  # seconds a paused step() waits for a command before looking again
_ATTACHED: dict[int, weakref.ref] = {}  # id(model) -> its Monitor: a second one replaces the first


@dataclass
class MonitorSettings:
    """What a Monitor was asked to do (the keyword arguments, checked)."""

    every: int = 100  # statistics every this many calls of step(), and at step 0 and the last
    total_steps: int | None = None  # the steps the loop will take (progress, ETA); None: unknown
    control: bool = False  # serve a control socket beside the log (pause, step, stop from `replay --follow`)
    bins: int = 32  # histogram bins


class Monitor:
    """Watches `model` (an nn.Module, a from-scratch net, a layer list; DDP-wrapped is fine, FSDP is refused)
    while a loop trains it; writes the run log `run_log` (a path; created with its folder).

    `layers`: which activation layers (None: all that `--model` finds; or types, name globs, a callable
    (name, layer) -> bool). `optimizer`: named in run_start, its first group's lr recorded per step.
    Raises MonitorError (one line saying what to do) for: no parameters, every < 1, a log that cannot be
    written or that another process holds, sharded (FSDP) parameters.
    """

    def __init__(
        self,
        model,
        run_log,
        every: int = 100,
        *,
        optimizer=None,
        total_steps: int | None = None,
        layers: LayerSelection = None,
        control: bool = False,
    ):
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise MonitorError(f"every={every!r}: give a whole number of steps ≥ 1 (statistics every that many)")
        if total_steps is not None and (not isinstance(total_steps, int) or total_steps < 1):
            raise MonitorError(f"total_steps={total_steps!r}: give the number of steps (≥ 1), or leave it out")
        self.settings = MonitorSettings(every=every, total_steps=total_steps, control=control)
        self.model, self.optimizer = model, optimizer
        inner = unwrap(model)
        params = list(inner.parameters()) if hasattr(inner, "parameters") else []
        if not params:
            raise MonitorError(f"{type(model).__name__} has no parameters: pass the model the optimizer trains")
        check_not_sharded(model, params)
        self.rank, self.world = _rank_and_world()
        self.steps = 0  # calls of step() so far: the index of the step the next call measures
        self.stop_requested = False  # a viewer (or another rank's) asked to stop: the loop should leave
        self.paused = False
        self._closed = False
        self._pending: dict | None = None  # the last stats record, waiting for its update:data
        self._force = False  # the next step records statistics (a viewer asked, or a single step)
        self._single = False  # paused again after this one step
        self._stop_heard = False  # a viewer asked to stop (shared with the other ranks at the next stats step)
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._loss_sum, self._loss_count = None, 0  # losses of the window so far (summed on their device)
        self._loss_stride = max(1, every // 10)  # loss_window averages ~10 steps a window: a per-step add costs 5%
        self._started = self._progress_time = time.perf_counter()
        self._progress_step, self._paused_seconds = 0, 0.0
        self.log = self.server = self.probe = None
        self.run = 1  # this run's number in the log: after the log's last run (RunLog.last_run)
        if self.rank != 0:
            return  # other ranks: no log, no hooks; they count calls and hear stop at stats steps
        _replace_earlier(model)
        self.log = open_log(run_log)
        self.run = self.log.run_log.last_run + 1
        try:
            self.probe = GradProbe(inner, layers, params=params, bins=self.settings.bins)
            if control:
                self.server, self.log = serve(self.log, self._on_command)
            self.sampler = UpdateSampler(self.probe.params)
            self.log.write(run_start_record(self, inner, params))
        except BaseException:
            self._release()
            raise
        self._arm(0)
        _ATTACHED[id(model)] = weakref.ref(self)

    # ---- the loop's calls -------------------------------------------------------------------------
    def step(self, loss=None) -> None:
        """Call after `loss.backward()` and before `optimizer.step()`. `loss`: the step's loss (a scalar tensor
        or float; None: not recorded). Blocks while a viewer holds the loop paused. Never raises for a
        statistics failure (a `warning` record and one stderr line instead); raises MonitorError once closed."""
        if self._closed:
            raise MonitorError("this Monitor is closed: make a new one (or call step() inside its `with`)")
        k = self.steps
        due = self._due(k)
        if self.rank == 0:
            if self._pending is not None:
                self._finish_pending()
            if k % self._loss_stride == 0 or due:
                self._add_loss(loss)
            if due:
                self._take_stats(k, loss)
            if k & 15 == 0 or self.paused:
                self._maybe_progress(k + 1)
            if self.paused or self._single or not self._commands.empty():
                self._obey(k)
        if due and self.world > 1:
            self._share_stop()
        self.steps = k + 1
        if self.rank == 0 and self._due(k + 1) != self.probe.armed:
            self._arm(k + 1)

    def log_eval(self, step: int, **losses: float) -> None:
        """Record evaluation losses of `step` for the loss panel: `monitor.log_eval(step, train=…, val=…)`
        (other names are kept in the record too). Numbers or 0-d tensors; rank 0 only. Call it after
        `optimizer.step()`: the last statistics are written first (their update is measured now)."""
        if self.rank != 0 or self._closed:
            return
        self._finish_pending()
        record = {"event": Event.EVAL, "run": self.run, "variant": 0, "step": int(step)}
        for name, value in losses.items():
            value = float(value.item() if isinstance(value, torch.Tensor) else value)
            record[name] = value if math.isfinite(value) else None
        self._write(record)

    def close(self, reason: EndReason | str = EndReason.FINISHED, message: str = "") -> None:
        """End the run: write the last stats record, then run_end (`reason`); remove hooks and socket. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.rank == 0:
            if self.stop_requested and reason == EndReason.FINISHED:
                reason = EndReason.STOPPED
            self._finish_pending()
            seconds = time.perf_counter() - self._started - self._paused_seconds
            end = {"event": Event.RUN_END, "run": self.run, "step": self.steps, "reason": str(reason)}
            end |= {"seconds": seconds, "steps_per_sec": self.steps / seconds if seconds > 0 else None}
            if message:
                end["message"] = message
            self._write(end)
        self._release()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        elif issubclass(kind, KeyboardInterrupt):
            self.close(EndReason.STOPPED, "interrupted (KeyboardInterrupt)")
        else:
            self.close(EndReason.ERROR, f"{kind.__name__}: {error}")

    # ---- statistics -------------------------------------------------------------------------------
    def _due(self, k: int) -> bool:
        total = self.settings.total_steps
        return k % self.settings.every == 0 or (total is not None and k == total - 1) or self._force

    def _arm(self, k: int) -> None:
        """Hooks record step k's forward only when step k is a stats step (one flag test otherwise)."""
        if self._due(k):
            self.probe.arm()
        else:
            self.probe.disarm()

    def _take_stats(self, k: int, loss) -> None:
        self._force = False
        try:
            weight_hists = k == 0 or (k // self.settings.every) % WEIGHT_HIST_EVERY == 0 or self.paused
            stats = self.probe.statistics(lr=None, weight_hists=weight_hists)  # one host transfer
            count = max(self._loss_count, 1)
            window = float(self._loss_sum) / count if self._loss_sum is not None else None
            record = {"event": Event.STATS, "run": self.run, "variant": 0, "step": k, "lr": self._lr()}
            record |= {"update": "measured", "loss": _number(loss), "loss_window": window, **stats}
            self._loss_sum, self._loss_count = None, 0
            self.sampler.snapshot()
            self._pending = record
        except Exception as error:
            self._warn(f"statistics of step {k} failed ({type(error).__name__}: {error}); training goes on")
        finally:
            self.probe.disarm()

    def _finish_pending(self) -> None:
        """The optimizer has stepped since the pending record's statistics: measure its change, write it."""
        record, self._pending = self._pending, None
        if record is None:
            return
        try:
            ratios = self.sampler.measure()
            for entry in record["params"]:
                ratio = ratios.get(entry.get("index"))
                entry["update_to_data_log10"] = math.log10(ratio) if ratio and math.isfinite(ratio) else None
        except Exception as error:
            self._warn(f"update:data of step {record['step']} failed ({type(error).__name__}: {error})")
        self._write(record)

    def _write_preview(self) -> None:
        """Held paused with this step's statistics pending: write them now as the step's one record, a preview
        (DESIGN §2) whose update:data is None: the optimizer has not stepped, so there is no change to measure."""
        record, self._pending = self._pending, None
        for entry in record["params"]:
            entry["update_to_data_log10"] = None
        self._write(record | {"preview": True})

    def _add_loss(self, loss) -> None:
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            loss = loss.detach().reshape(())
            self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss  # on the device: no sync
            self._loss_count += 1
        elif isinstance(loss, (int, float)):
            self._loss_sum = float(loss) + (self._loss_sum if self._loss_sum is not None else 0.0)
            self._loss_count += 1

    def _lr(self) -> float | None:
        try:
            return float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None else None
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            return None

    def _maybe_progress(self, done: int) -> None:
        now = time.perf_counter()
        if now - self._progress_time < PROGRESS_SECONDS and not self.paused:
            return
        speed = (done - self._progress_step) / (now - self._progress_time) if now > self._progress_time else None
        self._progress_time, self._progress_step = now, done
        self._write({"event": Event.PROGRESS, "run": self.run, "step": done, "steps_per_sec": speed})

    # ---- control ----------------------------------------------------------------------------------
    def _on_command(self, command: str) -> str:
        """The control server's thread: check and queue; step() acts on it."""
        if self.world > 1 and command in ("pause", "step"):
            raise Refused(f"{command} is refused under torch.distributed: a paused rank 0 would stall the others")
        if command == "step" and not self.paused:
            raise Refused("one step is for a paused loop: pause first")
        self._commands.put(command)
        return {
            "pause": "pausing…",
            "resume": "resuming…",
            "step": "one step…",
            "stats": "statistics at the next step…",
            "stop": "stop asked: the loop leaves when it checks monitor.stop_requested",
        }[command]

    def _obey(self, k: int) -> None:
        """Act on the viewer's commands; while paused, wait here (the loop is held before optimizer.step)."""
        if self._single:
            self._single = False
            self._set_paused(True, k)
        while True:
            if self.paused and self._pending is not None:
                self._write_preview()
            try:
                command = self._commands.get(timeout=PAUSED_POLL) if self.paused else self._commands.get_nowait()
            except queue.Empty:
                if not self.paused or self._closed:
                    return
                continue
            if command == "pause":
                self._set_paused(True, k)
            elif command == "resume":
                self._set_paused(False, k)
            elif command == "stats":
                self._force = True
            elif command == "stop":
                self._stop_heard = True  # under torch.distributed every rank learns it at the next stats step
                self.stop_requested = self.world == 1
                self._set_paused(False, k)
            elif command == "step" and self.paused:
                self._force = self._single = True  # this one step, with its statistics, then paused again
                return

    def _set_paused(self, paused: bool, k: int) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        now = time.perf_counter()
        if paused:
            self._paused_at = now
        else:
            self._paused_seconds += now - self._paused_at
            self._progress_time, self._progress_step = now, k + 1
        self._write({"event": Event.STATE, "run": self.run, "step": k, "paused": paused})  # k steps applied so far

    def _share_stop(self) -> None:
        """Every rank calls this at the same stats steps: stop, if any rank heard it, reaches them all."""
        import torch.distributed as dist

        device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else "cpu"
        flag = torch.tensor([1.0 if self._stop_heard else 0.0], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        self.stop_requested = bool(flag.item())

    # ---- writing ----------------------------------------------------------------------------------
    def _write(self, record: dict) -> None:
        if self.log is None:
            return
        try:
            self.log.write(record)
        except (OSError, ValueError) as error:
            self.log = None
            print(f"makemore-tui Monitor: the run log stopped ({error}); training goes on", file=sys.stderr)

    def _warn(self, message: str) -> None:
        """A failure inside step(): a `warning` record and one stderr line; never the user's warnings.showwarning."""
        self._write({"event": Event.WARNING, "run": self.run, "message": message})
        print(f"makemore-tui Monitor: {message}", file=sys.stderr)

    def _release(self) -> None:
        if self.probe is not None:
            self.probe.disarm()
            self.probe.close()
        if self.server is not None:
            self.server.close()
        if self.log is not None:
            self.log.close()
            self.log = None
        if _ATTACHED.get(id(self.model), lambda: None)() is self:
            del _ATTACHED[id(self.model)]


def _replace_earlier(model) -> None:
    """A second Monitor on one model (a notebook cell run again) ends the first: its hooks go, never doubled."""
    ref = _ATTACHED.pop(id(model), None)
    earlier = ref() if ref is not None else None
    if earlier is not None:
        earlier.close(EndReason.STOPPED, "replaced by a new Monitor on the same model")


def _rank_and_world() -> tuple[int, int]:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except (ImportError, RuntimeError):
        pass
    return 0, 1


def _number(value) -> float | None:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
