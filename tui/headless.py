"""Headless mode: train with no UI, print progress and the lecture's tables, write the run log."""

from __future__ import annotations

import signal
import sys
import time
from typing import TextIO

from core.channel import RecordChannel
from core.commands import Quit
from core.config import TrainConfig
from core.evaluate import shown_samples
from core.health import HealthJudge, layer_name
from core.records import Event, ExitCode, exit_code_for, is_number, variant_of, variants_of
from core.runlog import RunLog
from core.trainer import Trainer

PRINT_PROGRESS_EVERY = 2.0  # seconds between progress lines: readable in a log file too


class Interrupted(Exception):
    """A signal asked headless training to stop."""


def format_layer_tables(record: dict) -> list[str]:
    """The lecture's printed statistics for one stats record, line by line."""
    lines = ["activations:"]
    for i, layer in enumerate(record["layers"]):
        lines.append(
            f"  {layer_name(layer, i)} (layer {layer['index']}): mean {_f(layer['mean'], '+.2f')}, "
            f"std {_f(layer['std'], '.2f')}, saturated: {_f(layer['saturated_pct'], '.2f')}%"
        )
    lines.append("gradients:")
    for i, layer in enumerate(record["layers"]):
        lines.append(
            f"  {layer_name(layer, i)} (layer {layer['index']}): mean {_f(layer['grad_mean'], '+f')}, "
            f"std {_f(layer['grad_std'], 'e')}"
        )
    lines.append("weights:")
    for p in record["params"]:
        shape = str(tuple(p["shape"]))
        lines.append(
            f"  weight {shape:>10s} | mean {_f(p['grad_mean'], '+f')} | std {_f(p['grad_std'], 'e')} | grad:data ratio "
            f"{_f(p['grad_to_data'], 'e')} | update:data log10 {_f(p['update_to_data_log10'], '+.2f')}"
        )
    return lines


def _f(value, spec: str) -> str:
    """A number in `spec`, or – when undefined."""
    return format(value, spec) if is_number(value) else "–"


class HeadlessPrinter:
    """Turns records into lines on a text stream."""

    def __init__(self, out: TextIO, total_steps: int):
        self.out = out
        self.total_steps = total_steps
        self._last_progress_print = 0.0
        self._judges: dict[int, HealthJudge] = {}  # per variant of the current run
        self._hinted: set[str] = set()  # rules already printed this run
        self._vocab_size: int | None = None
        self._configs: list[dict] = []

    def print(self, *lines: str) -> None:
        """Write lines and flush, so progress shows up under tee and in CI logs."""
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def handle(self, record: dict) -> None:
        """Print one record the way a person reading a terminal wants it."""
        event = record.get("event")
        if event == "run_start":
            self.total_steps = record["config"]["steps"]
            self._judges, self._hinted = {}, set()
            self._vocab_size = len(record["vocab"]) if isinstance(record.get("vocab"), str) else None
            self._configs = [variant["config"] for variant in variants_of(record)]
            config = TrainConfig(**record["config"])
            sizes = f"{record.get('n_train')}/{record.get('n_val')}/{record.get('n_test')} train/val/test examples"
            self.print(
                f"run {record['run']} · {record['device']} · {record.get('engine', '?')} engine · {config.summary()}",
                f"  {len(record.get('vocab', ''))} characters · {sizes} · {config.steps} steps",
            )
        elif event == "stats":
            self.print(
                f"step {record['step']:>7d}/{self.total_steps} · loss {_f(record['loss'], '.4f')} "
                f"· lr {record['lr']:g}",
                *format_layer_tables(record),
            )
            self._print_new_hints(record)
        elif event == "progress":
            now = time.monotonic()
            if now - self._last_progress_print >= PRINT_PROGRESS_EVERY:
                self._last_progress_print = now
                self.print(self._progress_line(record))
        elif event == "eval":
            self.print(
                f"eval at step {record['step']}: train {_f(record['train'], '.4f')} · val {_f(record['val'], '.4f')}"
            )
        elif event == "samples":
            self.print("samples: " + " ".join(shown_samples(record["names"], record.get("cut"))))
        elif event == "state":
            self.print(f"paused: {record['paused']} · lr {record['lr']:g}")
        elif event in ("error", "log_error"):
            self.print(f"warning: {record['message']}")
        elif event == "run_end":
            self.print(self._end_line(record))

    def _print_new_hints(self, record: dict) -> None:
        """Each rule of thumb once per run, when it first fires, as a line starting `hint:`."""
        variant = variant_of(record)
        if variant not in self._judges:
            config = self._configs[variant] if variant < len(self._configs) else {}
            self._judges[variant] = HealthJudge(config, self._vocab_size)
        for hint in self._judges[variant].observe(record):
            if hint.rule not in self._hinted:
                self._hinted.add(hint.rule)
                self.print(f"hint: step {record['step']}: {hint.text}")

    def _progress_line(self, record: dict) -> str:
        step, rate = record["step"], record["steps_per_sec"]
        percent = 100 * step / max(self.total_steps, 1)
        eta = (self.total_steps - step) / rate if rate > 0 else float("inf")
        return (
            f"step {step:>7d}/{self.total_steps} ({percent:3.0f}%) · loss {_f(record['loss'], '.4f')} · {rate:,.0f} "
            f"steps/s · ETA {format_seconds(eta)}"
        )

    @staticmethod
    def _end_line(record: dict) -> str:
        reason = record["reason"]
        line = (
            f"run {record['run']} {reason} after {record['step']} steps in {record['seconds']:.1f} s "
            f"({record['steps_per_sec']:,.0f} steps/s)"
        )
        if record.get("message"):
            line += f": {record['message']}"
        return line


def format_seconds(seconds: float) -> str:
    """H:MM:SS, or `?` when unknown."""
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _raise_interrupted(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def run_headless(config: TrainConfig, words: list[str], run_log: RunLog, out: TextIO | None = None) -> int:
    """Train one run with no UI; return the process exit code."""
    out = out or sys.stdout
    channel = RecordChannel(maxsize=256)
    trainer = Trainer(config, words, channel=channel, run_log=run_log, exit_when_done=True)
    printer = HeadlessPrinter(out, config.steps)
    printer.print(f"makemore-tui headless · run log {run_log.path}")
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGTERM, signal.SIGHUP)}
    end, interrupted = {}, False
    try:
        trainer.start()
        while trainer.is_alive() or len(channel):
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
                    trainer.send(Quit())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        trainer.close(timeout=5.0)
    if interrupted:
        return ExitCode.INTERRUPTED
    return exit_code_for(end)
