"""Split losses with BatchNorm in inference mode (on its running buffers, or calibrated at the end as the
lecture does it), and names sampled from the model."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from makemore_tui.core.layers import BatchNorm1d
from makemore_tui.core.model import MLP
from makemore_tui.core.text import printable
from makemore_tui.core.values import number

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


def eval_losses(model: MLP, data: Mapping, budget: EvalBudget | None = None, calibrate: bool = False) -> dict:
    """An eval record's losses: {"train", "val"} on `data`'s splits ((X, Y) by name), BatchNorm on its running
    buffers; with `calibrate` and a built-in net with BatchNorm also {"calibrated_train", "calibrated_val"}
    (`calibrated_losses`). Undefined losses are None. EvalTimeout as split_loss raises it."""
    losses = {name: number(split_loss(model, *data[name], budget)) for name in ("train", "val")}
    if calibrate and isinstance(model, MLP) and model.batchnorms():
        train, val = calibrated_losses(model, data["train"], data["val"])
        losses |= {"calibrated_train": number(train), "calibrated_val": number(val)}
    return losses


@torch.no_grad()
def calibrated_losses(model: MLP, train: tuple, val: tuple) -> tuple[float, float]:
    """The train and val loss with each BatchNorm on the batch statistics of the whole training split, not on
    its running buffers: the lecture's calibration (bnmean = hpreact.mean(0), bnstd = hpreact.std(0) over
    all of Xtr). Layer by layer, since each BatchNorm's input depends on the calibrated ones before it.
    `train`, `val`: (X, Y) on the model's device. The running buffers are put back after."""
    Xtr = train[0]
    with _buffers_kept(model.batchnorms()):
        model.set_training(False)  # the BatchNorms before the one measured normalise with their calibrated stats
        try:
            for bn in model.batchnorms():
                bn.running_mean, bn.running_var = batch_statistics(model, bn, Xtr)
        finally:
            model.set_training(True)
        return split_loss(model, *train), split_loss(model, *val)


def batch_statistics(model: MLP, bn: BatchNorm1d, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(bnmean, bnvar), each (1, dim): the mean and unbiased variance of `bn`'s input over all of X (N ≥ 2 rows),
    summed in float64 over EVAL_CHUNK chunks (BatchNorm normalises by sqrt(bnvar + eps): bnstd)."""
    total = square = 0.0
    for start in range(0, X.shape[0], EVAL_CHUNK):
        hpreact = _input_of(model, bn, X[start : start + EVAL_CHUNK]).double()
        total = total + hpreact.sum(0)
        square = square + (hpreact * hpreact).sum(0)
    n = X.shape[0]
    bnmean = total / n
    bnvar = (square - n * bnmean * bnmean) / (n - 1)
    return bnmean.float().view(1, -1), bnvar.clamp_min(0).float().view(1, -1)


def _input_of(model: MLP, bn: BatchNorm1d, X: torch.Tensor) -> torch.Tensor:
    """What `bn` takes in for the contexts X: the forward pass up to it."""
    emb = model.C[X]
    x = emb.view(emb.shape[0], -1)
    for layer in model.layers:
        if layer is bn:
            return x
        x = layer(x)
    raise ValueError("batch_statistics: the BatchNorm is not one of the model's layers")


@contextmanager
def _buffers_kept(batchnorms: list[BatchNorm1d]) -> Iterator[None]:
    """The BatchNorms' running buffers (the tensors themselves: a stacked engine's views) put back on the way out."""
    saved = [(bn.running_mean, bn.running_var) for bn in batchnorms]
    try:
        yield
    finally:
        for bn, (running_mean, running_var) in zip(batchnorms, saved):
            bn.running_mean, bn.running_var = running_mean, running_var


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
