"""Headless mode: train with no UI, print what a person reads, write the run log.

What is printed (DESIGN §2, §7):
- progress: on a terminal one line updated in place (Rich's bar, or a plain `\\r` line where
  Rich is not installed); piped, a progress line every few seconds (tui/progress.py);
- the lecture's tables (activations, gradients, weights) at step 0, at each eval and at the end
  (`--tables evals`), at every stats record (`every`) or never (`none`); a compare run's as
  layer rows × variant columns (tui/tables.py);
- each eval, each rule of thumb once (`hint: …`), the end, and at last the runs table (core/summary.py);
- sampled names, quoted and escaped: per variant those of the first evaluation, of the middle one and
  of the end (a 200k-step compare would print 160 lines), every one with `--tables every`.
A closed stdout (`| head -1`) stops the run quietly: the run log still ends with its run_end.
"""

from __future__ import annotations

import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TextIO

from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.commands import Pause, Quit, Resume, StepOnce
from makemore_tui.core.compare import Variant
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.control import Refused, serve
from makemore_tui.core.firstrun import FirstRun
from makemore_tui.core.health import HealthJudge
from makemore_tui.core.hints import FLAGS
from makemore_tui.core.records import ErrorKind, Event, ExitCode, exit_code_for, variant_of, variants_of
from makemore_tui.core.runlog import RunLog
from makemore_tui.core.summary import TABLE_WIDTH, RunsTable, format_runs_table
from makemore_tui.core.text import printable
from makemore_tui.core.trainer import Trainer
from makemore_tui.core.wording import describe
from makemore_tui.tui.progress import Display, OutputClosed, make_display
from makemore_tui.tui.tables import compare_tables, lecture_tables, legend, number, quoted_names

TABLE_CHOICES = ("evals", "every", "none")  # --tables: when the lecture's tables are printed
STOP_GRACE_SECONDS = 10.0  # the most the end waits for the trainer's final eval and run_end
# After a quit, the most the end waits for a trainer that does not answer (a --model file's build or
# forward that never returns): past it the log is sealed with a run_end and the process ends (q: within 3 s).
QUIT_GIVE_UP_SECONDS = 2.5


class Interrupted(Exception):
    """A signal asked headless training to stop."""


