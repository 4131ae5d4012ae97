"""The five figures of the lecture (makemore part 3), as panels of curves built from one run.

A single run draws each figure as the lecture does: one axes, one line per layer or parameter
in the colour cycle. A compare run (several variants) draws small multiples, one panel per
layer or parameter with one line per variant, each variant in its own colour in every figure:
the question a compare answers is "what did the compared field change at this layer", which
reads best with the variants overlaid on shared axes, one layer at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from makemore_tui.core.health import param_labels
from makemore_tui.core.records import Event, variant_of
from makemore_tui.core.values import layer_histogram, number
from makemore_tui.core.wording import describe
from makemore_tui.plot.series import (
    UPDATE_TO_DATA_TARGET,
    Curve,
    FigureSpec,
    Name,
    Panel,
    Run,
    activation_name,
    density,
    fmt,
    has_weight_histograms,
    layer_label,
    nearest_stats,
    param_histogram,
    param_label,
    titled,
)

# An item of a histogram figure: (its name, histogram record, the lecture's printed stats).
Item = tuple[Name, Mapping, str]


def figure_specs(run: Run, step: int | None, log_name: str) -> list[FigureSpec]:
    """The five figures of `run`, the histograms at the stats record nearest `step` (None: the last).

    The weight-gradient figure takes the nearest record that holds weight-gradient histograms
    (compact logs keep them on every few stats records only). A figure with nothing to draw has
    no curves: the caller skips it.
    """
    head = f"{log_name} · run {run.number}"
    configs = _configs(run)
    figures = [
        ("activations", "activation distribution", _activations, None),
        ("gradients", "gradient distribution", _gradients, None),
        ("weight-gradients", "weights gradient distribution", _weights, has_weight_histograms),
    ]
    specs = []
    for kind, title, items, has in figures:
        target, chosen = nearest_stats(run, step, has)
        name = f"run{run.number}-{kind}-step{target}"
        specs.append(_histograms(run, target, chosen, name, title, f"{head} · step {target} · {configs}", items))
    specs.append(_update_to_data(run, f"run{run.number}-update-data", f"{head} · {configs}"))
    specs.append(_loss(run, f"run{run.number}-loss", f"{head} · {configs}"))
    return specs


def _configs(run: Run) -> str:
    labels = run.labels
    if len(labels) == 1:
        return describe(run.config(0))
    return "variants: " + ", ".join(labels)


def _layers(hist: str, stats: Callable[[Mapping], str]) -> Callable[[Mapping, Mapping], list[Item]]:
    """Items of the activation layers: their `hist` histogram and the lecture's printed `stats`."""

    def items(record: Mapping, config: Mapping) -> list[Item]:
        name = activation_name(config)
        layers = record.get("layers") or []
        return [
            (layer_label(layer, i, name), layer_histogram(record, layer, hist), stats(layer))
            for i, layer in enumerate(layers)
        ]

    return items


# The lecture prints 'layer %d (%10s): mean %+.2f, std %.2f, saturated: %.2f%%', for gradients 'mean %+f, std %e'.
_activations = _layers(
    "hist",
    lambda layer: (
        f"mean {fmt(layer.get('mean'), '+.2f')}, std {fmt(layer.get('std'), '.2f')}, "
        f"saturated: {fmt(layer.get('saturated_pct'), '.2f')}%"
    ),
)
_gradients = _layers(
    "grad_hist", lambda layer: f"mean {fmt(layer.get('grad_mean'), '+f')}, std {fmt(layer.get('grad_std'), 'e')}"
)


def _weights(record: Mapping, config: Mapping) -> list[Item]:
    params = record.get("params") or []
    names = param_labels(params)
    return [
        (
            param_label(param, i, names, shape=True),
            param_histogram(param),
            f"std {fmt(param.get('grad_std'), '.2e')}, grad:data {fmt(param.get('grad_to_data'), '.2e')}",
        )
        for i, param in enumerate(params)
    ]


def _histograms(
    run: Run,
    target: int,
    chosen: dict[int, dict],
    name: str,
    title: str,
    note: str,
    items: Callable[[Mapping, Mapping], list[Item]],
) -> FigureSpec:
    """One histogram figure: the lecture's overlay in a single run, a panel per depth in a compare."""
    labels = run.labels
    if len(labels) == 1:
        curves = []
        for _, record in chosen.items():
            for item, hist, stats in items(record, run.config(0)):
                if (curve := density(hist)) is not None:
                    curves.append(Curve(f"{item.label}: {stats}", *curve))
        return FigureSpec(name, title, [Panel("", curves)] if curves else [], "value", "density", note=note)
    panels: dict[str, list[tuple[Name, Curve]]] = {}
    for variant, record in chosen.items():
        late = f" (step {record['step']})" if record["step"] != target else ""
        for item, hist, stats in items(record, run.config(variant)):
            if (curve := density(hist)) is not None:
                line = Curve(f"{labels[variant]}{late}: {stats}", *curve, color=variant)
                panels.setdefault(item.key, []).append((item, line))
    return FigureSpec(name, title, [_by_depth(named) for named in panels.values()], "value", "density", note=note)


