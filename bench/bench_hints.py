"""Hints bench: the statistics the health rules judge, in each regime of the lecture, and the hints that fire.

    python bench/bench_hints.py default                       # the whole default run, headless: its hint lines
    python bench/bench_hints.py measure                       # every regime below, a table row per few ticks
    python bench/bench_hints.py measure bn-lr3.2 --steps 20000 --stats-every 500
    python bench/bench_hints.py measure custom --set batchnorm=false --set gain=3 --steps 2000

`default` runs `makemore-tui --headless` (the default configuration, 200,000 steps unless
--steps says otherwise) as a child process and prints the `hint:` lines it printed: the
default configuration must print none (DESIGN §9). `measure` trains each regime with the
real Trainer and prints, every few stats ticks, what the rules of core/health.py read: the
percent saturated per layer, activation std first → last layer, the spread of the
activation-gradient std across depth, dead neurons, update:data (log10) per weight, and the
hints that hold at that tick. Needs only core/ and data/ (no textual).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from makemore_tui.core.channel import RecordChannel  # noqa: E402
from makemore_tui.core.config import TrainConfig, parse_gain  # noqa: E402
from makemore_tui.core.health import UPDATE_HINT_POINTS, HealthJudge  # noqa: E402
from makemore_tui.core.trainer import Trainer  # noqa: E402
from makemore_tui.core.wording import describe  # noqa: E402
from makemore_tui.data import load_words  # noqa: E402

# The regimes the lecture visits (and the ones users reached with the keys): config changes.
REGIMES: dict[str, dict] = {
    "default": {},
    "lecture-bn-gain1": {"gain": 1.0},
    "bn-gain0.5": {"gain": 0.5},
    "bn-gain3": {"gain": 3.0},
    "bn-lr3.2": {"lr": 3.2},
    "bn-lr0.001": {"lr": 0.001},
    "nobn-gain0.5": {"batchnorm": False, "gain": 0.5},
    "nobn-gain1": {"batchnorm": False, "gain": 1.0},
    "nobn-gain5/3": {"batchnorm": False, "gain": 5 / 3},
    "nobn-gain3": {"batchnorm": False, "gain": 3.0},
    "nobn-lr0.001": {"batchnorm": False, "lr": 0.001},
    "nobn-lr1.6": {"batchnorm": False, "lr": 1.6},
    "custom": {},
}


def parse_setting(text: str) -> tuple[str, object]:
    """`field=value` → (field, value typed like the TrainConfig field)."""
    name, _, raw = text.partition("=")
    default = getattr(TrainConfig(), name)
    if isinstance(default, bool):
        return name, raw.lower() in ("1", "true", "on", "yes")
    if name == "gain":
        return name, parse_gain(raw)
    if isinstance(default, int) or name == "lr_decay_step":
        return name, int(raw)
    if isinstance(default, float):
        return name, float(raw)
    return name, raw


def train(config: TrainConfig, words: list[str]):
    """Yield every stats record of one run of `config`, as the trainer emits them; then the run_end."""
    channel = RecordChannel(maxsize=10**9)
    trainer = Trainer(config, words, channel=channel, exit_when_done=True)
    trainer.start()
    while trainer.is_alive() or len(channel):
        record = channel.get(timeout=0.5)
        if record is not None and record["event"] in ("stats", "run_start", "run_end"):
            yield record


def row(record: dict, judge: HealthJudge) -> str:
    """One table row: what the rules read at this tick, and the rules that hold."""
    layers, params = record["layers"], record["params"]
    sat = " ".join(f"{layer['saturated_pct']:4.1f}" for layer in layers)
    stds = [layer["std"] for layer in layers]
    grads = [layer["grad_std"] for layer in layers if layer["grad_std"]]
    spread = max(grads) / min(grads) if grads else float("nan")
    dead = sum(layer.get("dead") or 0 for layer in layers)
    ud = " ".join(
        f"{p['update_to_data_log10']:+.1f}" if p["update_to_data_log10"] is not None else "  – " for p in params
    )
    rules = ",".join(hint.rule for hint in judge.hints) or "-"
    loss = record.get("loss_window") if record.get("loss_window") is not None else record.get("loss")
    return (
        f"{record['step']:>7d} {record['lr']:<7g} {loss if loss is not None else float('nan'):6.3f} | sat% {sat} | "
        f"std {stds[0]:.2f}→{stds[-1]:.2f} | grad× {spread:4.1f} | dead {dead:3d} | ud {ud} | {rules}"
    )


def measure(name: str, config: TrainConfig, words: list[str], every: int) -> None:
    """Train `config`, print a row every `every` stats ticks (and the first and last), and the rules that fired."""
    print(
        f"== {name}: {describe(config.to_dict())} · {config.steps} steps · stats every {config.stats_every}", flush=True
    )
    judge, fired, tick, start = None, {}, 0, time.monotonic()
    last, extremes = None, Extremes(config.decay_step, config.batchnorm)
    for record in train(config, words):
        if record["event"] == "run_start":
            judge = HealthJudge(record["config"], len(record["vocab"]))
            continue
        if record["event"] == "run_end":
            print(f"   run_end {record['reason']} at step {record['step']} ({time.monotonic() - start:.0f} s)")
            continue
        judge.observe(record)
        extremes.add(record)
        for hint in judge.hints:
            fired.setdefault(hint.rule, (record["step"], hint.text))
        if tick % every == 0:
            print("  " + row(record, judge), flush=True)
        last, tick = record, tick + 1
    if last is not None and (tick - 1) % every:
        print("  " + row(last, judge))
    for rule, (step, text) in fired.items():
        print(f"   fired {rule} first at step {step}: {text}")
    if not fired:
        print("   no hint fired")
    print("   " + extremes.describe())


class Extremes:
    """The extremes over a run of what the rules read: how far a healthy run is from each threshold."""

    def __init__(self, decay_step: int, batchnorm: bool):
        self.decay_step = decay_step
        self.judged = slice(1, None) if batchnorm else slice(1, -1)  # as the judge: not C, not a shrunk output layer
        self.saturation = self.spread = 0.0
        self.dead = self.streak = self.longest_streak = 0
        self.window: deque = deque(maxlen=UPDATE_HINT_POINTS)
        self.update = {False: [math.inf, -math.inf], True: [math.inf, -math.inf]}  # before / after the decay

    def add(self, record: dict) -> None:
        """Fold in one stats record."""
        layers = record["layers"]
        self.saturation = max(self.saturation, *(layer["saturated_pct"] for layer in layers))
        grads = [layer["grad_std"] for layer in layers if layer["grad_std"]]
        if record["step"] > 0 and grads:
            self.spread = max(self.spread, max(grads) / min(grads))
        dead = sum(layer.get("dead") or 0 for layer in layers)
        self.dead = max(self.dead, dead)
        self.streak = self.streak + 1 if dead else 0
        self.longest_streak = max(self.longest_streak, self.streak)
        weights = [
            p["update_to_data_log10"] for p in record["params"][self.judged] if p["update_to_data_log10"] is not None
        ]
        if record["step"] == self.decay_step:
            self.window.clear()
        if weights:
            self.window.append(statistics.median(weights))
        if len(self.window) == self.window.maxlen:
            span = self.update[record["step"] >= self.decay_step]
            mean = statistics.fmean(self.window)
            span[:] = [min(span[0], mean), max(span[1], mean)]

    def describe(self) -> str:
        """One line: the extremes."""
        (lo, hi), (dlo, dhi) = self.update[False], self.update[True]
        return (
            f"extremes: saturation max {self.saturation:.1f}% (any layer, any tick) · grad std spread max "
            f"{self.spread:.1f}× (after step 0) · dead max {self.dead} (longest streak {self.longest_streak} ticks) · "
            f"median update:data, {UPDATE_HINT_POINTS}-tick mean: {lo:.2f}..{hi:.2f} before the decay, "
            f"{dlo:.2f}..{dhi:.2f} after"
        )


def run_default(steps: int | None) -> int:
    """The default configuration headless in a child process; print its hint lines; return how many."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "makemore_tui", "--headless", "--run-log", str(Path(tmp) / "run.jsonl")]
        if steps:
            command += ["--steps", str(steps)]
        start = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_env())
    lines = done.stdout.splitlines()
    hints = [line for line in lines if line.startswith("hint:")]
    ends = [line for line in lines if line.startswith("run 1 ")]
    shown = "makemore-tui --headless" + (f" --steps {steps}" if steps else "")
    print(f"$ {shown}  (exit {done.returncode}, {time.monotonic() - start:.0f} s)")
    print(*(ends[-1:] or ["no run_end line; stderr: " + done.stderr.strip()[-300:]]), sep="\n")
    print(*hints, sep="\n") if hints else print("no hint: lines")
    return len(hints)


