"""Layer and parameter statistics of one step, as the lecture defines them, in one host transfer.

The lecture (makemore part 3) reads, after a step: each tanh layer's output `t` (mean, std,
percent saturated |t| > 0.97, a histogram), its input `hpreact` (a histogram, in the records that
carry the weight-gradient histograms), the gradient at that output, and per 2-D parameter
the gradient's std, grad:data = grad.std / data.std and the update:data ratio
log10((lr·grad).std / data.std). Everything here is computed on the tensors' device, for every
variant of every structure group at once, and brought to the host in a single transfer (one
sync point per stats tick). The result follows core/records.py (`LayerStats`, `ParamStats`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from makemore_tui.core.engines.base import StatsTensors
from makemore_tui.core.kinds import std_mean  # over a dim of a 2+-D tensor: torch.std_mean
from makemore_tui.core.records import LayerStats, ParamStats
from makemore_tui.core.values import histogram, number

SATURATION_THRESHOLD = 0.97  # the lecture's "saturated" tanh output
DEAD_THRESHOLD = 0.99  # the lecture's saturation picture: |t| > 0.99
# Gradient bins span ±(this many of the largest layer's std), or less when no value reaches it:
# one outlier must not squash every layer's histogram into the middle bins.
GRAD_RANGE_STDS = 5.0
# Per layer × variant: mean, std, saturated %, dead, grad mean, grad std.
_LAYER_FIELDS = 6
# Per parameter × variant: grad mean, grad std, data std.
_PARAM_FIELDS = 3


def step_statistics(
    groups: Sequence[StatsTensors], lrs: Sequence[float], bins: int, weight_hists: bool = True
) -> dict[int, dict]:
    """Statistics of the last kept step of every variant, by variant.

    `groups`: the engine's statistics tensors, one per structure group (each holds V_g variants
    along dim 0); `lrs`: every variant's learning rate of that step; `bins`: histogram bins;
    `weight_hists`: include the weight-gradient and the hpreact histograms (records.WEIGHT_HIST_EVERY;
    the hpreact ones are computed only then). Returns {variant: {"input_std": …, "layers": [LayerStats],
    "params": [ParamStats], "_satmap": [bool array (batch, neurons) per layer]}}.
    One host transfer for all groups (a sync point).
    """
    parts, shapes = [], []
    for group in groups:
        flat, shape = _group_tensors(group, bins, weight_hists)
        parts.append(flat)
        shapes.append(shape)
    host = torch.cat(parts).cpu().numpy()  # sync point: the one host transfer of the stats tick
    out: dict[int, dict] = {}
    offset = 0
    for group, shape in zip(groups, shapes):
        size = shape.size
        out.update(_unpack(host[offset : offset + size], group, shape, lrs, bins, weight_hists))
        offset += size
    return out


class _Shape:
    """How one group's statistics are laid out in the transferred vector."""

    def __init__(self, L: int, V: int, batch: int, neurons: int, P: int, bins: int, hpreact: bool):
        self.L, self.V, self.batch, self.neurons, self.P = L, V, batch, neurons, P
        self.hpreact = hpreact  # the hpreact histograms are in the vector (the weight-histogram records)
        self.sections = {
            "layers": _LAYER_FIELDS * L * V,
            "ranges": 4 * V,  # activation, activation-gradient and weight-gradient bin range; input std
            "params": _PARAM_FIELDS * P * V,
            "act_counts": L * V * bins,
            "grad_counts": L * V * bins,
            "param_counts": P * V * bins,
            "satmap": L * V * batch * neurons,
            "hpreact_range": V if hpreact else 0,
            "hpreact_counts": L * V * bins if hpreact else 0,
        }
        self.size = sum(self.sections.values())


def _binned(values: torch.Tensor, half_range: torch.Tensor, bins: int) -> torch.Tensor:
    """Counts of `values` (K, V, n) over `bins` equal bins on [-r, r] per variant (r: (V,)); (K*V*bins,)."""
    K, V, _ = values.shape
    r = half_range.clamp_min(1e-30).view(1, V, 1)
    idx = ((values / r + 1) * (bins / 2)).floor().long().clamp_(0, bins - 1)
    offsets = (torch.arange(K * V, device=values.device) * bins).view(K, V, 1)
    return torch.bincount((idx + offsets).flatten(), minlength=K * V * bins)


