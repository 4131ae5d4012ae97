"""Monitor overhead: a plain training loop against the same loop watched by `Monitor(every=100)`, in one run
(DESIGN §12, issue 18: goal ≥ 0.95×).

The net is lecture-sized (part 3: embedding 10 of 27 characters, block 3, five Linear(100)+Tanh layers,
Linear to 27 logits) written as a torch.nn.Module, trained with SGD on minibatches of 32 on the CPU.
Each round runs both loops back to back, in alternating order (plain first, then watched first, …); the
ratio quoted is the median of the rounds' ratios (a shared machine's load drifts between rounds far more
than within one), beside the medians of each. Speed is steps per second of the loop thread's CPU time
(time.thread_time, torch on one thread), which a shared machine disturbs far less than the wall clock
(also printed); the load average is printed before and after. The watched loop writes its run log to a
temporary folder (the records' encoding is the log's writer thread's: not in the CPU time, in the wall
clock's). Needs only torch and core/ (no textual).

    python bench/bench_monitor.py                     # 5000 steps, 3 rounds
    python bench/bench_monitor.py --steps 20000 --rounds 5 --every 100
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from makemore_tui import Monitor  # noqa: E402


def lecture_net() -> nn.Sequential:
    """Part 3's MLP as modules: C (27×10), then 5 × (Linear(·, 100), Tanh), then Linear(100, 27)."""
    layers: list[nn.Module] = [nn.Embedding(27, 10), nn.Flatten(), nn.Linear(30, 100), nn.Tanh()]
    for _ in range(4):
        layers += [nn.Linear(100, 100), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(100, 27))


def train(steps: int, every: int | None, folder: str) -> tuple[float, float]:
    """(steps per CPU second, steps per wall second) of one loop; `every` None: plain, else watched by
    Monitor(every=every)."""
    torch.manual_seed(42)
    model = lecture_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    X = torch.randint(0, 27, (182_000, 3))
    Y = torch.randint(0, 27, (182_000,))
    monitor = (
        Monitor(
            model, run_log=f"{folder}/run-{time.time_ns()}.jsonl", every=every, optimizer=optimizer, total_steps=steps
        )
        if every
        else None
    )
    started, cpu = time.perf_counter(), time.thread_time()
    for _ in range(steps):
        ix = torch.randint(0, X.shape[0], (32,))
        loss = nn.functional.cross_entropy(model(X[ix]), Y[ix])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if monitor is not None:
            monitor.step(loss)
        optimizer.step()
    if monitor is not None:
        monitor.close()  # writes the last record: part of the cost
    return steps / (time.thread_time() - cpu), steps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)  # one core each way: the comparison is of the loop, not of thread scheduling
    plain, watched = [], []
    with tempfile.TemporaryDirectory() as folder:
        train(200, args.every, folder)  # warm-up (allocator, first-call costs) for both
        load = os.getloadavg()[0]
        for round_ in range(args.rounds):
            if round_ % 2 == 0:
                plain.append(train(args.steps, None, folder))
                watched.append(train(args.steps, args.every, folder))
            else:
                watched.append(train(args.steps, args.every, folder))
                plain.append(train(args.steps, None, folder))
    for what, column in (("CPU", 0), ("wall", 1)):
        p = statistics.median(r[column] for r in plain)
        w = statistics.median(r[column] for r in watched)
        ratios = [b[column] / a[column] for a, b in zip(plain, watched)]
        rounds = lambda runs, c=column: ", ".join(f"{r[c]:.0f}" for r in runs)  # noqa: E731
        print(f"{what:4} plain loop         {p:8.0f} steps/s  (rounds: {rounds(plain)})")
        print(f"{what:4} Monitor(every={args.every:<4}) {w:8.0f} steps/s  (rounds: {rounds(watched)})")
        each = ", ".join(f"{r:.3f}" for r in ratios)
        print(f"{what:4} ratio              {statistics.median(ratios):8.3f}×  (goal ≥ 0.95×; the rounds': {each})")
    print(f"torch {torch.__version__}, {args.steps} steps a run, {args.rounds} rounds, CPU, one thread; ", end="")
    print(f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
