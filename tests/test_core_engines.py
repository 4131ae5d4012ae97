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
ENGINE_MODULES = sorted(
    f"makemore_tui.core.engines.{path.stem}" for path in (CORE / "engines").glob("*.py") if path.stem != "__init__"
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(CORE).with_suffix("").parts
    return ".".join(("makemore_tui.core", *(part for part in parts if part != "__init__")))


def _imports(path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `path` imports anywhere: module level, in functions, under TYPE_CHECKING."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found & known


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
    paths = {_module_name(path): path for path in CORE.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}
    for name in graph:  # importing a module runs its package's __init__ first
        package = name.rpartition(".")[0]
        if package in graph:
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
