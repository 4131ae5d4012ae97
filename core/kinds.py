"""Activation kinds: what "saturated" means for each, and the per-layer statistics of one kind.

The lecture reads a tanh layer's output t: percent saturated (|t| > 0.97), a histogram on [-1, 1],
and a saturation map (|t| > 0.99). Other activations saturate differently (DESIGN §11):

    family     kinds                                  saturated (%)        map / "dead"      histogram
    tanh       tanh, hardtanh                         |t| > 0.97           |t| > 0.99        [-1, 1]
    sigmoid    sigmoid, hardsigmoid                   t < 0.03 or > 0.97   t < 0.01 or > 0.99 [0, 1]
    relu       relu, relu6, leaky_relu, gelu, silu,   t <= 0 (inactive)    t <= 0            the data's [min, max]
               elu, selu, celu, mish, softplus, hardswish
    identity   identity (the lecture's linear sandwich) |t| > 0.97         |t| > 0.99        ±max(1, the data's)

A layer's output may have any shape: (B, C), part 5's (B, T, C), …; percentages and histograms
count every element, and the map (and the dead count: neurons mapped for every row) takes the
last dimension as neurons and every other as rows. Everything here stays on the tensors' device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

SATURATION_THRESHOLD = 0.97  # the lecture's "saturated" tanh output
DEAD_THRESHOLD = 0.99  # the lecture's saturation picture: |t| > 0.99
SATMAP_ROWS = 32  # the saturation map keeps at most this many rows (a screen's worth)
SATMAP_NEURONS = 256  # … and this many neurons (the last dimension)
GRAD_RANGE_STDS = 5.0  # symmetric gradient bins span at most this many of the largest std (one outlier)

# Activation classes by class name, from-scratch (the notebook's `class Tanh`) or torch.nn alike.
ACTIVATION_CLASSES: dict[str, str] = {
    "Tanh": "tanh",
    "Hardtanh": "hardtanh",
    "Sigmoid": "sigmoid",
    "Hardsigmoid": "hardsigmoid",
    "ReLU": "relu",
    "ReLU6": "relu6",
    "LeakyReLU": "leaky_relu",
    "GELU": "gelu",
    "SiLU": "silu",
    "ELU": "elu",
    "SELU": "selu",
    "CELU": "celu",
    "Mish": "mish",
    "Softplus": "softplus",
    "Hardswish": "hardswish",
}
# From-scratch only: the lecture's linear sandwich. (torch.nn.Identity is a placeholder, not an activation.)
SCRATCH_ONLY_CLASSES: dict[str, str] = {"Identity": "identity"}

_FAMILIES = {
    "tanh": ("tanh", "hardtanh"),
    "sigmoid": ("sigmoid", "hardsigmoid"),
    "relu": ("relu", "relu6", "leaky_relu", "gelu", "silu", "elu", "selu", "celu", "mish", "softplus", "hardswish"),
    "identity": ("identity",),
}
FAMILY_OF = {kind: family for family, kinds in _FAMILIES.items() for kind in kinds}
# How panels and hints say what a family's saturated percent counts.
SATURATION_WORDS = {
    "tanh": "|t|>0.97",
    "sigmoid": "t<0.03 or t>0.97",
    "relu": "t≤0 (inactive)",
    "identity": "|x|>0.97 (no saturation)",
}
MAP_WORDS = {"tanh": "|t|>0.99", "sigmoid": "t<0.01 or t>0.99", "relu": "t≤0", "identity": "|x|>0.99"}
# the saturation table's column heading, five cells: what its percent counts (`sat`: layers of several families)
COLUMN_WORDS = {"tanh": ">0.97", "sigmoid": "sat", "relu": "≤0", "identity": ">0.97"}


def column_word(kinds: list[str]) -> str:
    """The saturation column's heading for layers of `kinds` (record_kinds; [] for the built-in tanh net)."""
    families = {family(k) for k in kinds}
    return COLUMN_WORDS[families.pop()] if len(families) == 1 else ">0.97" if not families else "sat"