def _symmetric_range(values: torch.Tensor, stds: torch.Tensor) -> torch.Tensor:
    """Per variant: max |value|, capped at GRAD_RANGE_STDS × the largest std. values (K,V,n), stds (K,V)."""
    peak = values.abs().amax(dim=(0, 2))
    cap = GRAD_RANGE_STDS * torch.nan_to_num(stds, nan=0.0).amax(dim=0)
    return torch.where(cap > 0, torch.minimum(peak, cap), peak)


def _hpreact_tensors(group: StatsTensors, bins: int) -> list[torch.Tensor]:
    """The hpreact histograms: [range (V,), counts (L*V*bins,)], bins on ±(max |hpreact|, capped at
    GRAD_RANGE_STDS × the largest layer's std), shared by a variant's layers."""
    hpreact = torch.stack([h.detach() for h in group.hpreacts]).flatten(2)  # (L, V, B·N)
    hpreact_std, _ = std_mean(hpreact, 2)  # (L, V)
    hpreact_range = _symmetric_range(hpreact, hpreact_std)  # (V,)
    return [hpreact_range, _binned(hpreact, hpreact_range, bins).float()]


def _group_tensors(group: StatsTensors, bins: int, hpreact: bool) -> tuple[torch.Tensor, _Shape]:
    """Every statistic of one group, on its device, flattened into one float vector (`hpreact`: with the
    hpreact histograms)."""
    A = torch.stack([t.detach() for t in group.acts])  # (L, V, B, N)
    G = torch.stack([g.detach() for g in group.act_grads])
    L, V, B, N = A.shape
    Af, Gf = A.flatten(2), G.flatten(2)  # (L, V, B·N)
    t_std, t_mean = std_mean(Af, 2)  # (L, V)
    g_std, g_mean = std_mean(Gf, 2)
    saturated = (Af.abs() > SATURATION_THRESHOLD).float().mean(2) * 100
    satmap = A.abs() > DEAD_THRESHOLD  # (L, V, B, N)
    dead = satmap.all(dim=2).sum(2).float()
    input_std = std_mean(group.embcat.detach().flatten(1), 1)[0]  # (V,): readers derive forward gains

    # Histogram ranges, per variant: tanh outputs on [-1, 1] (wider only for a linear
    # activation that leaves it); gradients on one symmetric range shared by the layers.
    a_range = torch.clamp_min(_symmetric_range(Af, t_std), 1.0)
    g_range = _symmetric_range(Gf, g_std)
    weights = [(p.detach(), g.detach()) for p, g in zip(group.params, group.grads) if p.ndim == 3]  # (V, rows, cols)
    P = len(weights)
    Wg = [g.flatten(1) for _, g in weights]  # P × (V, rows·cols): sizes differ, so no stack
    w_std_mean = [std_mean(g, 1) for g in Wg]
    p_rows = torch.stack(
        [torch.stack([mean, std, std_mean(p.flatten(1), 1)[0]]) for (p, _), (std, mean) in zip(weights, w_std_mean)]
    )  # (P, 3, V): grad mean, grad std, data std
    w_range = _symmetric_range(torch.cat([g.abs().amax(1, keepdim=True) for g in Wg], dim=1).unsqueeze(0), p_rows[:, 1])
    w_counts = torch.cat([_binned(g.unsqueeze(0), w_range, bins) for g in Wg])

    flat = torch.cat(
        [
            torch.stack([t_mean, t_std, saturated, dead, g_mean, g_std]).flatten(),
            torch.stack([a_range, g_range, w_range, input_std]).flatten(),
            p_rows.flatten(),
            _binned(Af, a_range, bins).float(),
            _binned(Gf, g_range, bins).float(),
            w_counts.float(),
            satmap.flatten().float(),
            *(_hpreact_tensors(group, bins) if hpreact else []),
        ]
    )
    return flat, _Shape(L, V, B, N, P, bins, hpreact)