def _env() -> dict:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    default = sub.add_parser("default", help="the default configuration headless: its hint lines")
    default.add_argument("--steps", type=int, default=None)
    meas = sub.add_parser("measure", help="the statistics of each regime, tick by tick")
    meas.add_argument("regimes", nargs="*", default=[], help=f"any of: {', '.join(REGIMES)} (default: all but custom)")
    meas.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a config change")
    meas.add_argument("--steps", type=int, default=20_000)
    meas.add_argument("--stats-every", type=int, default=200)
    meas.add_argument("--every", type=int, default=10, help="print a row every N stats ticks")
    args = parser.parse_args(argv)
    if args.mode == "default":
        run_default(args.steps)
        return 0
    torch.set_num_threads(1)
    words = load_words(None)
    changes = dict(parse_setting(text) for text in args.set)
    unknown = [name for name in args.regimes if name not in REGIMES]
    if unknown:
        parser.error(f"unknown regime {unknown[0]!r}; choose from {', '.join(REGIMES)}")
    for name in args.regimes or [r for r in REGIMES if r != "custom"]:
        base = {"steps": args.steps, "stats_every": args.stats_every, "eval_every": 10**9}
        config = TrainConfig().replace(**base, **REGIMES[name], **changes)
        measure(name, config, words, args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
