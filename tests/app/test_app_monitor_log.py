"""A Monitor's log in the app and in plot (issue 18 done-when: `replay` draws it): the example's loop,
a Tanh+ReLU net with Adam, recorded; the screen says what a loop's log has no panel data for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from makemore_tui import Monitor
from makemore_tui.core.hints import FLAGS, Topic
from makemore_tui.core.records import problem
from makemore_tui.core.runlog import load_run_log
from makemore_tui.tui.app import MakemoreApp
from makemore_tui.tui.cli import main
from makemore_tui.tui.replay import ReplayFeed
from makemore_tui.tui.state import ViewState
from tests.app.helpers import FAST_HZ, run_async, screen_text, wait_for_text

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
        assert "1 saturation · tanh/relu layers" in text  # the kinds its records name, not tanh alone
        assert "run 1 (same config)" not in text and "━ run 1" in text  # a loop's only run: nothing to compare
        await pilot.press("question_mark")
        shown = screen_text(app)
        assert "makemore-tui · a training loop watched by Monitor, replayed from" in shown
        await pilot.press("end")  # the panels' help, at the bottom
        shown = screen_text(app)
        assert "log10 of (the optimizer's change).std" in shown and "tanh/relu outputs" in shown, shown


def test_plot_draws_a_monitor_log(monitor_log, tmp_path):
    assert main(["plot", str(monitor_log), "--out", str(tmp_path)]) == 0
    assert list(tmp_path.iterdir())


def test_a_monitor_logs_hints_say_where_in_the_users_code_not_a_flag(tmp_path):
    """A loop watched by Monitor has no --lr: its hint says the fix goes in the user's optimizer."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)  # far too low: update:data ~10^-6.6
    log = tmp_path / "slow.jsonl"
    with Monitor(model, run_log=log, every=1) as monitor:
        for _ in range(5):
            loss = model(torch.randn(16, 8)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            monitor.step(loss)
            optimizer.step()
    view = ViewState(fix_style=FLAGS)  # as replay builds it
    view.apply(load_run_log(log)[0])
    hints = [hint.text for topic in Topic for hint in view.current.hints_for(topic)]
    assert any("raise lr (in your optimizer)" in hint for hint in hints), hints
    assert not any("--" in hint for hint in hints), hints
