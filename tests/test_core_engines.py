"""The engines package (core/engines/): imports go one way, each module loads alone, the registry is whole."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from makemore_tui.core.config import ENGINE_NAMES, ConfigError, TrainConfig
from makemore_tui.core.engines.factory import ENGINES, make_engine
from makemore_tui.data import make_splits

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "core"
ENGINES_PACKAGE = "makemore_tui.core.engines"
ENGINE_MODULES = sorted(
    f"makemore_tui.core.engines.{path.stem}" for path in (CORE / "engines").glob("*.py") if path.stem != "__init__"
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(CORE).with_suffix("").parts
    return ".".join(("makemore_tui.core", *(part for part in parts if part != "__init__")))


def _imports(path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """The modules of `known` that `path` imports: (when it is imported, module level and TYPE_CHECKING
    blocks included; later, inside functions)."""
    now, later = set(), set()

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
            (later if in_function else now).update(names & known)
        elif isinstance(node, ast.Import):
            (later if in_function else now).update({alias.name for alias in node.names} & known)
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return now, later


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` (module -> modules it imports) as [a, b, …, a], or None when it has none."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return path[path.index(target) :] + [module, target]
            if target not in state and (cycle := visit(target, path + [module])):
                return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module, [])):
            return cycle
    return None


def test_core_imports_go_one_way():
    """No import cycle in core/: none at import time anywhere, and none through an engine module even by a
    function's lazy import (core/engine.py once imported lockstep lazily while lockstep imported it back)."""
    paths = {_module_name(path): path for path in CORE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        now, later = _imports(path, set(paths))
        engine = name.startswith(ENGINES_PACKAGE)
        graph[name] = (now | {target for target in later if engine or target.startswith(ENGINES_PACKAGE)}) - {name}
        package = name.rpartition(".")[0]  # importing a module runs its package's __init__ first
        if package in paths:
            graph[name].add(package)
    assert "makemore_tui.core.engines.base" in graph["makemore_tui.core.fused"]  # the walk sees the package
    assert import_cycle(graph) is None


def test_the_cycle_finder_finds_a_cycle():
    assert import_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert import_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_each_engine_module_imports_alone():
    """In a fresh interpreter, every engine module imports with no other module of the project loaded first."""
    script = (
        "import importlib, sys\n"
        f"for name in {ENGINE_MODULES!r}:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('makemore_tui')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert len(ENGINE_MODULES) >= 6  # base, variants, lecture, lockstep, graphed, factory


def test_every_engine_name_is_built_and_only_those():
    assert set(ENGINE_NAMES) == set(ENGINES)
    for name in ENGINE_NAMES:
        TrainConfig(engine=name).validate()


@pytest.mark.parametrize(("engine", "built"), [("lecture", "lecture"), ("fused", "fused"), ("auto", "fused")])
def test_make_engine_builds_what_the_config_names(small_words, engine, built):
    splits = make_splits(small_words, 3)
    config = TrainConfig(hidden=8, depth=2, engine=engine, device="cpu")
    made = make_engine([config, config.replace(gain=1.0)], splits.vocab.size, *splits.train, torch.device("cpu"))
    assert made.name == built and made.variants == 2
    assert made.step([config.lr] * 2, keep_stats=False).shape == (2,)


def test_an_engine_no_module_builds_is_refused(small_words):
    splits = make_splits(small_words, 3)
    with pytest.raises(ConfigError, match="--engine must be one of lecture, fused, auto"):
        make_engine([TrainConfig(engine="mine")], splits.vocab.size, *splits.train, torch.device("cpu"))
    with pytest.raises(ConfigError, match="at least one config"):
        make_engine([], splits.vocab.size, *splits.train, torch.device("cpu"))
