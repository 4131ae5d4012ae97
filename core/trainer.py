"""The trainer thread: runs training, obeys commands, emits records to the channel and the run log.

One run trains one or more variants in lockstep (core/compare.py): the engine steps them all
on the same minibatch, and every record but run_start/state/progress/run_end belongs to one
variant (core/records.py). A variant that diverges while others go on is frozen and ends with
`variant_end`; a single run that diverges ends the run.
"""

from __future__ import annotations

import math
import queue
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch

from makemore_tui.core import commands as cmd
from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.compare import Variant, single
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.engines.user import ModelOutput
from makemore_tui.core.evaluate import EvalBudget, EvalTimeout, eval_losses, sample_names
from makemore_tui.core.firstrun import FirstRun, run_start_record, setup, warning_text
from makemore_tui.core.records import WEIGHT_HIST_EVERY, EndReason, Event
from makemore_tui.core.runlog import RunLog, log_stopped
from makemore_tui.core.runstate import Diverged, NextRun, RunEnd, RunState, describe_error, divergence, error_fields
from makemore_tui.core.stats import step_statistics
from makemore_tui.data.dataset import Splits

PROGRESS_INTERVAL = 0.5  # seconds between progress records (and divergence checks)
PAUSED_POLL = 0.05  # seconds a paused trainer waits for a command before looking again
SAMPLE_COUNT = 8  # names sampled at each evaluation
QUIT_SECONDS = 1.5  # a Quit without a deadline: the stopped run's final eval and samples get this long


