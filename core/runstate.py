"""The state of one run while it trains, and when a variant counts as diverged."""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field

import torch

from makemore_tui.core.compare import Variant
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.health import divergence_advice, finite_statistics
from makemore_tui.core.records import ErrorKind, Event

# A run whose average loss climbs past this many times the loss of guessing uniformly,
# -log(1/vocab), has diverged even while float32 keeps it finite (e.g. --lr 1000).
DIVERGENCE_FACTOR = 10.0


@dataclass(frozen=True)
class NextRun:
    """What the trainer runs next: the variants (one for a single run), and whether it starts paused."""

    variants: tuple[Variant, ...]
    paused: bool = False


@dataclass(frozen=True)
class RunEnd:
    """Why a run's loop stops before its last step: a rerun the user asked for, or a quit."""

    next_run: NextRun | None  # the rerun's; None: a quit, the trainer thread ends

    @property
    def quits(self) -> bool:
        """True when the thread ends after this run (a quit's deadline cuts the final eval)."""
        return self.next_run is None


@dataclass
class RunState:
    """What changes while one run trains."""

    run: int
    variants: list[Variant]
    device: torch.device
    step: int = 0  # steps completed
    paused: bool = False
    single_steps: int = 0  # `n` presses waiting while paused
    previewed: int | None = None  # the step whose preview record (paused: no update yet) is written
    lr_scale: float = 1.0  # live lr changes (`+`/`-`), on top of the schedule, every variant
    end: RunEnd | None = None  # why the loop must stop early (a rerun or a quit); None: it runs on
    loss_sum: torch.Tensor | None = None  # (V,) losses since the last stats record, summed on the device
    loss_count: int = 0
    last_loss: torch.Tensor | None = None  # (V,)
    ended: dict[int, str] = field(default_factory=dict)  # variant -> reason, for frozen variants
    eval_data: dict = field(default_factory=dict)  # split name -> (X, Y) on the run's device
    uniform_loss: float = float("inf")  # -log(1/vocab): the loss of a model that knows nothing
    started: float = field(default_factory=time.perf_counter)
    stopped: float | None = None  # when the training loop ended (final eval excluded from speed)
    paused_seconds: float = 0.0  # pauses already over
    paused_at: float | None = None  # when the current pause began
    sample_generators: list[torch.Generator] = field(default_factory=list)  # per variant, across the run
    progress_time: float = field(default_factory=time.perf_counter)
    progress_step: int = 0
    init_not_finite: set[int] = field(default_factory=set)  # variants whose step-0 gradients were not finite

    @property
    def config(self) -> TrainConfig:
        """Variant 0's config: steps, cadences and sizes are the same for every variant."""
        return self.variants[0].config

    def live(self) -> list[int]:
        """The variants still training."""
        return [v for v in range(len(self.variants)) if v not in self.ended]

    def lrs(self) -> list[float]:
        """Every variant's learning rate of the next step (a frozen variant's is 0)."""
        return [
            0.0 if v in self.ended else variant.config.lr_at(self.step) * self.lr_scale
            for v, variant in enumerate(self.variants)
        ]

    def count_loss(self, losses: torch.Tensor) -> None:
        """Add one step's losses (V,) to the window the next stats record averages (no host sync)."""
        self.loss_sum = losses.detach().clone() if self.loss_sum is None else self.loss_sum + losses
        self.loss_count += 1

    def note_init(self, index: int, statistics: list[dict]) -> None:
        """At step `index` 0, note the variants whose gradients (`statistics`: their stats records' fields) were
        not finite before any update (`init_not_finite`): a later divergence is the init's doing."""
        if index == 0:
            self.init_not_finite = {v for v in self.live() if not finite_statistics(statistics[v])}

    def take_window(self) -> list[float]:
        """Each variant's mean loss since the last stats record (a sync point); the next window starts empty."""
        windows = (self.loss_sum / max(self.loss_count, 1)).tolist() if self.loss_sum is not None else []
        self.loss_sum, self.loss_count = None, 0
        return windows

    def state_record(self) -> dict:
        """The `state` record: paused or not, and the lr of the next step (every variant's in a compare)."""
        lrs = self.lrs()
        record = {"event": Event.STATE, "run": self.run, "step": self.step, "paused": self.paused, "lr": lrs[0]}
        return record | ({"lrs": lrs} if len(lrs) > 1 else {})

    def active_seconds(self) -> float:
        """Wall time spent training, pauses and the final evaluation excluded."""
        end = self.stopped if self.stopped is not None else time.perf_counter()
        ongoing_pause = end - self.paused_at if self.paused_at is not None else 0.0
        return end - self.started - self.paused_seconds - ongoing_pause

    def set_paused(self, paused: bool) -> None:
        """Pause or resume, keeping the time spent paused out of the run's speed."""
        now = time.perf_counter()
        if paused and self.paused_at is None:
            self.paused_at = now
        elif not paused and self.paused_at is not None:
            self.paused_seconds += now - self.paused_at
            self.paused_at = None
        if paused != self.paused:  # the next progress record measures from here: a pause is no training speed
            self.progress_time, self.progress_step = now, self.step
        self.paused = paused


class Diverged(Exception):
    """Every variant's loss became NaN/inf or passed DIVERGENCE_FACTOR × the uniform loss."""


def divergence(loss: float, window: float, index: int, state: RunState, v: int) -> str | None:
    """Why variant v has diverged, or None; what to do (core.health.divergence_advice)."""
    advice = _advice(state, v, index)
    if not math.isfinite(loss):
        return f"the loss became {loss} at step {index}: training diverged; {advice}"
    if window > DIVERGENCE_FACTOR * state.uniform_loss:
        return (
            f"the average loss reached {window:.1f} by step {index}, over {DIVERGENCE_FACTOR:g}× the "
            f"{state.uniform_loss:.2f} of guessing uniformly: training diverged; {advice}"
        )
    return None


def _advice(state: RunState, v: int, index: int) -> str:
    config = state.variants[v].config
    lr = config.lr_at(state.step) * state.lr_scale
    return divergence_advice(config.to_dict(), lr, index, v not in state.init_not_finite)


def error_fields(error: BaseException, with_traceback: bool) -> dict:
    """The run_end fields that say what went wrong."""
    fields = {"message": describe_error(error)}
    if isinstance(error, torch.cuda.OutOfMemoryError):
        fields["kind"] = ErrorKind.OUT_OF_MEMORY
    if isinstance(getattr(error, "kind", None), ErrorKind):  # e.g. core.usermodel.ModelFileError
        fields["kind"] = error.kind
    if with_traceback:
        fields["traceback"] = "".join(traceback.format_exception(error))
    return fields


def describe_error(error: BaseException) -> str:
    """One line for the user about an error that ended a run (or an eval after it)."""
    if isinstance(error, Diverged) or isinstance(getattr(error, "kind", None), ErrorKind):
        return str(error)  # already one line for the user
    if isinstance(error, torch.cuda.OutOfMemoryError):
        first_line = str(error).splitlines()[0] if str(error) else ""
        return f"out of GPU memory ({first_line}): use a smaller --batch-size or --hidden, or --device cpu"
    return f"{type(error).__name__}: {error}"
