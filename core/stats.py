"""Layer and parameter statistics of one step, as the lecture defines them, in one host transfer."""

from __future__ import annotations

import numpy as np
import torch

SATURATION_THRESHOLD = 0.97  # the lecture's "saturated" tanh output
DEAD_THRESHOLD = 0.99  # the lecture's saturation picture: |t| > 0.99
# Gradient bins span ±(this many of the largest layer's std), or less when no value reaches it:
# one outlier must not squash every layer's histogram into the middle bins.
GRAD_RANGE_STDS = 5.0


def step_statistics(
    tanh_indices: list[int],
    tanh_outs: list[torch.Tensor],
    tanh_grads: list[torch.Tensor],
    params: list[torch.Tensor],
    param_grads: list[torch.Tensor],
    lr: float,
    bins: int,
) -> dict:
    """Statistics of one step: activations and their gradients per tanh layer, and per 2-D parameter.

    Activations come from the step's forward pass, gradients from its backward pass and
    parameters are read after its update, as the lecture reads them. Everything is computed
    on the tensors' device and brought to the host in a single transfer (one sync point).
    Returns `layers`, `params` and `_satmap` (per layer, batch × neurons, |t| > 0.99).
    """
    L = len(tanh_outs)
    T = torch.stack([t.detach() for t in tanh_outs])  # (L, batch, neurons)
    G = torch.stack([g.detach() for g in tanh_grads])
    Tf, Gf = T.flatten(1), G.flatten(1)
    t_std, t_mean = torch.std_mean(Tf, dim=1)
    g_std, g_mean = torch.std_mean(Gf, dim=1)
    saturated = (Tf.abs() > SATURATION_THRESHOLD).float().mean(1) * 100
    satmap = T.abs() > DEAD_THRESHOLD
    dead = satmap.all(dim=1).sum(1).float()

    # Shared bins: activations on [-1, 1]; gradients on one symmetric range for all layers.
    offsets = (torch.arange(L, device=T.device) * bins).unsqueeze(1)
    a_idx = ((Tf + 1) * (bins / 2)).long().clamp_(0, bins - 1) + offsets
    a_counts = torch.bincount(a_idx.flatten(), minlength=L * bins)
    g_range = torch.minimum(Gf.abs().amax(), GRAD_RANGE_STDS * g_std.amax()).clamp_min(1e-30)
    g_idx = ((Gf / g_range + 1) * (bins / 2)).floor().long().clamp_(0, bins - 1) + offsets
    g_counts = torch.bincount(g_idx.flatten(), minlength=L * bins)

    weight_index = [i for i, p in enumerate(params) if p.ndim == 2]
    weights = [params[i] for i in weight_index]
    with torch.no_grad():
        p_rows = torch.stack(
            [
                torch.stack([*torch.std_mean(g)[::-1], p.data.std(), (lr * g).std()])
                for p, g in ((params[i], param_grads[i]) for i in weight_index)
            ]
        )  # (P, 4): grad mean, grad std, data std, update std

    # The one host transfer of this stats tick.
    flat = (
        torch.cat(
            [
                torch.stack([t_mean, t_std, saturated, dead, g_mean, g_std]).flatten(),
                g_range.view(1),
                p_rows.flatten(),
                a_counts.float(),
                g_counts.float(),
                satmap.flatten().float(),
            ]
        )
        .cpu()
        .numpy()
    )
    return _unpack(flat, tanh_indices, T.shape, weights, weight_index, bins)


def _unpack(flat: np.ndarray, tanh_indices, t_shape, weights, weight_index, bins) -> dict:
    """Turn the transferred vector back into plain Python records."""
    L, batch, neurons = t_shape
    P = len(weights)
    pos = 0

    def take(n):
        nonlocal pos
        chunk = flat[pos : pos + n]
        pos += n
        return chunk

    per_layer = take(6 * L).reshape(6, L)
    g_range = float(take(1)[0])
    p_rows = take(4 * P).reshape(P, 4)
    a_counts = take(L * bins).reshape(L, bins).astype(np.int64)
    g_counts = take(L * bins).reshape(L, bins).astype(np.int64)
    satmap = take(L * batch * neurons).reshape(L, batch, neurons) > 0.5

    a_edges = np.linspace(-1.0, 1.0, bins + 1).tolist()
    g_edges = np.linspace(-g_range, g_range, bins + 1).tolist()
    layers = []
    for k, index in enumerate(tanh_indices):
        mean, std, sat, dead, gmean, gstd = (float(v) for v in per_layer[:, k])
        layers.append(
            {
                "index": index,
                "name": "Tanh",
                "mean": mean,
                "std": std,
                "saturated_pct": sat,
                "dead": int(dead),
                "neurons": neurons,
                "grad_mean": gmean,
                "grad_std": gstd,
                "hist": {"edges": a_edges, "counts": a_counts[k].tolist()},
                "grad_hist": {"edges": g_edges, "counts": g_counts[k].tolist()},
            }
        )
    params = []
    for k, (index, p) in enumerate(zip(weight_index, weights)):
        gmean, gstd, data_std, update_std = (float(v) for v in p_rows[k])
        params.append(
            {
                "index": index,
                "shape": list(p.shape),
                "grad_mean": gmean,
                "grad_std": gstd,
                "grad_to_data": gstd / data_std if data_std else float("inf"),
                "update_to_data_log10": _log10(update_std / data_std) if data_std else float("inf"),
            }
        )
    return {"layers": layers, "params": params, "_satmap": list(satmap)}


def _log10(x: float) -> float:
    return float(np.log10(x)) if x > 0 else float("-inf")
