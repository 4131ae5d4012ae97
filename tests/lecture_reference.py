"""The lecture's training loop, written plainly and independently of core/, as a test oracle.

It follows the makemore part 3 notebook line by line (DESIGN §3); tests compare the
trainer's records with what this loop computes.
"""

from __future__ import annotations

import random
import runpy
from pathlib import Path

import torch
import torch.nn.functional as F


def build_dataset(words, stoi, block_size):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


# The notebook's Linear, BatchNorm1d, Tanh and init cell as the examples give them to learners
# (examples/notebook_layers.py, each drawing from the generator it is given): the notebook's code, not core's.
_NOTEBOOK = runpy.run_path(str(Path(__file__).resolve().parents[1] / "examples" / "notebook_layers.py"))
Linear, BatchNorm1d, Tanh = _NOTEBOOK["Linear"], _NOTEBOOK["BatchNorm1d"], _NOTEBOOK["Tanh"]
scale_init = _NOTEBOOK["scale_init"]  # the notebook's init cell: last layer × 0.1, the gain on the others


def train_reference(
    words,
    *,
    steps,
    batchnorm=True,
    gain=1.0,
    lr=0.1,
    decay_step=150000,
    seed=2147483647,
    n_embd=10,
    n_hidden=100,
    depth=5,
    block_size=3,
    batch_size=32,
    stats_steps=(),
):
    """Run the lecture loop; return per-step losses, stats at `stats_steps`, and the final split losses."""
    words = list(words)
    random.seed(42)
    random.shuffle(words)
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    vocab_size = len(stoi)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    Xtr, Ytr = build_dataset(words[:n1], stoi, block_size)
    Xdev, Ydev = build_dataset(words[n1:n2], stoi, block_size)

    g = torch.Generator().manual_seed(seed)
    C, layers, parameters = build_network(
        vocab_size,
        g,
        batchnorm=batchnorm,
        gain=gain,
        n_embd=n_embd,
        n_hidden=n_hidden,
        depth=depth,
        block_size=block_size,
    )
    losses, stats = [], {}
    for i in range(steps):
        step_lr = lr if i < decay_step else lr / 10
        losses.append(train_step(C, layers, parameters, Xtr, Ytr, g, batch_size, step_lr).item())
        if i in stats_steps:
            stats[i] = _stats(layers, parameters, step_lr)

    @torch.no_grad()
    def split_loss(X, Y):
        for layer in layers:
            layer.training = False
        x = C[X].view(X.shape[0], -1)
        for layer in layers:
            x = layer(x)
        for layer in layers:
            layer.training = True
        return F.cross_entropy(x, Y).item()

    return {"losses": losses, "stats": stats, "train": split_loss(Xtr, Ytr), "val": split_loss(Xdev, Ydev)}


def build_network(vocab_size, g, *, batchnorm=True, gain=1.0, n_embd=10, n_hidden=100, depth=5, block_size=3):
    """The lecture's embedding and layer list, initialised as the notebook does."""
    C = torch.randn((vocab_size, n_embd), generator=g)
    layers = []
    fan_in = n_embd * block_size
    for _ in range(depth):
        layers += [Linear(fan_in, n_hidden, g, bias=not batchnorm)]
        layers += [BatchNorm1d(n_hidden)] if batchnorm else []
        layers += [Tanh()]
        fan_in = n_hidden
    layers += [Linear(n_hidden, vocab_size, g, bias=not batchnorm)]
    layers += [BatchNorm1d(vocab_size)] if batchnorm else []
    scale_init(layers, gain)
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    return C, layers, parameters


def train_step(C, layers, parameters, Xtr, Ytr, g, batch_size, lr):
    """One step of the notebook's loop; returns the loss tensor."""
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g).to(Xtr.device)
    Xb, Yb = Xtr[ix], Ytr[ix]
    emb = C[Xb]
    x = emb.view(emb.shape[0], -1)
    for layer in layers:
        x = layer(x)
    loss = F.cross_entropy(x, Yb)
    for layer in layers:
        layer.out.retain_grad()
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -lr * p.grad
    return loss


def _stats(layers, parameters, lr):
    out = {"layers": [], "params": []}
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Tanh):
            t = layer.out
            out["layers"].append(
                {
                    "index": i,
                    "mean": t.mean().item(),
                    "std": t.std().item(),
                    "saturated_pct": ((t.abs() > 0.97).float().mean() * 100).item(),
                    "grad_mean": t.grad.mean().item(),
                    "grad_std": t.grad.std().item(),
                }
            )
    for i, p in enumerate(parameters):
        if p.ndim == 2:
            out["params"].append(
                {
                    "index": i,
                    "shape": list(p.shape),
                    "grad_mean": p.grad.mean().item(),
                    "grad_std": p.grad.std().item(),
                    "grad_to_data": (p.grad.std() / p.std()).item(),
                    "update_to_data_log10": ((lr * p.grad).std() / p.data.std()).log10().item(),
                }
            )
    return out