class HeadlessPrinter:
    """Turns records into what a person reads on a terminal or in a log file.

    `tables`: one of TABLE_CHOICES. `width`: columns for compare tables and the runs table
    (default: the terminal's, or 120 when not a terminal). `display`: where lines and progress
    go (default: chosen for `out` by tui.progress.make_display). A closed `out` sets `closed`
    and silences every later write.
    """

    def __init__(
        self,
        out: TextIO,
        total_steps: int = 0,
        *,
        tables: str = "evals",
        width: int | None = None,
        display: Display | None = None,
        clock: Callable[[], float] = time.monotonic,
        err: TextIO | None = None,
    ):
        if tables not in TABLE_CHOICES:
            raise ValueError(f"tables must be one of {', '.join(TABLE_CHOICES)} (got {tables!r})")
        self.total_steps = total_steps
        self.tables = tables
        self.display = display or make_display(out, clock)
        self.width = width or _width(out)
        self.closed = False  # the reader of `out` has gone
        self.err = err or sys.stderr  # where warnings about the run log go
        self.runs = RunsTable()
        self._handlers = {
            Event.RUN_START: self._on_run_start,
            Event.STATS: self._on_stats,
            Event.EVAL: self._on_eval,
            Event.PROGRESS: lambda r: self.display.progress(r, self.total_steps),
            Event.SAMPLES: self._on_samples,
            Event.STATE: self._on_state,
            Event.VARIANT_END: self._on_variant_end,
            Event.RUN_END: self._on_run_end,
            Event.ERROR: self._on_error,
            Event.LOG_ERROR: self._on_log_error,
            "warning": self._on_error,  # a library warning as a record (Event.WARNING, on main since 83c52d4)
        }
        self._new_run([""], [{}])

    def _new_run(self, labels: list[str], configs: list[dict], vocab_size: int | None = None) -> None:
        self._labels, self._configs, self._vocab_size = labels, configs, vocab_size
        self._latest: dict[int, dict] = {}  # variant -> its latest stats record
        self._ended: set[int] = set()  # variants that ended (variant_end)
        self._group: list[dict] = []  # the stats or evals of one step, one per live variant, until all came
        self._tables_step: int | None = None  # the stats step whose tables were printed last
        self._tables_due = False  # an eval came: the next stats (or the end) print tables
        self._pending_evals: list[dict] | None = None  # a compare's evals, waiting to be rows of those tables
        self._judges: dict[int, HealthJudge] = {}
        self._hinted: set[str] = set()  # rules already printed this run (whichever variant fired them)
        self._eval_steps: list[int] = []  # the steps evaluated so far (an eval comes before its step's samples)
        self._samples_shown: dict[int, set[int]] = {}  # variant -> the steps whose samples were printed
        self._samples_held: dict[int, dict] = {}  # variant -> its latest samples not printed: the end's, at last

    @property
    def compare(self) -> bool:
        """True while the current run trains several variants."""
        return len(self._labels) > 1

    # ---- output -----------------------------------------------------------------------------
    def print(self, *lines: str) -> None:
        """Write whole lines (above the progress line on a terminal); nothing once the output closed."""
        self._guard(lambda: self.display.write(lines))

    def handle(self, record: dict) -> None:
        """Print one record the way a person reading a terminal wants it."""
        self.runs.apply(record)
        if self._group and not self._joins_group(record):
            self._flush_group()
        handler = self._handlers.get(record.get("event"))
        if handler is not None:
            self._guard(lambda: handler(record))

    def finish(self) -> None:
        """The end of headless: print what is still held, take the progress line away, print the runs table."""
        self._flush_group()
        self._print_held_samples()
        self.close()
        if self.runs.rows:
            self.print("runs:", *format_runs_table(self.runs.rows, self.width))

    def close(self) -> None:
        """Take the progress line away (a terminal's cursor comes back); safe to call twice."""
        self._guard(self.display.close)

    def _guard(self, action: Callable[[], object]) -> None:
        if self.closed:
            return
        try:
            action()
        except OutputClosed:
            # Nothing to clean up: the failed flush dropped its bytes, so the interpreter's flush at
            # exit is quiet (no "Exception ignored … BrokenPipeError"; the `| head -1` test checks).
            self.closed = True

    # ---- records ----------------------------------------------------------------------------
    def _on_run_start(self, record: dict) -> None:
        variants = variants_of(record)
        vocab = record.get("vocab") if isinstance(record.get("vocab"), str) else ""
        self._new_run([v["label"] for v in variants], [v["config"] for v in variants], len(vocab) or None)
        config = variants[0]["config"]
        steps = config.get("steps")
        self.total_steps = steps if isinstance(steps, int) else self.total_steps
        engine = record.get("engine", "?")
        lines = [f"run {record.get('run')} · {record.get('device')} · {engine} engine · {describe(config)}"]
        if vocab:  # a run whose setup failed (bad device, say) has no data sizes
            sizes = f"{record.get('n_train')}/{record.get('n_val')}/{record.get('n_test')} train/val/test examples"
            lines.append(f"  {len(vocab)} characters · {sizes} · {self.total_steps} steps")
        if self.compare:
            lines += legend(self._labels, self.width)
        self.print(*lines)

    def _on_stats(self, record: dict) -> None:
        variant = variant_of(record)
        self._latest[variant] = record
        self._print_new_hints(variant, record)
        self._group.append(record)
        self._flush_group_when_whole()

    def _on_eval(self, record: dict) -> None:
        if isinstance(record.get("step"), int) and record["step"] not in self._eval_steps:
            self._eval_steps.append(record["step"])
        self._group.append(record)
        self._flush_group_when_whole()

    def _on_samples(self, record: dict) -> None:
        """Print the samples of the first and the middle evaluation; hold the others (the latest prints at the end)."""
        variant, step = variant_of(record), record.get("step")
        evals = self._eval_steps
        middle = next((s for s in evals if s >= self.total_steps / 2), None)
        if self.tables == "every" or record.get("asked") or (evals and step in (evals[0], middle)):
            self._print_samples(record)
        else:
            self._samples_held[variant] = record

    def _print_samples(self, record: dict) -> None:
        variant = variant_of(record)
        shown = self._samples_shown.setdefault(variant, set())
        if record.get("step") in shown and not record.get("asked"):
            return
        shown.add(record.get("step"))
        self._samples_held.pop(variant, None)
        names = record.get("names") if isinstance(record.get("names"), list) else []
        self.print(f"samples at step {record.get('step')}{self._who(record)}: {quoted_names(names, record.get('cut'))}")

    def _print_held_samples(self) -> None:
        """Each variant's latest samples not printed yet (the end's), in variant order."""
        for variant in sorted(self._samples_held):
            self._print_samples(self._samples_held[variant])

    def _on_state(self, record: dict) -> None:
        state = "paused" if record.get("paused") else "running"
        self.print(f"{state} at step {record.get('step')} · lr {number(record.get('lr'), 'g')}")

    def _on_variant_end(self, record: dict) -> None:
        variant = variant_of(record)
        self._ended.add(variant)
        message = printable(str(record.get("message") or ""))
        self.print(
            f"variant {variant + 1} ({self._label(variant)}) {record.get('reason')} at step {record.get('step')}"
            + (f": {message}" if message else "")
        )
        self._flush_group_when_whole()

    def _on_run_end(self, record: dict) -> None:
        self._flush_group()
        self._print_held_samples()
        if self.tables != "none" and self._latest and (self._pending_evals or self._stats_step() != self._tables_step):
            self._print_stats_tables()  # the end's: after the final eval, or the last stats of a diverged run
        seconds, speed = number(record.get("seconds"), ".1f"), number(record.get("steps_per_sec"), ",.0f")
        line = (
            f"run {record.get('run')} {record.get('reason')} after {record.get('step')} steps in {seconds} s "
            f"({speed} steps/s)"
        )
        message = printable(str(record.get("message") or ""))
        self.print(line + (f": {message}" if message else ""))
        if record.get("kind") == ErrorKind.MODEL_FILE:  # the user's --model file: bad input, said on stderr (exit 2)
            print(f"makemore-tui: {message}", file=sys.stderr)

    def _on_error(self, record: dict) -> None:
        message = printable(str(record.get("message")))
        if record.get("printed"):  # what a --model file printed: stderr, as its prints at load
            print(message, file=sys.stderr)
            return
        self.print(f"warning: {message}")

    def _on_log_error(self, record: dict) -> None:
        """The run log stopped (a full disk): a warning on stderr, where a redirected stdout (the disk that
        filled up, perhaps) cannot swallow it; training goes on. The end says it again (tui/cli.py)."""
        print(f"makemore-tui: warning: {printable(str(record.get('message')))}", file=self.err, flush=True)

    # ---- tables -----------------------------------------------------------------------------
    def _joins_group(self, record: Mapping) -> bool:
        first = self._group[0]
        return (
            record.get("event") == first.get("event")
            and record.get("step") == first.get("step")
            and record.get("run") == first.get("run")
            and variant_of(record) not in {variant_of(r) for r in self._group}
        )

    def _flush_group_when_whole(self) -> None:
        live = [v for v in range(len(self._labels)) if v not in self._ended]
        if self._group and {variant_of(r) for r in self._group} >= set(live):
            self._flush_group()

    def _flush_group(self) -> None:
        """Act on a whole group: the evals are printed (a compare's wait for the next tables); stats print tables
        at step 0, after an eval (the next stats measure the model the eval did), or every time (`every`)."""
        group, self._group = self._group, []
        if not group:
            return
        if group[0].get("event") == Event.EVAL:
            self._guard(lambda: self._on_evals(group))
        elif self.tables == "every" or (self.tables == "evals" and (group[0].get("step") == 0 or self._tables_due)):
            self._guard(self._print_stats_tables)

    def _on_evals(self, evals: list[dict]) -> None:
        if self.compare and self.tables == "none":
            self.print(f"eval at step {evals[0].get('step')}:", *self._compare_tables(evals, layers=False))
        elif self.compare:
            self._pending_evals = evals  # shown as rows of the next tables
        else:
            self.print(
                f"eval at step {evals[0].get('step')}: train {number(evals[0].get('train'), '.4f')} · val "
                f"{number(evals[0].get('val'), '.4f')}"
            )
        self._tables_due = self.tables != "none"
        for record in evals:  # the end's eval of a BatchNorm run: the lecture's calibration beside the buffers
            if "calibrated_train" in record:
                losses = [f"train {number(record.get(k + 'train'), '.4f')} · val {number(record.get(k + 'val'), '.4f')}"
                          for k in ("calibrated_", "")]  # fmt: skip
                self.print(f"BatchNorm calibrated on the whole training split{self._who(record)}: {losses[0]} "
                           f"(running buffers: {losses[1]})")  # fmt: skip

    def _print_stats_tables(self) -> None:
        """The latest stats as tables (a compare's with the pending evals' rows)."""
        step, evals = self._stats_step(), self._pending_evals
        self._tables_due, self._pending_evals, self._tables_step = False, None, step
        if self.compare:
            heading = (
                f"eval at step {evals[0].get('step')} · statistics of step {step}:"
                if evals
                else f"step {step}/{self.total_steps}:"
            )
            self.print(heading, *self._compare_tables(evals))
            return
        record = self._latest[0] if 0 in self._latest else next(iter(self._latest.values()))
        self.print(
            f"step {step}/{self.total_steps} · loss {number(record.get('loss'), '.4f')} · lr "
            f"{number(record.get('lr'), 'g')}",
            *lecture_tables(record),
        )

    def _compare_tables(self, evals: list[dict] | None, layers: bool = True) -> list[str]:
        by_variant = {variant_of(r): r for r in evals or []}
        evals_row = [by_variant.get(v) for v in range(len(self._labels))] if evals else None
        return compare_tables(self._live_stats(), self._labels, self.width, evals_row, layers=layers)

    def _live_stats(self) -> list[dict | None]:
        return [None if v in self._ended else self._latest.get(v) for v in range(len(self._labels))]

    def _stats_step(self) -> int | None:
        steps = [r.get("step") for r in self._latest.values() if isinstance(r.get("step"), int)]
        return max(steps, default=None)

    # ---- hints ------------------------------------------------------------------------------
    def _print_new_hints(self, variant: int, record: dict) -> None:
        """Each rule of thumb once per run, when it first fires (naming the variant in a compare), as `hint: …`."""
        if variant not in self._judges:
            config = self._configs[variant] if variant < len(self._configs) else {}
            self._judges[variant] = HealthJudge(config, self._vocab_size)
        # no keys here: each fix as its flag, except the compared field's (the flag would undo the compare)
        style = FLAGS.for_configs([c for c in self._configs if isinstance(c, dict)])
        for hint in self._judges[variant].observe(record):
            if hint.rule not in self._hinted:
                self._hinted.add(hint.rule)
                self.print(f"hint: step {record.get('step')}{self._who(record)}: {hint.written(style).text}")

    def _label(self, variant: int) -> str:
        return printable(self._labels[variant]) if variant < len(self._labels) else f"#{variant + 1}"

    def _who(self, record: Mapping) -> str:
        """` · gain 0.5` in a compare run (which variant a line is about); nothing in a single run."""
        return f" · {self._label(variant_of(record))}" if self.compare else ""


