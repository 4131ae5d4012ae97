"""The probe: layer and parameter statistics of any network, as the lecture reads them (DESIGN §11, §12).

    probe = Probe(model)                  # walks the model once (core/walk.py), registers hooks once
    probe.arm()                           # before a stats step's forward pass: hooks record, others cost nothing
    logits = model(X); loss = F.cross_entropy(logits, Y)
    probe.retain_grads()                  # from-scratch layers: their `.out` keeps .grad (the notebook's retain_grad)
    loss.backward()
    for p in params: p.data += -lr * p.grad
    stats = probe.statistics(lr=lr)       # one host copy: {"layers": [...], "params": [...], ...}
    probe.disarm()

Activation layers are the walk's: from-scratch objects by class name (Tanh, ReLU, Sigmoid, GELU, …),
read through their `.out` after the forward pass, and torch.nn activation modules (nn.Tanh, nn.ReLU,
nn.GELU, …), read through a forward hook registered once and gated by `arm()`: while armed the hook
keeps the gradient that reaches the output, and either computes the output's statistics at once (an
output a later in-place op could change) or, when autograd keeps the output for the backward (its
grad_fn saves its result: tanh, relu, sigmoid, so an in-place change would make the backward fail), keeps
the output itself until `collect`, where the outputs of one shape and family are computed together, in
one pass (on a CPU ~5× cheaper than one layer at a time; the outputs stay alive through the backward).
Saturation, histogram range and the dead count follow the layer's kind (core/kinds.py).

Every parameter of 2+ dimensions gets grad mean/std, grad:data (grad.std / data.std, data read after
the update) and update:data: log10((lr·grad).std / data.std) when `lr` is given (plain SGD), or
log10(update.std / data.std) from `updates`, the change an optimizer actually made (Adam too).

The result follows the record contract (core/records.py `LayerStats`, `ParamStats`): layers carry
`kind` and `name` (`layers.4`, `blocks.0.act`), parameters `name`, both in forward / `parameters()`
order. Everything is computed on the tensors' device and brought to the host in one transfer
(`HostCopy`), shared by every probe of a compare.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from makemore_tui.core.kinds import (
    ActivationLayout,
    activation_rows,
    binned,
    binned_rows,
    family,
    row_std_mean,
    std_mean,
    symmetric_range,
)
from makemore_tui.core.records import LayerStats, ParamStats
from makemore_tui.core.stats import param_record
from makemore_tui.core.values import histogram, number
from makemore_tui.core.walk import MAX_DEPTH, Found, walk

# A layer selection: None (every activation layer found), or types, name globs (`blocks.*.act`), a callable
# (name, layer) -> bool, or a sequence mixing types and globs.
LayerSelection = None | Callable[[str, object], bool] | Sequence[type | str]


class HostCopy:
    """Device tensors gathered for one host transfer (the one sync point of a stats step)."""

    def __init__(self):
        self._parts: list[torch.Tensor] = []
        self._host: list[np.ndarray] = []

    def add(self, tensor: torch.Tensor) -> int:
        """Queue a tensor (any shape, read as float); its slot for `get` after `fetch`."""
        self._parts.append(tensor.detach().float().reshape(-1))
        return len(self._parts) - 1

    def fetch(self) -> None:
        """The transfer: every queued tensor, concatenated, to the host."""
        if not self._parts:
            return
        flat = torch.cat([p.to(self._parts[0].device) for p in self._parts]).cpu().numpy()  # sync point
        self._host = np.split(flat, np.cumsum([p.numel() for p in self._parts])[:-1])

    def get(self, slot: int) -> np.ndarray:
        """The host copy of a queued tensor, flattened (after `fetch`)."""
        return self._host[slot]


@dataclass
class _Layer:
    """One probed activation layer and what the last armed forward/backward left for it."""

    found: Found
    # hooked modules: the output, kept when autograd keeps it for the backward (its grad_fn saves its result:
    # tanh, relu, sigmoid), which makes a later in-place change an error; its statistics are computed with the
    # other layers of its shape in `collect`, in one pass for them all …
    out: torch.Tensor | None = None
    act: torch.Tensor | None = None  # … or else its statistics, (1, layout.size), computed inside the hook
    layout: ActivationLayout | None = None
    grad: torch.Tensor | None = None  # hooked modules: d loss / d output, kept by a tensor hook


class Probe:
    """Statistics of `model`'s activation layers and 2+-D parameters; see the module's docstring.

    `model`: any network (an nn.Module, a from-scratch object, a layer list). `layers`: which activation
    layers to read (LayerSelection; default all found). `params`: the parameters in order (default
    `model.parameters()`). `bins`: histogram bins. Hooks stay registered until `close()`.
    """

    def __init__(
        self,
        model: object,
        layers: LayerSelection = None,
        *,
        params: Iterable[torch.Tensor] | None = None,
        bins: int = 32,
        max_depth: int = MAX_DEPTH,
    ):
        self.model = model
        self.bins = bins
        self.found = walk(model, max_depth)
        self.layers = [_Layer(f) for f in self.found.layers if _selected(f, layers)]
        params = list(params if params is not None else model.parameters())
        self.params = [(self.found.tensor_names.get(id(p), f"p{i}"), i, p) for i, p in enumerate(params)]
        self.armed = False
        self._handles = [
            entry.found.layer.register_forward_hook(self._hook(entry)) for entry in self.layers if entry.found.module
        ]

    # ---- gating ---------------------------------------------------------------------------------
    def arm(self) -> None:
        """The next forward pass is a stats step: hooks record it (call before the forward)."""
        self.armed = True
        for entry in self.layers:
            entry.out = entry.act = entry.layout = entry.grad = None

    def disarm(self) -> None:
        """Hooks go quiet again (a step without statistics costs one flag test per activation module)."""
        self.armed = False

    def retain_grads(self) -> None:
        """From-scratch layers: their `.out` keeps its gradient (call between the forward and the backward)."""
        for entry in self.layers:
            out = getattr(entry.found.layer, "out", None)
            if not entry.found.module and isinstance(out, torch.Tensor) and out.requires_grad:
                out.retain_grad()

    def close(self) -> None:
        """Remove the hooks."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _hook(self, entry: _Layer) -> Callable:
        def record(module, inputs, output) -> None:
            if not self.armed or not isinstance(output, torch.Tensor):
                return
            if output.grad_fn is not None and hasattr(type(output.grad_fn), "_saved_result"):
                entry.out, entry.act = output.detach(), None  # unchanged until the backward has read it
            else:  # a later in-place op may change it: its statistics now
                entry.out = None
                entry.act, entry.layout = activation_rows([output], entry.found.kind, self.bins)
            if output.requires_grad:
                output.register_hook(lambda grad: setattr(entry, "grad", grad.detach()))

        return record

    # ---- statistics -----------------------------------------------------------------------------
    def statistics(
        self, lr: float | None = None, weight_hists: bool = True, updates: Sequence[torch.Tensor] | None = None
    ) -> dict:
        """This step's statistics: {"input_std", "grad_range", "layers": [LayerStats], "params": [ParamStats],
        "_satmap": [bool array (rows, neurons) per layer]}. One host transfer. See `collect` for the arguments."""
        host = HostCopy()
        unpack = self.collect(host, lr, weight_hists, updates)
        host.fetch()
        return unpack()

    def layer_stats(self) -> list[LayerStats]:
        """The activation layers' statistics of the last armed step (one host transfer)."""
        return self.statistics(lr=None, weight_hists=False)["layers"]

    def param_stats(self, lr: float | None = None, updates: Sequence[torch.Tensor] | None = None) -> list[ParamStats]:
        """The 2+-D parameters' statistics (one host transfer); update:data from `lr` or `updates`."""
        return self.statistics(lr=lr, updates=updates)["params"]

    def collect(
        self,
        host: HostCopy,
        lr: float | None = None,
        weight_hists: bool = True,
        updates: Sequence[torch.Tensor] | None = None,
    ) -> Callable[[], dict]:
        """Queue this step's statistics on `host` (no sync); returns the function that reads them back after
        `host.fetch()`. `lr`: plain SGD's rate of the step (update = lr·grad); `updates`: the change made to
        each 2+-D parameter, in order (a measured update); neither: update:data is None. `weight_hists`:
        include weight-gradient histograms (records.WEIGHT_HIST_EVERY)."""
        layers = self._queue_layers(host)
        params = self._queue_params(host, weight_hists, updates)
        embcat = getattr(self.model, "embcat", None)
        input_slot = host.add(std_mean(embcat.detach().float())[0]) if isinstance(embcat, torch.Tensor) else None

        def unpack() -> dict:
            out = {"input_std": number(float(host.get(input_slot)[0])) if input_slot is not None else None}
            out |= layers()
            out["params"] = params(lr)
            return out

        return unpack

    def _outputs(self) -> list[tuple[_Layer, torch.Tensor | None, torch.Tensor | None]]:
        """(layer, output to compute statistics of or None when the hook did, output gradient) of every layer
        that ran this step, in order."""
        rows = []
        for entry in self.layers:
            if entry.found.module:
                if entry.out is not None or entry.act is not None:
                    rows.append((entry, entry.out, entry.grad))
                continue
            out = getattr(entry.found.layer, "out", None)
            if isinstance(out, torch.Tensor):
                rows.append((entry, out, out.grad if out.retains_grad or out.is_leaf else None))
        return rows

    def _queue_activations(self, host: HostCopy, rows) -> list[tuple[int, int, ActivationLayout]]:
        """Queue the statistics of `_outputs`' layers; (slot, row, layout) of each. Outputs of one shape and
        family are computed together (`activation_rows`)."""
        places: list = [None] * len(rows)
        groups: dict[tuple, list[int]] = {}
        for k, (entry, out, _) in enumerate(rows):
            if out is None:
                places[k] = (host.add(entry.act), 0, entry.layout)
            else:
                groups.setdefault((family(entry.found.kind), tuple(out.shape), out.dtype, out.device), []).append(k)
        for members in groups.values():
            acts, layout = activation_rows([rows[k][1] for k in members], rows[members[0]][0].found.kind, self.bins)
            slot = host.add(acts)
            for row, k in enumerate(members):
                places[k] = (slot, row, layout)
        return places

    def _queue_gradients(self, host: HostCopy, grads: list[torch.Tensor | None]):
        """Queue the output gradients' mean, std and histogram on shared symmetric bins; (slot of the range or
        None, [(slot, row) or None per layer]). Gradients of one size are computed together."""
        groups: dict[tuple, list[int]] = {}
        for k, g in enumerate(grads):
            if g is not None:
                groups.setdefault((g.numel(), g.device), []).append(k)
        if not groups:
            return None, [None] * len(grads)
        stacked = [torch.stack([grads[k].detach().reshape(-1) for k in members]).float() for members in groups.values()]
        moments = [row_std_mean(g) for g in stacked]  # (std, mean), each (G,)
        peaks = torch.cat([g.abs().amax(dim=1) for g in stacked])
        g_range = symmetric_range(peaks, torch.cat([std for std, _ in moments]))
        places: list = [None] * len(grads)
        for members, g, (std, mean) in zip(groups.values(), stacked, moments):
            span = g_range.expand(len(members))
            counts = binned_rows(g, -span, span, self.bins)
            slot = host.add(torch.cat([mean.unsqueeze(1), std.unsqueeze(1), counts], dim=1))  # promoted to float32
            for row, k in enumerate(members):
                places[k] = (slot, row)
        return host.add(g_range), places

    def _queue_layers(self, host: HostCopy) -> Callable[[], dict]:
        rows = self._outputs()
        act_places = self._queue_activations(host, rows)
        range_slot, grad_places = self._queue_gradients(host, [g for _, _, g in rows])

        def unpack() -> dict:
            records, maps = [], []
            for depth, ((entry, _, _), (a_slot, a_row, layout), g_place) in enumerate(
                zip(rows, act_places, grad_places), 1
            ):
                acts = host.get(a_slot).reshape(-1, layout.size)[a_row]
                record, satmap = _layer_record(entry.found, depth, layout, acts)
                if g_place is not None:
                    values = host.get(g_place[0]).reshape(-1, self.bins + 2)[g_place[1]]
                    record |= {"grad_mean": number(float(values[0])), "grad_std": number(float(values[1]))}
                    record["grad_hist"] = {"counts": values[2:].astype(np.int64).tolist()}  # on ±grad_range
                records.append(record)
                maps.append(satmap)
            grad_range = number(float(host.get(range_slot)[0])) if range_slot is not None else None
            return {"grad_range": grad_range, "layers": records, "_satmap": maps}

        return unpack

    def _queue_params(
        self, host: HostCopy, weight_hists: bool, updates: Sequence[torch.Tensor] | None
    ) -> Callable[[float | None], list[ParamStats]]:
        weights = [(name, i, p) for name, i, p in self.params if p.ndim >= 2 and p.grad is not None]
        if not weights:
            return lambda lr: []
        cells, grads = [], []
        unknown = torch.full((), math.nan, device=weights[0][2].device)  # update std when no update is given
        for k, (_, _, p) in enumerate(weights):
            g = _flat_float(p.grad)
            g_std, g_mean = std_mean(g)
            data_std = std_mean(_flat_float(p), mean=False)[0]
            update_std = std_mean(_flat_float(updates[k]), mean=False)[0] if updates is not None else unknown
            cells += [g_mean, g_std, data_std, update_std.to(g_std.device)]
            grads.append(g)
        table = torch.stack(cells)  # (P × 4,): per parameter grad mean, grad std, data std, update std
        hist_slots = None
        if weight_hists:  # on shared symmetric bins
            w_range = symmetric_range(torch.stack([g.abs().max() for g in grads]), table[1::4])
            table = torch.cat([table, w_range.reshape(1)])
            hist_slots = [host.add(binned(g, -w_range, w_range, self.bins)) for g in grads]
        slot = host.add(table)

        def unpack(lr: float | None) -> list[ParamStats]:
            values = host.get(slot)
            w = float(values[-1]) if hist_slots is not None else math.nan
            out = []
            for k, (name, index, p) in enumerate(weights):
                counts = host.get(hist_slots[k]) if hist_slots is not None else None
                out.append(_param_record(name, index, list(p.shape), values[4 * k : 4 * k + 4], lr, counts, w))
            return out

        return unpack


