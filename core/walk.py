"""Find the activation layers, the named tensors and the mode switches of any network by walking it.

A network is whatever a learner wrote: the part 3 notebook's `(C, layers)`, part 5's from-scratch
`Sequential` of objects holding tensors and layers, a `torch.nn.Module`, or a mix. The walk goes
through layer lists (list, tuple, dict values) and attributes holding layer objects, recursively,
keeping a visited set (a cycle, a layer used twice), skipping tensors (it notes their names),
objects of the standard library, torch and numpy, private attributes, and anything past
`max_depth`. A `torch.nn.Module` is walked through `named_modules()` (registration order).
Objects are listed in forward order where it is known: list order, then attribute order.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import torch

from makemore_tui.core.kinds import kind_of

MAX_DEPTH = 8  # attribute / list levels below the model the walk looks into
_SKIPPED_ROOTS = frozenset(sys.stdlib_module_names) | {"torch", "numpy", "builtins"}


@dataclass(frozen=True)
class Found:
    """One activation layer found by the walk."""

    name: str  # its path from the model: `layers.4`, `blocks.0.act`
    kind: str  # core.kinds: tanh, relu, gelu, sigmoid, …
    layer: object  # the layer object
    module: bool  # a torch.nn.Module (read through a forward hook), else from-scratch (read through `.out`)
    index: int  # its position in the innermost list holding it (the lecture's 2, 5, 8, …), else its order


@dataclass
class Walk:
    """What one walk found."""

    layers: list[Found] = field(default_factory=list)  # activation layers, forward order
    tensor_names: dict[int, str] = field(default_factory=dict)  # id(tensor) -> its path (first seen)
    switches: list[object] = field(default_factory=list)  # from-scratch objects with a `training` attribute
    modules: list[torch.nn.Module] = field(default_factory=list)  # top-level nn.Modules met (train()/eval())


def _skipped(obj: object) -> bool:
    root = (type(obj).__module__ or "").split(".")[0]
    return root in _SKIPPED_ROOTS and not isinstance(obj, torch.nn.Module)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def walk(model: object, max_depth: int = MAX_DEPTH) -> Walk:
    """Walk `model`; see the module's docstring. Never calls the model."""
    found = Walk()
    seen: set[int] = set()

    def visit(obj: object, path: str, depth: int, index: int | None) -> None:
        if isinstance(obj, torch.Tensor):
            found.tensor_names.setdefault(id(obj), path or "tensor")
            return
        if id(obj) in seen or depth > max_depth or obj is None or isinstance(obj, (str, bytes, int, float)):
            return
        seen.add(id(obj))
        if isinstance(obj, torch.nn.Module):
            _visit_module(obj, path, found, seen)
            return
        if isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj):
                visit(item, _join(path, str(i)), depth + 1, i)
            return
        if isinstance(obj, dict):
            for key, item in obj.items():
                if isinstance(key, str):
                    visit(item, _join(path, key), depth + 1, None)
            return
        if _skipped(obj) or callable(obj) and not hasattr(obj, "__dict__"):
            return
        kind = kind_of(obj, scratch=True)
        if kind is not None:
            found.layers.append(Found(path, kind, obj, False, index if index is not None else len(found.layers)))
        if isinstance(getattr(obj, "training", None), bool):
            found.switches.append(obj)
        for name, value in _attributes(obj):
            visit(value, _join(path, name), depth + 1, None)

    visit(model, "", 0, None)
    return found


def _attributes(obj: object) -> list[tuple[str, object]]:
    """An object's public instance attributes, in assignment order (none for a class or a function)."""
    if isinstance(obj, type) or not hasattr(obj, "__dict__"):
        return []
    try:
        items = list(vars(obj).items())
    except TypeError:
        return []
    return [(name, value) for name, value in items if not name.startswith("_")]


def _visit_module(module: torch.nn.Module, path: str, found: Walk, seen: set[int]) -> None:
    """A torch.nn.Module: its activation submodules (registration order) and named parameters and buffers."""
    found.modules.append(module)
    position: dict[int, int] = {}  # a child's position in its parent (nn.Sequential / ModuleList numbering)
    for parent in module.modules():
        for i, child in enumerate(parent.children()):
            position.setdefault(id(child), i)
    for name, sub in module.named_modules(prefix=path):
        seen.add(id(sub))
        kind = kind_of(sub, scratch=False)
        if kind is not None:
            found.layers.append(Found(name or "module", kind, sub, True, position.get(id(sub), len(found.layers))))
    for name, tensor in [*module.named_parameters(prefix=path), *module.named_buffers(prefix=path)]:
        found.tensor_names.setdefault(id(tensor), name)
