"""Split losses with BatchNorm in inference mode, and names sampled from the model."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from makemore_tui.core.model import MLP
from makemore_tui.core.text import printable

# Evaluate in chunks so a large split never holds every layer's activations at once.
EVAL_CHUNK = 2_048
# A sample that never emits the end token is cut at twice the longest training word (the
# model has never seen a word that long), and never before this floor, so sampling ends.
MIN_SAMPLE_CAP = 16
CUT_MARK = "…"  # shown after a sample that was cut at the cap
EMPTY_NAME = '""'  # shown for a sample that ended at once (an untrained net samples many): never a blank cell
PACE_AFTER = 4 * EVAL_CHUNK  # examples an EvalBudget sees done before it trusts their pace


class EvalTimeout(TimeoutError):
    """An evaluation passed its deadline (a quit's time limit), or would have, before it was done."""


class EvalBudget:
    """A deadline (`time.monotonic()`) for evaluating `examples` examples in all, over one or more splits.

    `split_loss` checks it before each chunk: EvalTimeout once the deadline has passed, or once the pace
    of the examples done so far (PACE_AFTER at least) says the rest cannot be done by it, so an
    evaluation that cannot fit is given up early instead of at the deadline.
    """

    def __init__(self, deadline: float, examples: int, clock: Callable[[], float] = time.monotonic):
        self.deadline = deadline
        self.left = examples  # examples still to evaluate
        self.done = 0
        self.clock = clock
        self.started = clock()

    def check(self) -> None:
        """Raise EvalTimeout when the rest cannot be done by the deadline."""
        now = self.clock()
        pace = (now - self.started) / self.done if self.done >= PACE_AFTER else 0.0  # seconds per example
        if now + pace * self.left >= self.deadline:
            raise EvalTimeout(f"the evaluation would end past its time limit ({self.done} examples done)")

    def spend(self, examples: int) -> None:
        """Count `examples` as evaluated."""
        self.done += examples
        self.left -= examples


@torch.no_grad()
def split_loss(model: MLP, X: torch.Tensor, Y: torch.Tensor, budget: EvalBudget | None = None) -> float:
    """Mean cross-entropy over a whole split, BatchNorm on its running statistics.

    `budget`: checked before each chunk of EVAL_CHUNK examples (EvalTimeout: see EvalBudget).
    """
    if X.shape[0] == 0:
        return float("nan")
    model.set_training(False)
    try:
        total = torch.zeros((), device=X.device, dtype=torch.float64)
        for start in range(0, X.shape[0], EVAL_CHUNK):
            xb, yb = X[start : start + EVAL_CHUNK], Y[start : start + EVAL_CHUNK]
            if budget is not None:
                budget.check()
                budget.spend(xb.shape[0])
            total += F.cross_entropy(model.forward(xb), yb, reduction="sum").double()
        return float(total) / X.shape[0]  # sync point
    finally:
        model.set_training(True)


def sample_cap(longest_word: int) -> int:
    """Characters a sample may reach before it is cut: twice `longest_word`, at least MIN_SAMPLE_CAP."""
    return max(2 * longest_word, MIN_SAMPLE_CAP)


@torch.no_grad()
def sample_names(
    model: MLP,
    itos: dict[int, str] | list[str],
    block_size: int,
    count: int,
    generator: torch.Generator,
    longest_word: int,
) -> list[tuple[str, bool]]:
    """Sample `count` names in parallel, each until its end token (index 0) or the cap.

    Returns one `(name, cut)` pair per name, in sampling order: `name` holds the characters
    before the end token (the end token itself is never part of it), `cut` is True when the
    name reached `sample_cap(longest_word)` characters without the model ending it. An empty
    list when the model's distribution is not finite (a diverged model).
    """
    device = model.device if hasattr(model, "device") else model.C.device  # a --model net's, or the MLP's
    cap = sample_cap(longest_word)
    model.set_training(False)
    try:
        context = torch.zeros((count, block_size), dtype=torch.long, device=device)
        rows: list[list[int]] = [[] for _ in range(count)]
        done = [False] * count
        for _ in range(cap + 1):  # cap characters, then one more draw that may end the name
            probs = F.softmax(model.forward(context), dim=1).cpu()
            if not torch.isfinite(probs).all():
                return []  # a diverged model has no distribution to sample from
            ix = torch.multinomial(probs, num_samples=1, generator=generator).squeeze(1)
            context = torch.cat([context[:, 1:], ix.to(device).unsqueeze(1)], dim=1)
            for row, i in enumerate(ix.tolist()):
                if not done[row]:
                    if i == 0:
                        done[row] = True
                    elif len(rows[row]) < cap:
                        rows[row].append(i)
            if all(done):
                break
        return [("".join(itos[i] for i in row), not ended) for row, ended in zip(rows, done)]
    finally:
        model.set_training(True)


def shown_samples(names: list, cut: list | None = None) -> list[str]:
    """A `samples` record's names made ready for a terminal: each through core.text.printable (a replayed log is
    untrusted), EMPTY_NAME for an empty one, CUT_MARK after each cut one. `cut` missing, short or not a list
    counts as all False (older logs)."""
    cut = cut if isinstance(cut, list) else []
    marks = [CUT_MARK if i < len(cut) and cut[i] is True else "" for i in range(len(names))]
    return [(printable(str(name)) or EMPTY_NAME) + mark for name, mark in zip(names, marks)]