def _width(out: TextIO) -> int:
    """The terminal's columns when `out` is one, else TABLE_WIDTH."""
    try:
        if out.isatty():
            return shutil.get_terminal_size((TABLE_WIDTH, 24)).columns
    except (AttributeError, ValueError, OSError):
        pass
    return TABLE_WIDTH


def _raise_interrupted(previous: dict, signum, frame):
    earlier = previous.get(signum)
    if callable(earlier):  # the process's own handler (tui/lifecycle.py) hears it too: it times the way out
        earlier(signum, frame)
    raise Interrupted(signal.Signals(signum).name)


def run_headless(
    config: TrainConfig,
    words: list[str],
    run_log: RunLog,
    out: TextIO | None = None,
    *,
    tables: str = "evals",
    variants: Sequence[Variant] | None = None,
    display: Display | None = None,
    first: FirstRun | None = None,
) -> int:
    """Train one run (or the `variants` of a compare) with no UI; return the process exit code.

    Exit codes: the run's (core.records.exit_code_for: 0 finished, 1 error, 3 diverged; the caller makes
    0 and 3 into 4 when the run log stopped early, tui/cli.py),
    130 when a signal (ctrl+c, SIGTERM, SIGHUP) stopped it, ExitCode.OUTPUT_CLOSED (141) when `out`
    closed (its reader went away) and the run was stopped for it. The run log ends with run_end
    in every case the trainer can still reach. `first`: the first run, set up already (core/firstrun.py).
    """
    out = out or sys.stdout
    channel = RecordChannel(maxsize=256)
    trainer = Trainer(config, words, channel=channel, exit_when_done=True, variants=variants, first=first)
    control, trainer.run_log = serve(run_log, partial(_control, trainer))  # replay --follow may pause it
    printer = HeadlessPrinter(out, config.steps, tables=tables, display=display)
    printer.print(f"makemore-tui headless · run log {printable(str(run_log.path))}")
    previous: dict = {}
    previous |= {
        sig: signal.signal(sig, partial(_raise_interrupted, previous)) for sig in (signal.SIGTERM, signal.SIGHUP)
    }
    end, interrupted = {}, False
    try:
        with trainer.warnings_captured():
            trainer.start()
            end, interrupted = _drain(trainer, channel, printer)
        printer.finish()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        printer.close()
        if not trainer.close(timeout=0.2 if interrupted else STOP_GRACE_SECONDS):  # _drain waited for it already
            seal = getattr(run_log, "seal", None)  # the trainer is stuck (in a --model file): the log ends anyway
            if seal is not None:
                seal()
        if control is not None:
            control.close()
    if interrupted:
        return ExitCode.INTERRUPTED
    if printer.closed:
        return ExitCode.OUTPUT_CLOSED
    return exit_code_for(end)