class Trainer:
    """Trains the MLP (or the variants of a compare) in a worker thread.

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
        variants: Sequence[Variant] | None = None,
        paused: bool = False,
        first: FirstRun | None = None,
    ):
        self.variants = list(variants) if variants else single(config.validate())
        self.config = self.variants[0].config
        self.channel = channel
        self.run_log = run_log
        self.exit_when_done = exit_when_done
        self.start_paused = paused
        self._words = words
        self._first = first  # the first run, set up before the trainer started (core/firstrun.py)
        # by block size: reruns reuse the dataset
        self._splits: dict[int, Splits] = {first.state.config.block_size: first.splits} if first else {}
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._run_count = 0  # runs of this process so far, numbered on from the log's last (see _run)
        self._held: list[tuple[dict, bool]] | None = None  # warnings said while a run is set up, for after run_start
        self._quit_deadline: float | None = None  # time.monotonic() by which a quit's run_end is due
        self._thread = threading.Thread(target=self._main, name="trainer", daemon=True)

    # ---- the viewer's side -------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread (and the first run)."""
        self._thread.start()

    def send(self, command: cmd.Command) -> None:
        """Queue a command for the trainer; never blocks."""
        self._commands.put(command)

    @contextmanager
    def warnings_captured(self) -> Iterator[None]:
        """While inside: library warnings (torch's UserWarnings, …) become `warning` records, not stderr lines.

        Process-wide (`warnings.showwarning`, restored on the way out): a front-end wraps its whole session in it,
        so a warning from any thread reaches the run log and the viewer instead of breaking the screen. Our own
        notes (ModelNote) are said bare; others keep their class name."""

        def show(message, category, filename, lineno, file=None, line=None) -> None:
            self._warn(warning_text(message, category), printed=issubclass(category, ModelOutput))

        saved, warnings.showwarning = warnings.showwarning, show
        try:
            yield
        finally:
            warnings.showwarning = saved

    def close(self, timeout: float = 1.0, deadline: float | None = None) -> bool:
        """Ask the thread to quit (by `deadline`, see cmd.Quit) and wait up to `timeout` s; True if it ended."""
        self.send(cmd.Quit(deadline))
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
        plan: NextRun | None = NextRun(tuple(self.variants), self.start_paused)
        while plan is not None:
            plan = self._run(plan)

    def _warn(self, text: str, echoed: bool = False, printed: bool = False) -> None:
        """A `warning` record; `echoed` (a line the file printed, said on stderr already): the run log's only;
        `printed`: a line the --model file printed (the app shows those nowhere, notes and warnings as toasts).
        While a run is set up it waits for the run's run_start (a log's first line is a run_start)."""
        record = {"event": Event.WARNING, "run": self._run_count, "message": text}
        record |= {"printed": True} if printed else {}
        held = self._held
        if held is not None:
            held.append((record, echoed))
        else:
            self._emit(record, viewer=not echoed)

    def _started(self, run_start: dict) -> None:
        """Write the run's run_start, then the warnings said while it was set up."""
        self._emit(run_start)
        held, self._held = self._held or [], None
        for record, echoed in held:
            self._emit(record, viewer=not echoed)

    def _emit(self, record: dict, viewer: bool = True) -> None:
        if self.run_log is not None:
            try:
                self.run_log.write(record)
            except (OSError, ValueError) as error:
                # The log broke mid-run (disk full, say): tell the viewer once, keep training.
                self.run_log = None
                self.channel.put(log_stopped(record, error))
        if viewer:
            self.channel.put(record)

    def _run(self, plan: NextRun) -> NextRun | None:
        """Train one run to its end; return the next run, or None to quit."""
        # numbered on from the log's last run (RunLog.last_run): runs appended to one log never share a number
        self._run_count = max(self._run_count, getattr(self.run_log, "last_run", 0)) + 1
        self.variants = list(plan.variants)
        self.config = self.variants[0].config
        state = RunState(run=self._run_count, variants=self.variants, device=torch.device("cpu"))
        self._held = []
        try:
            first, self._first = self._first, None
            engine, splits = first.start(state, self._warn) if first else self._setup(state)
        except Exception as error:  # a bad device or data must end this run, not the thread
            self._started(run_start_record(state))
            return self._end_run(state, EndReason.ERROR, error=error)
        state.uniform_loss = math.log(splits.vocab.size)
        self._started(run_start_record(state, engine, splits))
        reason, error = EndReason.FINISHED, None
        try:
            state.started = time.perf_counter()
            if plan.paused:
                self._pause_at_start(state, engine)
            self._train(state, engine, splits)
            state.stopped = time.perf_counter()
            if state.end is not None:
                reason = EndReason.STOPPED
        except Diverged as diverged:
            reason, error = EndReason.DIVERGED, diverged
        except Exception as exc:
            reason, error = EndReason.ERROR, exc
        skipped: list[str] = []
        if reason in (EndReason.FINISHED, EndReason.STOPPED):
            try:
                skipped = self._final_records(state, engine, splits)
            except Exception as exc:
                reason, error = EndReason.ERROR, exc
        return self._end_run(state, reason, error, engine, splits, skipped)

    def _final_records(self, state: RunState, engine, splits: Splits) -> list[str]:
        """The end's eval and samples; a quit's only as far as its deadline allows. Returns what was left out."""
        deadline = self._quit_deadline if state.end is not None and state.end.quits else None
        try:
            self._evaluate(state, engine, deadline, calibrate=state.end is None)  # a finished run: BN calibrated too
        except EvalTimeout:
            return [Event.EVAL.value, Event.SAMPLES.value]
        if deadline is not None and time.monotonic() >= deadline:
            return [Event.SAMPLES.value]
        self._sample(state, engine, splits)
        return []

    def _setup(self, state: RunState):
        return setup(state, self._words, self._splits)

    def _pause_at_start(self, state: RunState, engine) -> None:
        """Start paused: step 0's statistics on screen, no update applied (`n` takes the step)."""
        state.set_paused(True)
        self._emit_state(state)
        self._preview(state, engine)

    def _preview(self, state: RunState, engine) -> None:
        """Paused: step `state.step`'s forward and backward at the parameters after the updates so far, no update.
        Its record (`preview`) and loss are that step's: the step, once taken, writes and counts neither."""
        state.last_loss = engine.preview(state.lrs())
        state.count_loss(state.last_loss)
        self._emit_stats(state, engine, state.lrs(), state.step, preview=True)
        state.previewed = state.step

    def _train(self, state: RunState, engine, splits: Splits) -> None:
        config = state.config
        last = config.steps - 1
        while state.step < config.steps:
            # commands: a cheap look every step; a paused run waits here for one
            if state.paused or not self._commands.empty():
                self._poll_commands(state, engine, splits)
            if state.end is not None:
                return
            if state.paused:
                if state.single_steps == 0:
                    continue
                state.single_steps -= 1
            i = state.step
            lrs = state.lrs()
            previewed = state.previewed == i  # its record and loss are written already (the same numbers)
            keep_stats = not previewed and (i % config.stats_every == 0 or i == last)
            # the step: minibatch, forward, backward, update (every variant, one minibatch)
            losses = engine.step(lrs, keep_stats)
            if not previewed:
                state.count_loss(losses)
            state.last_loss = losses
            state.step += 1
            if keep_stats:
                self._emit_stats(state, engine, lrs, i)  # sync point: one host transfer
            if state.paused and state.step < config.steps:  # n: the panels show the state after this update
                self._preview(state, engine)
            # progress every PROGRESS_INTERVAL, and after each step taken while paused (n): steps done, at once
            if state.paused or time.perf_counter() - state.progress_time >= PROGRESS_INTERVAL:
                self._emit_progress(state, engine)  # sync point: reads the last losses
            if state.step < config.steps:
                if state.step % config.eval_interval == 0:
                    self._evaluate(state, engine)
                if state.step % config.sample_interval == 0:
                    self._sample(state, engine, splits)  # a few milliseconds: names stay fresh on screen

    def _poll_commands(self, state: RunState, engine, splits: Splits) -> None:
        while True:
            try:
                waiting = state.paused and not state.single_steps
                command = self._commands.get(timeout=PAUSED_POLL) if waiting else self._commands.get_nowait()
            except queue.Empty:
                return
            self._apply(command, state, engine, splits)
            if state.end is not None:
                return

    def _apply(self, command, state: RunState, engine, splits: Splits) -> None:
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
            self._evaluate(state, engine)
        elif isinstance(command, cmd.Sample):
            self._sample(state, engine, splits, command.count, asked=True)
        elif isinstance(command, cmd.Rerun):
            state.end = RunEnd(self._next_plan(command, state))
        elif isinstance(command, cmd.Quit):
            state.end = RunEnd(next_run=None)
            self._quit_deadline = command.deadline or time.monotonic() + QUIT_SECONDS

    @staticmethod
    def _next_plan(command: cmd.Rerun, state: RunState) -> NextRun:
        return NextRun(tuple(command.variants_after(state.variants)), command.paused)

    def _end_run(self, state: RunState, reason: EndReason, error=None, engine=None, splits=None, skipped=()):
        """Emit run_end (with what a quit's deadline `skipped`); then a rerun, waiting, or the thread's end."""
        seconds = state.active_seconds()
        record = {
            "event": Event.RUN_END,
            "run": state.run,
            "step": state.step,
            "reason": reason,
            "seconds": round(seconds, 3),
            "steps_per_sec": round(state.step / seconds, 2) if seconds > 0 else 0.0,
        }
        if error is not None:
            record |= error_fields(error, with_traceback=reason == EndReason.ERROR)
        if skipped:
            record["skipped"] = list(skipped)
        self._emit(record)
        if state.end is not None:
            return state.end.next_run  # a rerun's, or None: a quit
        if self.exit_when_done:
            return None
        return self._wait_for_next_run(state, engine, splits)

    def _wait_for_next_run(self, state: RunState, engine, splits):
        """After a run: answer eval/sample on the trained model until a Rerun or Quit comes."""
        while True:
            command = self._commands.get()
            if isinstance(command, cmd.Quit):
                return None
            if isinstance(command, cmd.Rerun):
                return self._next_plan(command, state)
            if engine is not None and isinstance(command, (cmd.Evaluate, cmd.Sample)):
                try:
                    self._apply(command, state, engine, splits)
                except Exception as error:
                    self._emit({"event": Event.ERROR, "run": state.run, "message": describe_error(error)})

    # ---- records -----------------------------------------------------------------------
    def _emit_stats(self, state: RunState, engine, lrs: list[float], index: int, preview: bool = False) -> None:
        ticks = index // state.config.stats_every
        weight_hists = state.paused or index in (0, state.config.steps - 1) or ticks % WEIGHT_HIST_EVERY == 0
        bins = state.config.hist_bins
        if hasattr(engine, "step_statistics"):  # an engine of nets of any shape (core/engines/user.py)
            by_variant = engine.step_statistics(lrs, bins, weight_hists)
        else:
            by_variant = step_statistics(engine.statistics_tensors(), lrs, bins, weight_hists)
        losses = state.last_loss.tolist()  # sync point (the statistics' transfer already waited)
        windows = state.take_window()
        state.note_init(index, by_variant)  # gradients not finite at step 0: a divergence is the init's doing
        for v in state.live():
            record = {
                "event": Event.STATS,
                "run": state.run,
                "variant": v,
                "step": index,
                "lr": lrs[v],
                "loss": _finite_or_none(losses[v]),
                "loss_window": _finite_or_none(windows[v]),
                **by_variant[v],
                **({"preview": True} if preview else {}),  # paused, before this step's update (_preview)
            }
            self._emit(record)
        self._check_divergence(state, engine, losses, windows, index)

    def _check_divergence(self, state: RunState, engine, losses, windows, index: int) -> None:
        """Freeze each live variant whose loss is not finite or far above the uniform guess's."""
        for v in state.live():
            message = divergence(losses[v], windows[v], index, state, v)
            if message is None:
                continue
            if len(state.variants) == 1:
                raise Diverged(message)
            engine.freeze(v)
            state.ended[v] = EndReason.DIVERGED
            self._emit(
                {
                    "event": Event.VARIANT_END,
                    "run": state.run,
                    "variant": v,
                    "step": state.step,
                    "reason": EndReason.DIVERGED,
                    "message": message,
                }
            )
        if not state.live():
            raise Diverged("every variant diverged")

    def _emit_progress(self, state: RunState, engine) -> None:
        now = time.perf_counter()
        losses = state.last_loss.tolist()  # sync point
        rate = (state.step - state.progress_step) / (now - state.progress_time)
        state.progress_time, state.progress_step = now, state.step
        record = {
            "event": Event.PROGRESS,
            "run": state.run,
            "step": state.step,
            "steps_per_sec": round(rate, 2),
            "loss": _finite_or_none(losses[0]),
        }
        if len(losses) > 1:
            record["losses"] = [_finite_or_none(loss) for loss in losses]
        self._emit(record)
        # A NaN between stats ticks: check now rather than at the next tick.
        self._check_divergence(state, engine, losses, [0.0] * len(losses), state.step - 1)

    def _emit_state(self, state: RunState) -> None:
        self._emit(state.state_record())

    def _evaluate(self, state: RunState, engine, deadline: float | None = None, calibrate: bool = False) -> None:
        """One eval record per live variant (`calibrate`: with BatchNorm calibrated too, core.evaluate.eval_losses);
        EvalTimeout when they cannot be done by `deadline` (time.monotonic())."""
        examples = len(state.live()) * sum(len(state.eval_data[name][1]) for name in ("train", "val"))
        budget = EvalBudget(deadline, examples) if deadline is not None else None
        for v in state.live():
            losses = eval_losses(engine.variant_model(v), state.eval_data, budget, calibrate)
            self._emit({"event": Event.EVAL, "run": state.run, "variant": v, "step": state.step, **losses})

    def _sample(self, state: RunState, engine, splits: Splits, count: int = SAMPLE_COUNT, asked=False) -> None:
        for v in state.live():
            model = engine.variant_model(v)
            generator = state.sample_generators[v]
            sampled = sample_names(
                model, splits.vocab.itos, state.config.block_size, count, generator, splits.longest_word
            )
            record = {
                "event": Event.SAMPLES,
                "run": state.run,
                "variant": v,
                "step": state.step,
                "names": [name for name, _ in sampled],
                "cut": [was_cut for _, was_cut in sampled],
            }
            if asked:
                record["asked"] = True
            self._emit(record)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