def _selected(found: Found, selection: LayerSelection) -> bool:
    if selection is None:
        return True
    if callable(selection) and not isinstance(selection, type):
        return bool(selection(found.name, found.layer))
    for item in selection:
        if isinstance(item, type) and isinstance(found.layer, item):
            return True
        if isinstance(item, str) and fnmatch.fnmatchcase(found.name, item):
            return True
    return False


def _layer_record(found: Found, depth: int, layout: ActivationLayout, values: np.ndarray) -> tuple[LayerStats, list]:
    """A LayerStats (without its gradient numbers) and the saturation map, from `activation_rows`' row."""
    mean, std, sat, dead, lo, hi = (float(v) for v in values[:6])
    counts = values[6 : 6 + layout.bins]
    rows, neurons = layout.map_shape
    satmap = values[6 + layout.bins :].reshape(rows, neurons) > 0.5
    record = LayerStats(
        index=found.index,
        depth=depth,
        kind=found.kind,
        name=found.name,
        mean=number(mean),
        std=number(std),
        saturated_pct=number(sat),
        dead=int(dead),
        grad_mean=None,
        grad_std=None,
        hist=histogram(lo, hi, counts),
    )
    return record, satmap


def _param_record(name: str, index: int, shape: list[int], row, lr: float | None, counts, w_range: float) -> ParamStats:
    """A ParamStats from (grad mean, grad std, data std, update std), named."""
    record = param_record(index, shape, row[:3], lr, counts, w_range, update_std=float(row[3]))
    return ParamStats(index=index, name=name, **{k: v for k, v in record.items() if k != "index"})


def _flat_float(t: torch.Tensor) -> torch.Tensor:
    """t detached, flattened, as float32 (no copy when it is already)."""
    t = t.detach().reshape(-1)
    return t if t.dtype == torch.float32 else t.float()