CONTROL = {"pause": (Pause, "pausing…"), "resume": (Resume, "resuming…"), "step": (StepOnce, "one step…")}


def _control(trainer: Trainer, command: str) -> str:
    """A command from a viewer's control socket (core/control.py), as the trainer's command."""
    if command == "stop":
        trainer.send(Quit())  # the run ends stopped, with its eval, samples and run_end
        return "stopping…"
    if command == "stats":
        raise Refused("a headless run records statistics every --stats-every steps, and at each n while paused")
    kind, feedback = CONTROL[command]
    trainer.send(kind())
    return feedback


def _drain(trainer: Trainer, channel: RecordChannel, printer: HeadlessPrinter) -> tuple[dict, bool]:
    """Print records until the trainer ends; (the last run_end, interrupted?)."""
    end, interrupted, quit_sent, quit_at = {}, False, False, 0.0
    while trainer.is_alive() or len(channel):
        if quit_sent and time.monotonic() - quit_at > QUIT_GIVE_UP_SECONDS and not len(channel):
            break  # the trainer does not answer the quit: run_headless seals the log
        try:
            record = channel.get(timeout=0.2)
            if record is not None:
                printer.handle(record)
                if record.get("event") == Event.RUN_END:
                    end = record
        except (KeyboardInterrupt, Interrupted):
            if not interrupted:
                interrupted = True
                printer.print("stopping (interrupted)…")
        if (interrupted or printer.closed) and not quit_sent:
            quit_sent, quit_at = True, time.monotonic()
            trainer.send(Quit())  # the trainer evaluates, samples and writes run_end, then ends
    return end, interrupted