def record_kinds(stats: object) -> list[str]:
    """The kinds of a stats record's layers, each once, in order ([] when it names none: the built-in net)."""
    layers = stats.get("layers") if isinstance(stats, dict) else None
    kinds = [layer.get("kind") for layer in layers or [] if isinstance(layer, dict)]
    return list(dict.fromkeys(k for k in kinds if isinstance(k, str) and k in FAMILY_OF))


def kind_heading(heading: str, kinds: list[str]) -> str:
    """A panel heading written for tanh, rewritten for a --model net's layer `kinds` (`relu`, `tanh/gelu`):
    `tanh` names them, and when they share a family its saturation rule replaces tanh's (|t|>0.97, |t|>0.99)."""
    if not kinds:
        return heading
    heading = heading.replace("tanh", "/".join(kinds))
    families = {family(k) for k in kinds}
    if len(families) == 1 and (only := families.pop()) != "tanh":
        heading = heading.replace("|t|>0.97", SATURATION_WORDS[only]).replace("|t|>0.99", MAP_WORDS[only])
        if "saturation map" not in heading:  # panel 1 (`1 saturation · relu layers`): say what its percent counts
            heading = heading.replace("saturation ·", f"saturation {SATURATION_WORDS[only]} ·", 1)
    return heading


def family(kind: object) -> str:
    """The family (tanh | sigmoid | relu | identity) of a record's layer `kind`; a missing or unknown kind
    (logs written before kinds, the built-in net) is tanh."""
    return FAMILY_OF.get(kind, "tanh") if isinstance(kind, str) else "tanh"


def kind_of(layer: object, scratch: bool) -> str | None:
    """The kind of an activation layer object by its class name, or None when it is not one.

    `scratch`: the object is a from-scratch layer (read through `.out`), where `Identity` counts too."""
    name = type(layer).__name__
    return ACTIVATION_CLASSES.get(name) or (SCRATCH_ONLY_CLASSES.get(name) if scratch else None)


def saturated(t: torch.Tensor, family_name: str) -> torch.Tensor:
    """Bool mask of the saturated (relu: inactive) elements of t."""
    return _beyond(t, family_name, SATURATION_THRESHOLD)


def mapped(t: torch.Tensor, family_name: str) -> torch.Tensor:
    """Bool mask the saturation map shows (and a neuron mapped in every row is dead)."""
    return _beyond(t, family_name, DEAD_THRESHOLD)


def _beyond(t: torch.Tensor, family_name: str, threshold: float) -> torch.Tensor:
    """Bool mask of the elements past `threshold` toward the family's flat ends: tanh |t| > threshold,
    sigmoid t < 1 − threshold or t > threshold; the ReLU family t ≤ 0 whatever the threshold."""
    if family_name == "sigmoid":
        return (t < 1 - threshold) | (t > threshold)
    if family_name == "relu":
        return t <= 0
    return t.abs() > threshold


