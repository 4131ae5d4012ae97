"""Engine bench: headless steps/s against the lecture-style reference loop, measured in one run;
and lockstep compares against their single runs one after another.

    python bench/bench_engine.py                  # CPU (and CUDA when present)
    python bench/bench_engine.py --device cuda --steps 20000
    python bench/bench_engine.py --only compare --baseline-rev 72814c0   # compares; V = 1 vs that commit's engine

The reference is the lecture's training loop as the notebook writes it: from-scratch
layers, one op a line, retain_grad on every layer, hand SGD, loss.item() every step
(the notebook's `ud` line, which would slow it further, is left out). The headless row is
the real Trainer thread at the default config and stats cadence, periodic evaluation off
(the reference loop does none). Runs alternate A/B/A/B and the median of each is kept,
because this machine is noisy. Needs only core/ and data/ (no textual).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from makemore_tui.core.channel import RecordChannel  # noqa: E402
from makemore_tui.core.config import TrainConfig  # noqa: E402
from makemore_tui.core.devices import cuda_available  # noqa: E402
from makemore_tui.core.engines.factory import make_engine  # noqa: E402
from makemore_tui.core.engines.variants import build_variants  # noqa: E402
from makemore_tui.core.trainer import Trainer  # noqa: E402
from makemore_tui.data import load_words, make_splits  # noqa: E402
from tests.lecture_reference import build_network, train_step  # noqa: E402


def reference_steps_per_sec(words, batchnorm: bool, steps: int, device: str) -> float:
    """Steps/s of the notebook's loop (setup excluded) on `device`."""
    torch.set_num_threads(1)
    splits = make_splits(words, 3)
    Xtr, Ytr = (t.to(device) for t in splits.train)
    g = torch.Generator().manual_seed(2147483647)
    C, layers, parameters = build_network(splits.vocab.size, g, batchnorm=batchnorm)
    if device != "cpu":
        with torch.no_grad():
            for layer in layers:
                for name, value in vars(layer).items():
                    if isinstance(value, torch.Tensor):
                        setattr(layer, name, value.detach().to(device).requires_grad_(value.requires_grad))
            C = C.detach().to(device).requires_grad_()
        parameters = [C] + [p for layer in layers for p in layer.parameters()]
    lossi = []
    started = None
    for i in range(steps + 50):
        if i == 50:  # after warm-up
            if device == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
        loss = train_step(C, layers, parameters, Xtr, Ytr, g, 32, 0.1)
        lossi.append(loss.log10().item())  # the notebook's per-step host read
    return steps / (time.perf_counter() - started)


def headless_steps_per_sec(words, config: TrainConfig) -> float:
    """Steps/s of the Trainer thread, from its run_end record (training time only)."""
    channel = RecordChannel(maxsize=256)
    trainer = Trainer(config, words, channel=channel, exit_when_done=True)
    trainer.start()
    end = None
    while trainer.is_alive() or len(channel):
        record = channel.get(timeout=0.5)
        if record and record["event"] == "run_end":
            end = record
    if end is None or end["reason"] != "finished":
        raise SystemExit(f"bench run did not finish: {end}")
    return end["steps_per_sec"]


def measure(words, device: str, steps: int, reference_steps: int, repeats: int) -> list[tuple]:
    """Rows of (net, device, reference/s, lecture engine/s, headless/s)."""
    rows = []
    for batchnorm in (True, False):
        base = TrainConfig(steps=steps, batchnorm=batchnorm, device=device, eval_every=steps + 1)
        ref, lecture, fused = [], [], []
        for _ in range(repeats):
            ref.append(reference_steps_per_sec(words, batchnorm, reference_steps, device))
            lecture.append(
                headless_steps_per_sec(
                    words, base.replace(engine="lecture", steps=reference_steps, eval_every=reference_steps + 1)
                )
            )
            fused.append(headless_steps_per_sec(words, base))
        rows.append(("BN" if batchnorm else "no BN", device, *map(statistics.median, (ref, lecture, fused))))
        print(f"  measured {rows[-1][0]} on {device}", file=sys.stderr, flush=True)
    return rows


# ---- lockstep compares ------------------------------------------------------------------
GAINS = (0.5, 1.0, 5 / 3, 3.0)  # the lecture's gain axis
COMPARES = {  # name -> variant configs (default net: 5×100, batch 32)
    "4 gains, BN": [TrainConfig(gain=g) for g in GAINS],
    "4 gains, no BN": [TrainConfig(gain=g, batchnorm=False) for g in GAINS],
    "8: 4 gains × BN on/off": [TrainConfig(gain=g, batchnorm=bn) for bn in (True, False) for g in GAINS],
}


def _timed(device: str, fn, steps: int) -> float:
    """Seconds for `steps` calls of fn: on a GPU wall time, the queue drained before and after; on
    the CPU this thread's CPU time (one torch thread), which other processes' load barely moves."""
    if device != "cuda":
        started = time.thread_time()
        for _ in range(steps):
            fn()
        return time.thread_time() - started
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        fn()
    torch.cuda.synchronize()
    return time.perf_counter() - started


