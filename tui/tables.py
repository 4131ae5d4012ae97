"""The lecture's printed statistics as text: one run's tables, a compare's side by side, sample names.

Pure text over records (core/records.py), for headless mode; nothing here needs Textual or Rich.
Undefined numbers (None in a record: a ratio over a zero std, a diverged loss) show as `–`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from makemore_tui.core.evaluate import CUT_MARK
from makemore_tui.core.health import layer_name, param_labels, param_names
from makemore_tui.core.summary import TABLE_WIDTH
from makemore_tui.core.text import printable
from makemore_tui.core.values import is_number

UNDEFINED = "–"  # how a number the record leaves undefined (None) is shown
LABEL_WIDTH = 16  # the row-label column of a compare table ("  W1 (100, 100)")
CELL_WIDTH = 8  # the narrowest number column: "1.23e-03"
GAP = 2  # spaces between columns


def number(value, spec: str) -> str:
    """`value` formatted with `spec`, or `–` when it is not a finite number."""
    return format(value, spec) if is_number(value) else UNDEFINED


def quoted_names(names: Sequence, cut: Sequence | None = None) -> str:
    """Sampled names, each in double quotes so spaces and empty names show, escaped for a terminal.

    A backslash or quote inside a name is escaped (`\\\\`, `\\"`), then every control or invisible
    character (`\\x1b`, `\\u202e`): the text reads back unambiguously and cannot drive the terminal.
    A name the sampler cut at its length cap (`cut[i]` true) is followed by `…`.
    """
    cut = cut if isinstance(cut, list) else []
    shown = []
    for i, name in enumerate(names):
        text = printable(str(name).replace("\\", "\\\\").replace('"', '\\"'))
        mark = CUT_MARK if i < len(cut) and cut[i] is True else ""
        shown.append(f'"{text}"{mark}')
    return " ".join(shown)


# ---- one run: the lecture's tables ------------------------------------------------------------


def lecture_tables(stats: Mapping) -> list[str]:
    """The lecture's printed statistics of one stats record: activations, gradients, weights.

    Layers are named by depth (L1 first) with the lecture's layer-list index beside them;
    weights by name (C the embedding, then W1, W2, …) and shape.
    """
    layers = [layer for layer in stats.get("layers") or [] if isinstance(layer, Mapping)]
    params = [param for param in stats.get("params") or [] if isinstance(param, Mapping)]
    lines = ["activations:"]
    for i, layer in enumerate(layers):
        lines.append(
            f"  {_layer_label(layer, i)}: mean {number(layer.get('mean'), '+.2f')}, "
            f"std {number(layer.get('std'), '.2f')}, saturated: {number(layer.get('saturated_pct'), '.2f')}%"
        )
    lines.append("gradients:")
    for i, layer in enumerate(layers):
        lines.append(
            f"  {_layer_label(layer, i)}: mean {number(layer.get('grad_mean'), '+f')}, "
            f"std {number(layer.get('grad_std'), 'e')}"
        )
    lines.append("weights:")
    names = param_labels(params)
    named = any(isinstance(param.get("name"), str) for param in params)
    width = max([3, *map(len, names)]) + named  # a --model net's long names keep a space before the shape
    for name, param in zip(names, params):
        lines.append(
            f"  {name:<{width}s}{_shape(param):>10s} | mean {number(param.get('grad_mean'), '+f')} | std "
            f"{number(param.get('grad_std'), 'e')} | grad:data ratio {number(param.get('grad_to_data'), 'e')} | "
            f"update:data log10 {number(param.get('update_to_data_log10'), '+.2f')}"
        )
    return lines


def _layer_label(layer: Mapping, position: int) -> str:
    index, name, kind = layer.get("index"), layer.get("name"), layer.get("kind")
    if isinstance(name, str) and isinstance(kind, str):  # a --model net: its own name for the layer, and its kind
        return f"{layer_name(layer, position)} ({printable(name)}, {printable(kind)})"
    return f"{layer_name(layer, position)} (layer {index if isinstance(index, int) else '?'})"


def _shape(param: Mapping) -> str:
    shape = param.get("shape")
    return str(tuple(shape)) if isinstance(shape, list) else "?"


# ---- a compare: layer rows × variant columns --------------------------------------------------

# (section head, where the value lives, format): the lecture's numbers worth setting side by side
_LAYER_SECTIONS = (
    ("saturated %", "saturated_pct", ".1f"),
    ("std", "std", ".2f"),
    ("grad std", "grad_std", ".2e"),
)


def compare_tables(
    stats: Sequence[Mapping | None],
    labels: Sequence[str],
    width: int = TABLE_WIDTH,
    evals: Sequence[Mapping | None] | None = None,
    layers: bool = True,
) -> list[str]:
    """The lecture's statistics of every variant side by side: rows are layers, columns variants.

    `stats[k]`/`evals[k]`: variant k's stats and eval records (None for a variant without one,
    e.g. one that diverged: its column shows `–`). Rows: the minibatch loss, the eval's train and
    val loss when given, then (with `layers`) per layer saturated %, std and grad std, then per
    weight the update:data ratio (log10). Columns are headed by the variant labels when they fit in `width`;
    else by numbers `#1…` with a legend above; when even those do not fit, the variants are split
    over several tables of the same rows.
    """
    rows = _loss_rows(stats, evals) + (_statistics_rows(stats) if layers else [])
    names = [printable(label) or f"#{k + 1}" for k, label in enumerate(labels)]
    cell = max([CELL_WIDTH, *map(len, names)])
    if LABEL_WIDTH + len(names) * (cell + GAP) <= width:
        return _grid(rows, names, range(len(names)), cell)
    heads = [f"#{k + 1}" for k in range(len(names))]
    lines = legend(labels, width)
    per_table = max(1, (width - LABEL_WIDTH) // (CELL_WIDTH + GAP))
    for start in range(0, len(heads), per_table):
        lines += _grid(rows, heads, range(start, min(start + per_table, len(heads))), CELL_WIDTH)
    return lines


def _loss_rows(stats: Sequence[Mapping | None], evals: Sequence[Mapping | None] | None) -> list:
    """(label, one cell per variant) rows: the minibatch loss, and the eval's when given."""
    rows: list[tuple[str, list[str] | None]] = [("loss", [number(_get(s, "loss"), ".4f") for s in stats])]
    if evals is not None:
        rows.append(("train loss", [number(_get(e, "train"), ".4f") for e in evals]))
        rows.append(("val loss", [number(_get(e, "val"), ".4f") for e in evals]))
    return rows