def std_mean(x: torch.Tensor, dim: int | None = None, mean: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(std, mean) over `dim` (all elements when None; mean None when not asked for); the std of a single
    value is NaN (undefined), without torch's warning. Over all elements `x.std()` and `x.mean()` (on the CPU
    ~3× faster together than torch.std_mean's one-pass Welford, the same std)."""
    if dim is None:
        x, dim = x.reshape(-1), 0
    if x.shape[dim] < 2:
        average = x.mean(dim)
        return torch.full_like(average, math.nan), average
    if x.ndim == 1:
        return x.std(), x.mean() if mean else None
    return torch.std_mean(x, dim=dim)


def row_std_mean(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(std, mean) of each row of a (rows, n) tensor, both (rows,); two-pass (the mean, then the squared
    deviations), on the CPU ~7× faster than `x.std(dim=1)`, whose per-row Welford reduction is not vectorised.
    A row of one value has std NaN (undefined), as `std_mean`."""
    mean = x.mean(dim=1)
    deviation = x - mean.unsqueeze(1)
    return (deviation.square().sum(dim=1) / (x.shape[1] - 1)).sqrt(), mean


def symmetric_range(peaks: torch.Tensor, stds: torch.Tensor) -> torch.Tensor:
    """max(peaks), capped at GRAD_RANGE_STDS × max(stds) when that is above 0: shared symmetric bins."""
    peak = peaks.max()
    cap = GRAD_RANGE_STDS * torch.nan_to_num(stds, nan=0.0).max()
    return torch.where(cap > 0, torch.minimum(peak, cap), peak)


def binned(x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, bins: int) -> torch.Tensor:
    """Counts (bins,) of x over equal bins on [lo, hi]; values outside land in the end bins."""
    return binned_rows(x.reshape(1, -1), lo.reshape(1), hi.reshape(1), bins)[0]


def binned_rows(x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, bins: int) -> torch.Tensor:
    """Counts (rows, bins) of each row of x (rows, n) over equal bins on its [lo, hi] (each (rows,)), in one
    bincount; values outside land in the end bins."""
    width = (hi - lo).clamp_min(1e-30).unsqueeze(1)
    # truncation, then the clamp, gives floor's bin for every value (a negative one lands in bin 0 either way)
    idx = ((x - lo.unsqueeze(1)) / width * bins).long().clamp_(0, bins - 1)
    if x.shape[0] > 1:
        idx += torch.arange(0, x.shape[0] * bins, bins, device=x.device).unsqueeze(1)  # row r counts in r's bins
    return torch.bincount(idx.reshape(-1), minlength=x.shape[0] * bins).reshape(x.shape[0], bins)


def histogram_ranges(x: torch.Tensor, family_name: str, std: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(lo, hi), each (rows,), of the histograms of a family's layers, one a row of x (rows, n) whose std is
    `std` (rows,): fixed for tanh [-1, 1] and sigmoid [0, 1]; relu its data's [min, max]; identity ±max(1, its
    data's, capped at GRAD_RANGE_STDS stds), as the built-in linear net."""
    one = torch.ones(x.shape[0], device=x.device)
    if family_name == "tanh":
        return -one, one
    if family_name == "sigmoid":
        return 0 * one, one
    if family_name == "relu":
        lo, hi = x.aminmax(dim=1)
        return lo, torch.where(hi > lo, hi, lo + 1)
    peak, cap = x.abs().amax(dim=1), GRAD_RANGE_STDS * torch.nan_to_num(std, nan=0.0)
    r = torch.where(cap > 0, torch.minimum(peak, cap), peak).clamp_min(1.0)
    return -r, r


@dataclass(frozen=True)
class ActivationLayout:
    """Where each number lies in `activation_vector`'s output, for a layer of output `shape`."""

    shape: tuple[int, ...]
    bins: int

    @property
    def map_shape(self) -> tuple[int, int]:
        """(rows, neurons) of the saturation map kept."""
        neurons = self.shape[-1] if self.shape else 1
        rows = math.prod(self.shape[:-1]) if len(self.shape) > 1 else 1
        return min(rows, SATMAP_ROWS), min(neurons, SATMAP_NEURONS)

    @property
    def size(self) -> int:
        rows, neurons = self.map_shape
        return 6 + self.bins + rows * neurons


def activation_rows(outputs: list[torch.Tensor], kind: str, bins: int) -> tuple[torch.Tensor, ActivationLayout]:
    """The statistics of layer outputs of one shape and one kind's family, one float32 row each, (layers, size),
    on their device (no host sync), in one pass for them all: mean, std, saturated %, dead neurons, histogram lo,
    hi, then `bins` counts, then the map (rows × neurons) of `ActivationLayout`."""
    shape = tuple(outputs[0].shape)
    fam = family(kind)
    x = torch.stack([t.detach() for t in outputs]).float().reshape(len(outputs), -1)  # (G, N)
    std, mean = row_std_mean(x)
    sat = saturated(x, fam).sum(dim=1) * (100 / x.shape[1])  # percent (a count times a host constant)
    mask = mapped(x.reshape(len(outputs), -1, shape[-1] if shape else 1), fam)  # (G, rows, neurons)
    dead = mask.all(dim=1).sum(dim=1)
    lo, hi = histogram_ranges(x, fam, std)
    layout = ActivationLayout(shape, bins)
    r, n = layout.map_shape
    head = torch.stack([mean, std, sat, dead, lo, hi], dim=1)  # (G, 6) float32: stack promotes the counts
    counts = binned_rows(x, lo, hi, bins)
    return torch.cat([head, counts, mask[:, :r, :n].reshape(len(outputs), -1)], dim=1), layout  # promoted to float32