def _by_depth(named: list[tuple[Name, Curve]]) -> Panel:
    """A compare's panel of one depth; where the variants' list indexes differ, each legend entry says its own."""
    names = [name for name, _ in named]
    if len({name.lecture for name in names}) > 1:
        for name, curve in named:
            head, colon, tail = curve.label.partition(":")
            curve.label = f"{head} · {name.lecture}{colon}{tail}"
    return Panel(titled(names), [curve for _, curve in named])


def _series(records: list[dict], value: Callable[[Mapping], object]) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of stats records; an undefined value is NaN (a gap in the line)."""
    steps = np.array([r["step"] for r in records], dtype=float)
    values = np.array([number(value(r)) if number(value(r)) is not None else np.nan for r in records])
    return steps, values


def _update_to_data(run: Run, name: str, note: str) -> FigureSpec:
    """update:data ratio (log10) over steps, one line per 2-D parameter, and the lecture's −3 line."""
    labels = run.labels
    single: list[Curve] = []
    panels: dict[str, list[tuple[Name, Curve]]] = {}
    for variant in range(len(labels)):
        records = run.of(Event.STATS, variant)
        params = (records[-1].get("params") or []) if records else []
        names = param_labels(params)
        for i, param in enumerate(params):
            item = param_label(param, i, names)
            steps, ratios = _series(records, lambda r, i=i: _param_at(r, i).get("update_to_data_log10"))
            if len(labels) == 1:
                single.append(Curve(item.label, steps, ratios))
            else:
                panels.setdefault(item.key, []).append((item, Curve(labels[variant], steps, ratios, color=variant)))
    return FigureSpec(
        name,
        "update:data ratio (log10)",
        [Panel("", single)] if single else [_by_depth(named) for named in panels.values()],
        "step",
        "log10(update std / data std)",
        note=note,
        hline=UPDATE_TO_DATA_TARGET,
        hline_label="−3: these ratios should be ~1e-3",
    )


def _param_at(record: Mapping, position: int) -> Mapping:
    params = record.get("params") or []
    return params[position] if position < len(params) else {}


def _loss(run: Run, name: str, note: str) -> FigureSpec:
    """The minibatch loss (mean between stats records) over steps, log scale, with the evaluations."""
    labels = run.labels
    single = len(labels) == 1
    ended = {variant_of(r): r.get("step") for r in run.of(Event.VARIANT_END)}
    curves, kept = [], []  # kept: the losses of the variants still training, which set the y range
    for variant, label in enumerate(labels):
        records = run.of(Event.STATS, variant)
        own = []
        if records:
            steps, losses = _series(records, lambda r: r.get("loss_window", r.get("loss")))
            line = "minibatch loss (mean since the previous record)" if single else label
            if variant in ended:
                line += f" ✖ diverged @{ended[variant]} (off scale)"
            own.append(Curve(line, steps, losses, color=0 if single else variant))
        own += _evaluations(run, variant, "" if single else f"{label} · ")
        curves += own
        if variant not in ended:
            kept += [curve.y for curve in own]
    title = "loss (log scale) and evaluations"
    ylim = _log_range(kept) if ended and kept else None
    return FigureSpec(name, title, [Panel("", curves)], "step", "loss", note=note, log_y=True, ylim=ylim)


def _log_range(values: list[np.ndarray]) -> tuple[float, float] | None:
    """A log axis's limits around the finite positive values, with a margin of 5% of the span."""
    joined = np.concatenate(values)
    joined = joined[np.isfinite(joined) & (joined > 0)]
    if not joined.size:
        return None
    lo, hi = np.log10(joined.min()), np.log10(joined.max())
    pad = max(hi - lo, 0.02) * 0.05
    return float(10 ** (lo - pad)), float(10 ** (hi + pad))


def _evaluations(run: Run, variant: int, prefix: str) -> list[Curve]:
    """A variant's train and val evaluations as markers: train filled circles, val hollow squares.

    A single run colours them apart from the loss line (palette 1 and 2); a compare's are its variant's colour.
    """
    curves = []
    for k, split in enumerate(("train", "val")):
        points = [(e["step"], number(e.get(split))) for e in run.of(Event.EVAL, variant)]
        points = [(step, loss) for step, loss in points if loss is not None]
        if points:
            x, y = (np.array(column, dtype=float) for column in zip(*points))
            colour = variant if prefix else 1 + k
            label = f"{prefix}{split} eval (last {y[-1]:.4f})"
            curves.append(Curve(label, x, y, color=colour, marker="os"[k], filled=k == 0))
    return curves
