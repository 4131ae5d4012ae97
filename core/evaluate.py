"""Split losses with BatchNorm in inference mode, and names sampled from the model."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.model import MLP

# Evaluate in chunks so a large split never holds every layer's activations at once.
EVAL_CHUNK = 2_048
MAX_NAME_LENGTH = 40  # a sample that never emits '.' is cut here, so sampling always ends


@torch.no_grad()
def split_loss(model: MLP, X: torch.Tensor, Y: torch.Tensor) -> float:
    """Mean cross-entropy over a whole split, BatchNorm on its running statistics."""
    if X.shape[0] == 0:
        return float("nan")
    model.set_training(False)
    try:
        total = torch.zeros((), device=X.device, dtype=torch.float64)
        for start in range(0, X.shape[0], EVAL_CHUNK):
            xb, yb = X[start : start + EVAL_CHUNK], Y[start : start + EVAL_CHUNK]
            total += F.cross_entropy(model.forward(xb), yb, reduction="sum").double()
        return float(total) / X.shape[0]  # sync point
    finally:
        model.set_training(True)


@torch.no_grad()
def sample_names(
    model: MLP, itos: dict[int, str] | list[str], block_size: int, count: int, generator: torch.Generator
) -> list[str]:
    """Sample `count` names in parallel, each until its '.' (index 0) or MAX_NAME_LENGTH characters."""
    device = model.C.device
    model.set_training(False)
    try:
        context = torch.zeros((count, block_size), dtype=torch.long, device=device)
        rows: list[list[int]] = [[] for _ in range(count)]
        done = [False] * count
        for _ in range(MAX_NAME_LENGTH):
            probs = F.softmax(model.forward(context), dim=1).cpu()
            if not torch.isfinite(probs).all():
                return []  # a diverged model has no distribution to sample from
            ix = torch.multinomial(probs, num_samples=1, generator=generator).squeeze(1)
            context = torch.cat([context[:, 1:], ix.to(device).unsqueeze(1)], dim=1)
            for row, i in enumerate(ix.tolist()):
                if not done[row]:
                    if i == 0:
                        done[row] = True
                    else:
                        rows[row].append(i)
            if all(done):
                break
        return ["".join(itos[i] for i in row) for row in rows]
    finally:
        model.set_training(True)


def is_finite(value: float) -> bool:
    """True for a real, finite loss."""
    return isinstance(value, float) and math.isfinite(value)
