"""makemore-tui: train makemore part 3's deep MLP and watch its insides live in the terminal.

One import name for everything the project installs. The repository keeps its folders at the top
(`core/`, `data/`, `tui/`, `plot/`); the wheel maps them to `makemore_tui.core`, `makemore_tui.data`,
`makemore_tui.tui` and `makemore_tui.plot` (pyproject.toml's `package-dir`).

Importing this package imports nothing else: no torch, no Textual. Public names are loaded on first
use (PEP 562 `__getattr__`), so a GPU box with only torch can use them.
"""

from __future__ import annotations

import importlib
from pathlib import Path

__version__ = "0.2.0"

_HERE = Path(__file__).resolve().parent
if not (_HERE / "core").is_dir() and (_HERE.parent / "core" / "__init__.py").is_file():
    # A checkout, not installed: the subpackages are the repository's top-level folders.
    __path__.append(str(_HERE.parent))  # noqa: F821 (a package's __path__)

# public name -> the module that defines it, imported on first use
_LAZY: dict[str, str] = {"Monitor": "makemore_tui.core.monitor", "MonitorError": "makemore_tui.core.monitor_parts"}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'makemore_tui' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
