"""A Monitor's log in the app and in plot (issue 18 done-when: `replay` draws it): the example's loop,
a Tanh+ReLU net with Adam, recorded; the screen says what a loop's log has no panel data for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from makemore_tui.core.records import problem
from makemore_tui.core.runlog import load_run_log
from makemore_tui.tui.app import MakemoreApp
from makemore_tui.tui.cli import main
from makemore_tui.tui.replay import ReplayFeed
from tests.app.helpers import FAST_HZ, run_async, wait_for_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def monitor_log(tmp_path_factory) -> Path:
    log = tmp_path_factory.mktemp("monitor") / "my-loop.jsonl"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "watch_my_loop.py"), "--steps", "301", "--run-log", str(log)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return log


def test_the_examples_log_is_whole_with_both_layers_and_finite_update(monitor_log):
    records, skipped = load_run_log(monitor_log)
    assert skipped == 0 and all(problem(record) is None for record in records)
    stats = [r for r in records if r["event"] == "stats"]
    assert [r["step"] for r in stats] == [0, 100, 200, 300]
    assert {layer["kind"] for layer in stats[-1]["layers"]} == {"tanh", "relu"}
    assert all(isinstance(p["update_to_data_log10"], float) for r in stats for p in r["params"])


@run_async
async def test_replay_draws_a_monitor_log_and_says_it_has_no_samples(monitor_log):
    app = MakemoreApp(ReplayFeed.load(monitor_log), refresh_hz=FAST_HZ)
    async with app.run_test(size=(160, 50)) as pilot:
        text = await wait_for_text(pilot, app, "record 4/4")
        assert "finished" in text and "L1" in text and "L2" in text
        assert "no samples: a loop watched by Monitor" in text


def test_plot_draws_a_monitor_log(monitor_log, tmp_path):
    assert main(["plot", str(monitor_log), "--out", str(tmp_path)]) == 0
    assert list(tmp_path.iterdir())
