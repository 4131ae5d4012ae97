"""Watch your own training loop: a small Tanh + ReLU classifier (not a makemore task) trained with Adam,
watched by `Monitor`. Open a second terminal and follow it live:

    python examples/watch_my_loop.py                       # writes runs/my-loop.jsonl
    makemore-tui replay runs/my-loop.jsonl --follow        # space pauses it, n steps once, q leaves it running

Afterwards `makemore-tui replay runs/my-loop.jsonl` and `makemore-tui plot runs/my-loop.jsonl` show the
recorded run. Needs torch (and, for the viewer, makemore-tui's app).
"""

from __future__ import annotations

import argparse
import math

import torch
from torch import nn

from makemore_tui import Monitor


def spirals(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Three interleaved 2-D spirals: X (n, 2) float, Y (n,) int64 class labels 0..2."""
    Y = torch.arange(n) % 3
    r = torch.rand(n, generator=generator)
    angle = Y * (2 * math.pi / 3) + 4 * r + 0.2 * torch.randn(n, generator=generator)
    return torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1), Y


def main() -> None:
    parser = argparse.ArgumentParser(description="a Tanh+ReLU net trained with Adam, watched by Monitor")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--run-log", default="runs/my-loop.jsonl")
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(0)
    X, Y = spirals(3000, generator)
    model = nn.Sequential(nn.Linear(2, 128), nn.Tanh(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    with Monitor(
        model, run_log=args.run_log, every=100, optimizer=optimizer, total_steps=args.steps, control=True
    ) as monitor:
        for step in range(args.steps):
            ix = torch.randint(0, X.shape[0], (64,), generator=generator)
            loss = nn.functional.cross_entropy(model(X[ix]), Y[ix])
            optimizer.zero_grad()
            loss.backward()
            monitor.step(loss)  # after backward, before optimizer.step()
            optimizer.step()
            if step % 1000 == 0:
                with torch.no_grad():  # an evaluation forward: not counted in the statistics
                    monitor.log_eval(step, train=nn.functional.cross_entropy(model(X), Y).item())
            if monitor.stop_requested:  # the viewer asked to stop
                break
    print(f"run log: {args.run_log} · makemore-tui replay {args.run_log}")


if __name__ == "__main__":
    main()
