"""The trainer thread: runs training, obeys commands, emits records to the channel and the run log."""

from __future__ import annotations

import math
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field

import torch

from core import commands as cmd
from core.channel import RecordChannel
from core.config import TrainConfig
from core.devices import resolve_device, use_training_threads
from core.engine import make_engine
from core.evaluate import sample_names, split_loss
from core.model import MLP
from core.runlog import RunLog
from core.stats import step_statistics
from data.dataset import Splits, make_splits

# A run whose average loss climbs past this many times the loss of guessing uniformly,
# -log(1/vocab), has diverged even while float32 keeps it finite (e.g. --lr 1000).
DIVERGENCE_FACTOR = 10.0
PROGRESS_INTERVAL = 0.5  # seconds between progress records (and divergence checks)
PAUSED_POLL = 0.05  # seconds a paused trainer waits for a command before looking again
SAMPLE_COUNT = 8  # names sampled at each evaluation
_QUIT = object()  # the run ended because the thread must end


@dataclass
class _RunState:
    """What changes while one run trains."""

    run: int
    config: TrainConfig
    device: torch.device
    step: int = 0  # steps completed
    paused: bool = False
    single_steps: int = 0  # `n` presses waiting while paused
    lr_scale: float = 1.0  # live lr changes (`+`/`-`), on top of the schedule
    end: object = None  # why the loop must stop early: a next TrainConfig, _QUIT or "stop"
    loss_sum: torch.Tensor | None = None  # losses since the last stats record, summed on the device
    loss_count: int = 0
    last_loss: torch.Tensor | None = None
    eval_data: dict = field(default_factory=dict)  # split name -> (X, Y) on the run's device
    uniform_loss: float = float("inf")  # -log(1/vocab): the loss of a model that knows nothing
    started: float = field(default_factory=time.perf_counter)
    stopped: float | None = None  # when the training loop ended (final eval excluded from speed)
    paused_seconds: float = 0.0  # pauses already over
    paused_at: float | None = None  # when the current pause began
    sample_generator: torch.Generator | None = None  # persists across a run's samples, so `s` gives new names
    progress_time: float = field(default_factory=time.perf_counter)
    progress_step: int = 0

    def lr(self) -> float:
        """The learning rate of the next step."""
        return self.config.lr_at(self.step) * self.lr_scale

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
        self.paused = paused


class Diverged(Exception):
    """The loss became NaN or infinite."""