def _alternate(device: str, contenders: dict, steps: int, repeats: int) -> dict:
    """Median seconds per chunk of each contender, timed A/B/A/B (this machine is noisy)."""
    for fn in contenders.values():  # warm-up
        _timed(device, fn, max(steps // 10, 5))
    seconds = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            seconds[name].append(_timed(device, fn, steps))
    return {name: statistics.median(values) for name, values in seconds.items()}


def compare_vs_singles(words, configs, device: str, steps: int, repeats: int) -> tuple[float, float]:
    """Variant-steps/s of one lockstep compare, and of its single runs stepped one after another."""
    torch.set_num_threads(1)
    splits = make_splits(words, 3)
    Xtr, Ytr = (t.to(device) for t in splits.train)
    configs = [c.replace(device=device) for c in configs]
    compare = make_engine(configs, splits.vocab.size, Xtr, Ytr, torch.device(device))
    singles = [make_engine([c], splits.vocab.size, Xtr, Ytr, torch.device(device)) for c in configs]
    lrs = [c.lr for c in configs]

    def one_after_another():
        for single, lr in zip(singles, lrs):
            single.step([lr], False)

    contenders = {"compare": lambda: compare.step(lrs, False), "singles": one_after_another}
    median = _alternate(device, contenders, steps, repeats)
    V = len(configs)
    return V * steps / median["compare"], V * steps / median["singles"]


def baseline_vs_v1(words, batchnorm: bool, rev: str, steps: int, repeats: int) -> tuple[float, float]:
    """Steps/s of the fused engine as it was at git revision `rev`, and of today's V = 1 engine (CPU)."""
    torch.set_num_threads(1)
    source = subprocess.run(
        ["git", "show", f"{rev}:core/fused.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    baseline = types.ModuleType("baseline_fused")
    exec(compile(source, f"{rev}:core/fused.py", "exec"), baseline.__dict__)
    splits = make_splits(words, 3)
    config = TrainConfig(batchnorm=batchnorm, device="cpu")
    models, generator = build_variants([config], splits.vocab.size)
    old = baseline.FusedEngine(models[0], *splits.train, config.batch_size, generator)  # that revision's API
    new = make_engine([config], splits.vocab.size, *splits.train, torch.device("cpu"))
    contenders = {"old": lambda: old.step(config.lr), "new": lambda: new.step([config.lr], False)}
    median = _alternate("cpu", contenders, steps, repeats)
    return steps / median["old"], steps / median["new"]


def compare_rows(words, device: str, steps: int, repeats: int, baseline_rev: str | None) -> list[tuple]:
    """Rows of (what, device, contender/s, against/s) for the compare table."""
    rows = []
    if baseline_rev and device == "cpu":
        for batchnorm in (True, False):
            old, new = baseline_vs_v1(words, batchnorm, baseline_rev, steps, repeats)
            rows.append((f"V=1 {'BN' if batchnorm else 'no BN'} vs {baseline_rev}", device, new, old))
    for name, configs in COMPARES.items():
        compare, singles = compare_vs_singles(words, configs, device, steps, repeats)
        rows.append((name, device, compare, singles))
        print(f"  measured {name} on {device}", file=sys.stderr, flush=True)
    return rows


def print_compare_rows(rows: list[tuple], machine: str) -> None:
    """The compare table: variant-steps/s of the lockstep engine vs its single runs one after another."""
    print(f"\nlockstep bench · {machine} · batch 32, 5×100, engine steps only (no stats, no trainer)")
    print("(per second of this thread's CPU time on the CPU, of wall time on a GPU)")
    print(f"{'what':32s} {'device':6s} {'lockstep/s':>11s} {'singles/s':>10s} {'ratio':>7s}")
    for what, device, mine, theirs in rows:
        print(f"{what:32s} {device:6s} {mine:11,.0f} {theirs:10,.0f} {mine / theirs:6.2f}×")


def main() -> None:
    """Print the table of steps/s and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("all", "cpu", "cuda"), default="all")
    parser.add_argument("--steps", type=int, default=6000, help="headless steps per measurement")
    parser.add_argument("--reference-steps", type=int, default=2000, help="reference-loop steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating timed chunks per contender (median kept)")
    parser.add_argument("--data", help="words file (default: built-in names)")
    parser.add_argument("--only", choices=("all", "engine", "compare"), default="all", help="which tables to measure")
    parser.add_argument("--compare-steps", type=int, default=300, help="steps per timed chunk of the compare bench")
    parser.add_argument(
        "--baseline-rev", metavar="REV", help="also time V = 1 against the fused engine of this git revision"
    )
    args = parser.parse_args()
    words = load_words(args.data)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not cuda_available():
        devices.remove("cuda")
        print("(no CUDA here: CPU rows only)", file=sys.stderr)
    name = torch.cuda.get_device_name() if "cuda" in devices else f"{os.cpu_count()}-core CPU"
    if args.only in ("all", "compare"):
        for device in devices:
            rows = compare_rows(words, device, args.compare_steps, args.repeats, args.baseline_rev)
            print_compare_rows(rows, f"{name}, torch {torch.__version__}")
    if args.only == "compare":
        return
    rows = [row for device in devices for row in measure(words, device, args.steps, args.reference_steps, args.repeats)]
    print(f"\nengine bench · torch {torch.__version__} · {name} · batch 32, 5×100 tanh, stats every 100")
    print(
        f"{'net':6s} {'device':6s} {'reference/s':>12s} {'lecture eng/s':>14s} {'headless/s':>11s} "
        f"{'headless÷ref':>13s}"
    )
    for net, device, ref, lecture, fused in rows:
        print(f"{net:6s} {device:6s} {ref:12,.0f} {lecture:14,.0f} {fused:11,.0f} {fused / ref:12.2f}×")


if __name__ == "__main__":
    main()