def _unpack(
    flat: np.ndarray, group: StatsTensors, shape: _Shape, lrs: Sequence[float], bins: int, weight_hists: bool
) -> dict[int, dict]:
    """The transferred vector of one group back into per-variant records."""
    L, V, P = shape.L, shape.V, shape.P
    sections, pos = {}, 0
    for name, size in shape.sections.items():
        sections[name] = flat[pos : pos + size]
        pos += size
    per_layer = sections["layers"].reshape(_LAYER_FIELDS, L, V)
    a_range, g_range, w_range, input_std = sections["ranges"].reshape(4, V)
    p_rows = sections["params"].reshape(P, _PARAM_FIELDS, V)
    act_counts = sections["act_counts"].reshape(L, V, bins).astype(np.int64)
    grad_counts = sections["grad_counts"].reshape(L, V, bins).astype(np.int64)
    param_counts = sections["param_counts"].reshape(P, V, bins).astype(np.int64)
    satmap = sections["satmap"].reshape(L, V, shape.batch, shape.neurons) > 0.5
    hpreact_range = sections["hpreact_range"]
    hpreact_counts = sections["hpreact_counts"].reshape(L, V, bins).astype(np.int64) if shape.hpreact else None
    weight_index = [i for i, p in enumerate(group.params) if p.ndim == 3]
    weight_shapes = [list(group.params[i].shape[1:]) for i in weight_index]

    out = {}
    for k, variant in enumerate(group.variants):
        layers = [
            _layer_stats(
                per_layer[:, j, k],
                group.layer_index[j],
                j + 1,
                act_counts[j, k],
                grad_counts[j, k],
                a_range[k],
            )
            for j in range(L)
        ]
        if hpreact_counts is not None:
            for j, layer in enumerate(layers):
                layer["hpreact_hist"] = histogram(-hpreact_range[k], hpreact_range[k], hpreact_counts[j, k])
        params = [
            param_record(
                index, shape_, p_rows[j, :, k], lrs[variant], param_counts[j, k] if weight_hists else None, w_range[k]
            )
            for j, (index, shape_) in enumerate(zip(weight_index, weight_shapes))
        ]
        out[variant] = {
            "input_std": number(float(input_std[k])),
            "grad_range": number(float(g_range[k])),
            "layers": layers,
            "params": params,
            "_satmap": list(satmap[:, k]),
        }
    return out


def _layer_stats(values, index: int, depth: int, act_counts, grad_counts, a_range: float) -> LayerStats:
    mean, std, sat, dead, gmean, gstd = (float(v) for v in values)
    return LayerStats(
        index=index,
        depth=depth,
        mean=number(mean),
        std=number(std),
        saturated_pct=number(sat),
        dead=int(dead),
        grad_mean=number(gmean),
        grad_std=number(gstd),
        hist=histogram(-a_range, a_range, act_counts),
        grad_hist={"counts": [int(c) for c in grad_counts]},  # on the record's ±grad_range
    )


def param_record(
    index: int, shape: list[int], row, lr: float | None, counts, w_range: float, update_std: float | None = None
) -> ParamStats:
    """A ParamStats from (grad mean, grad std, data std): update:data from plain SGD's `lr` (lr·grad), or from
    `update_std`, the std of the change an optimizer made (lr None); None when neither is known."""
    gmean, gstd, data_std = (float(v) for v in row)
    defined = math.isfinite(data_std) and data_std > 0 and math.isfinite(gstd)
    if lr is not None:
        update = lr * gstd / data_std if defined else None
    else:
        known = update_std is not None and math.isfinite(update_std)
        update = update_std / data_std if defined and known else None
    stats = ParamStats(
        index=index,
        shape=shape,
        grad_mean=number(gmean),
        grad_std=number(gstd),
        grad_to_data=number(gstd / data_std) if defined else None,
        update_to_data_log10=number(math.log10(update)) if update else None,
    )
    if counts is not None:
        stats["grad_hist"] = histogram(-w_range, w_range, counts)
    return stats