class Trainer:
    """Trains the MLP in a worker thread.

    Commands (core.commands) arrive through `send`, are polled every step and never wait
    on the viewer; records go to the bounded channel (latest wins) and to the run log
    (every record). After a run ends the thread waits for a Rerun or Quit, unless
    `exit_when_done` (headless), when it ends with the run.
    """

    def __init__(
        self,
        config: TrainConfig,
        words: list[str],
        *,
        channel: RecordChannel,
        run_log: RunLog | None = None,
        exit_when_done: bool = False,
    ):
        self.config = config.validate()
        self.channel = channel
        self.run_log = run_log
        self.exit_when_done = exit_when_done
        self._words = words
        self._splits: dict[int, Splits] = {}  # by block size: reruns reuse the dataset
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._run_count = 0
        self._thread = threading.Thread(target=self._main, name="trainer", daemon=True)

    # ---- the viewer's side -------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread (and the first run)."""
        self._thread.start()

    def send(self, command: cmd.Command) -> None:
        """Queue a command for the trainer; never blocks."""
        self._commands.put(command)

    def close(self, timeout: float = 1.0) -> bool:
        """Ask the thread to quit and wait up to `timeout` s; True if it ended."""
        self.send(cmd.Quit())
        return self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def is_alive(self) -> bool:
        """True while the worker thread runs."""
        return self._thread.is_alive()

    # ---- the worker thread --------------------------------------------------------------
    def _main(self) -> None:
        next_config: TrainConfig | None = self.config
        while next_config is not None:
            next_config = self._run(next_config)

    def _emit(self, record: dict) -> None:
        if self.run_log is not None:
            try:
                self.run_log.write(record)
            except (OSError, ValueError) as error:
                # The log broke mid-run (disk full, say): tell the viewer once, keep training.
                self.run_log = None
                self.channel.put({"event": "log_error", "message": f"the run log stopped: {error}"})
        self.channel.put(record)

    def _run(self, config: TrainConfig) -> TrainConfig | None:
        """Train one run to its end; return the config of the next run, or None to quit."""
        self._run_count += 1
        self.config = config
        state = _RunState(run=self._run_count, config=config, device=torch.device("cpu"))
        reason, message, details = "finished", None, None
        try:
            model, engine, splits = self._setup(state)
        except Exception as error:  # a bad device or data must end this run, not the thread
            self._emit(
                {"event": "run_start", "run": state.run, "config": config.to_dict(), "device": str(state.device)}
            )
            return self._end_run(state, "error", _describe(error), traceback.format_exc())
        state.uniform_loss = math.log(splits.vocab.size)
        self._emit(self._run_start_record(state, engine, splits))
        try:
            state.started = time.perf_counter()
            self._train(state, model, engine, splits)
            state.stopped = time.perf_counter()
            if state.end is not None:
                reason = "stopped"
        except Diverged as error:
            reason, message = "diverged", str(error)
        except Exception as error:
            reason, message, details = "error", _describe(error), traceback.format_exc()
        if reason in ("finished", "stopped"):
            try:
                self._evaluate(state, model, splits)
                self._sample(state, model, splits)
            except Exception as error:
                reason, message, details = "error", _describe(error), traceback.format_exc()
        return self._end_run(state, reason, message, details, model, splits)

    def _setup(self, state: _RunState):
        config = state.config
        state.device = resolve_device(config)
        use_training_threads(state.device)
        if config.block_size not in self._splits:
            self._splits[config.block_size] = make_splits(self._words, config.block_size)
        splits = self._splits[config.block_size]
        state.eval_data = {name: tuple(t.to(state.device) for t in getattr(splits, name)) for name in ("train", "val")}
        engine = make_engine([config], splits.vocab.size, *state.eval_data["train"], state.device)
        model = engine.variant_model(0)
        state.sample_generator = torch.Generator().manual_seed(config.seed + 10)  # the lecture's sampling seed
        return model, engine, splits

    def _run_start_record(self, state: _RunState, engine, splits: Splits) -> dict:
        return {
            "event": "run_start",
            "run": state.run,
            "config": state.config.to_dict(),
            "device": str(state.device),
            "engine": engine.name,
            "vocab": "".join(splits.vocab.chars),
            "n_train": int(splits.train[0].shape[0]),
            "n_val": int(splits.val[0].shape[0]),
            "n_test": int(splits.test[0].shape[0]),
            "time": time.time(),
        }

    def _train(self, state: _RunState, model: MLP, engine, splits: Splits) -> None:
        config = state.config
        last = config.steps - 1
        state.loss_sum = torch.zeros((), device=state.device)
        while state.step < config.steps:
            # commands: a cheap look every step; a paused run waits here for one
            if state.paused or not self._commands.empty():
                self._poll_commands(state, model, splits)
            if state.end is not None:
                return
            if state.paused:
                if state.single_steps == 0:
                    continue
                state.single_steps -= 1
            i = state.step
            lr = state.lr()
            keep_stats = state.paused or i % config.stats_every == 0 or i == last
            # the step: minibatch, forward, backward, update
            loss = engine.step([lr], keep_stats)[0]
            state.loss_sum += loss
            state.loss_count += 1
            state.last_loss = loss
            state.step += 1
            if keep_stats:
                self._emit_stats(state, engine, lr, i)  # sync point: one host transfer
            if time.perf_counter() - state.progress_time >= PROGRESS_INTERVAL:
                self._emit_progress(state)  # sync point: reads the last loss
            if state.step < config.steps:
                if state.step % config.eval_interval == 0:
                    self._evaluate(state, model, splits)
                if state.step % config.sample_interval == 0:
                    self._sample(state, model, splits)  # a few milliseconds: names stay fresh on screen

    def _poll_commands(self, state: _RunState, model: MLP, splits: Splits) -> None:
        while True:
            try:
                command = (
                    self._commands.get(timeout=PAUSED_POLL)
                    if state.paused and not state.single_steps
                    else self._commands.get_nowait()
                )
            except queue.Empty:
                return
            self._apply(command, state, model, splits)
            if state.end is not None:
                return

    def _apply(self, command, state: _RunState, model: MLP, splits: Splits) -> None:
        """Act on one command during a run."""
        if isinstance(command, cmd.Pause):
            state.set_paused(True)
            self._emit_state(state)
        elif isinstance(command, cmd.Resume):
            state.set_paused(False)
            state.single_steps = 0
            self._emit_state(state)
        elif isinstance(command, cmd.StepOnce):
            if state.paused:
                state.single_steps += 1
        elif isinstance(command, cmd.ScaleLr):
            state.lr_scale *= command.factor
            self._emit_state(state)
        elif isinstance(command, cmd.Evaluate):
            self._evaluate(state, model, splits)
        elif isinstance(command, cmd.Sample):
            self._sample(state, model, splits, command.count)
        elif isinstance(command, cmd.Rerun):
            state.end = (command.config or state.config).validate()
        elif isinstance(command, cmd.Stop):
            state.end = "stop"
        elif isinstance(command, cmd.Quit):
            state.end = _QUIT

    def _end_run(self, state: _RunState, reason: str, message=None, details=None, model=None, splits=None):
        """Emit run_end, then decide what comes next: a rerun, waiting, or the end of the thread."""
        seconds = state.active_seconds()
        record = {
            "event": "run_end",
            "run": state.run,
            "step": state.step,
            "reason": reason,
            "seconds": round(seconds, 3),
            "steps_per_sec": round(state.step / seconds, 2) if seconds > 0 else 0.0,
        }
        if message:
            record["message"] = message
        if details:
            record["traceback"] = details
        self._emit(record)
        if isinstance(state.end, TrainConfig):
            return state.end
        if state.end is _QUIT or self.exit_when_done:
            return None
        return self._wait_for_next_run(state, model, splits)

    def _wait_for_next_run(self, state: _RunState, model, splits) -> TrainConfig | None:
        """After a run: answer eval/sample on the trained model until a Rerun or Quit comes."""
        while True:
            command = self._commands.get()
            if isinstance(command, cmd.Quit):
                return None
            if isinstance(command, cmd.Rerun):
                return (command.config or state.config).validate()
            if model is not None and isinstance(command, (cmd.Evaluate, cmd.Sample)):
                try:
                    self._apply(command, state, model, splits)
                except Exception as error:
                    self._emit({"event": "error", "run": state.run, "message": _describe(error)})

    # ---- records -----------------------------------------------------------------------
    def _emit_stats(self, state: _RunState, engine, lr: float, index: int) -> None:
        stats = step_statistics(*engine.statistics_tensors()[0].select(0), lr, state.config.hist_bins)
        loss = float(state.last_loss)
        window = float(state.loss_sum) / max(state.loss_count, 1)
        state.loss_sum.zero_()
        state.loss_count = 0
        self._emit(
            {"event": "stats", "run": state.run, "step": index, "lr": lr, "loss": loss, "loss_window": window, **stats}
        )
        _check_finite(loss, index, state)
        if window > DIVERGENCE_FACTOR * state.uniform_loss:
            raise Diverged(
                f"the average loss reached {window:.1f} by step {index}, over {DIVERGENCE_FACTOR:g}× the "
                f"{state.uniform_loss:.2f} of guessing uniformly: training diverged; {_advice(state)}"
            )

    def _emit_progress(self, state: _RunState) -> None:
        now = time.perf_counter()
        loss = float(state.last_loss)
        rate = (state.step - state.progress_step) / (now - state.progress_time)
        state.progress_time, state.progress_step = now, state.step
        self._emit(
            {"event": "progress", "run": state.run, "step": state.step, "steps_per_sec": round(rate, 2), "loss": loss}
        )
        _check_finite(loss, state.step - 1, state)

    def _emit_state(self, state: _RunState) -> None:
        self._emit({"event": "state", "run": state.run, "step": state.step, "paused": state.paused, "lr": state.lr()})

    def _evaluate(self, state: _RunState, model: MLP, splits: Splits) -> None:
        train = split_loss(model, *state.eval_data["train"])
        val = split_loss(model, *state.eval_data["val"])
        self._emit({"event": "eval", "run": state.run, "step": state.step, "train": train, "val": val})

    def _sample(self, state: _RunState, model: MLP, splits: Splits, count: int = SAMPLE_COUNT) -> None:
        names = sample_names(model, splits.vocab.itos, state.config.block_size, count, state.sample_generator)
        self._emit({"event": "samples", "run": state.run, "step": state.step, "names": names})


def _check_finite(loss: float, index: int, state: _RunState) -> None:
    if not math.isfinite(loss):
        raise Diverged(f"the loss became {loss} at step {index}: training diverged; {_advice(state)}")


def _advice(state: _RunState) -> str:
    advice = f"lower the learning rate (it was {state.lr():g})"
    return advice if state.config.batchnorm else advice + " or turn BatchNorm on"


OUT_OF_MEMORY = "out of GPU memory"  # how run_end messages begin for that fault (headless exits 2)


def _describe(error: BaseException) -> str:
    if isinstance(error, torch.cuda.OutOfMemoryError):
        first_line = str(error).splitlines()[0] if str(error) else ""
        return f"{OUT_OF_MEMORY} ({first_line}): use a smaller --batch-size or --hidden, or --device cpu"
    return f"{type(error).__name__}: {error}"
