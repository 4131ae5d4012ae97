"""Engine bench: headless steps/s against the lecture-style reference loop, measured in one run.

    python bench/bench_engine.py                  # CPU (and CUDA when present)
    python bench/bench_engine.py --device cuda --steps 20000

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
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.channel import RecordChannel  # noqa: E402
from core.config import TrainConfig  # noqa: E402
from core.devices import cuda_available  # noqa: E402
from core.trainer import Trainer  # noqa: E402
from data import load_words, make_splits  # noqa: E402
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


def main() -> None:
    """Print the table of steps/s and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("all", "cpu", "cuda"), default="all")
    parser.add_argument("--steps", type=int, default=6000, help="headless steps per measurement")
    parser.add_argument("--reference-steps", type=int, default=2000, help="reference-loop steps per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", help="words file (default: built-in names)")
    args = parser.parse_args()
    words = load_words(args.data)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not cuda_available():
        devices.remove("cuda")
        print("(no CUDA here: CPU rows only)", file=sys.stderr)
    rows = [row for device in devices for row in measure(words, device, args.steps, args.reference_steps, args.repeats)]
    name = torch.cuda.get_device_name() if "cuda" in devices else f"{os.cpu_count()}-core CPU"
    print(f"\nengine bench · torch {torch.__version__} · {name} · batch 32, 5×100 tanh, stats every 100")
    print(
        f"{'net':6s} {'device':6s} {'reference/s':>12s} {'lecture eng/s':>14s} {'headless/s':>11s} "
        f"{'headless÷ref':>13s}"
    )
    for net, device, ref, lecture, fused in rows:
        print(f"{net:6s} {device:6s} {ref:12,.0f} {lecture:14,.0f} {fused:11,.0f} {fused / ref:12.2f}×")


if __name__ == "__main__":
    main()