def _statistics_rows(stats: Sequence[Mapping | None]) -> list:
    """(label, cells or None for a section head) rows of the layers' and weights' statistics."""
    rows: list[tuple[str, list[str] | None]] = []
    layer_lists = [_entries(s, "layers") for s in stats]
    depth = max(map(len, layer_lists), default=0)
    for head, key, spec in _LAYER_SECTIONS:
        rows.append((head, None))
        for i in range(depth):
            rows.append(
                (f"  {_compare_layer_label(layer_lists, i)}", [_cell(layers, i, key, spec) for layers in layer_lists])
            )
    param_lists = [_entries(s, "params") for s in stats]
    count = max(map(len, param_lists), default=0)
    rows.append(("update:data log10", None))
    for i, name in enumerate(param_names(count)):
        named = [p[i]["name"] for p in param_lists if i < len(p) and isinstance(p[i].get("name"), str)]
        name = printable(named[0]) if named else name  # a --model net's own name for the weight
        rows.append((f"  {name}", [_cell(params, i, "update_to_data_log10", "+.2f") for params in param_lists]))
    return rows


def _get(record: Mapping | None, key: str):
    return record.get(key) if isinstance(record, Mapping) else None


def _entries(record: Mapping | None, key: str) -> list[Mapping]:
    entries = _get(record, key)
    return [entry for entry in entries if isinstance(entry, Mapping)] if isinstance(entries, list) else []


def _cell(entries: list[Mapping], i: int, key: str, spec: str) -> str:
    return number(entries[i].get(key), spec) if i < len(entries) else UNDEFINED


def _compare_layer_label(layer_lists: list[list[Mapping]], i: int) -> str:
    """L1, with the lecture's list index beside it when every variant shares it (BN on and off do not)."""
    layers = [layers[i] for layers in layer_lists if i < len(layers)]
    name = layer_name(layers[0], i) if layers else f"L{i + 1}"
    indices = {layer.get("index") for layer in layers}
    index = indices.pop() if len(indices) == 1 else None
    return f"{name} (layer {index})" if isinstance(index, int) else name


def _grid(rows: list, heads: Sequence[str], columns: range, cell: int) -> list[str]:
    """The rows with the given variant columns, numbers right-aligned under right-aligned heads."""
    gap = " " * GAP
    lines = [" " * LABEL_WIDTH + "".join(gap + heads[k].rjust(cell) for k in columns)]
    for label, cells in rows:
        if cells is None:
            lines.append(label)
        else:
            lines.append(label.ljust(LABEL_WIDTH) + "".join(gap + cells[k].rjust(cell) for k in columns))
    return [line.rstrip() for line in lines]


def legend(labels: Sequence[str], width: int = TABLE_WIDTH) -> list[str]:
    """`variants:  #1 gain 0.5  #2 gain 1 …` wrapped to `width`, each entry whole where it fits (else cut with …)."""
    head = "variants:"
    lines, line = [], head
    for k, label in enumerate(labels):
        entry = f"#{k + 1} {printable(label)}"
        if len(line) + 2 + len(entry) > width and line.strip():
            lines.append(line)
            line = " " * len(head)
        line += "  " + entry
    lines.append(line)
    return [text if len(text) <= width else text[: width - 1] + CUT_MARK for text in lines]
