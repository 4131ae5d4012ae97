"""Replay: a recorded log (torn last line, unknown events) on the same screen, keys move through it."""

from __future__ import annotations

import json

import pytest

from tests.conftest_app import FAST_HZ, run_async, screen_text
from tests.fake_trainer import SMALL, recorded_run
from tui.app import MakemoreApp, run_replay
from tui.replay import ReplayFeed

NO_BN = SMALL.replace(batchnorm=False)


@pytest.fixture
def run_log(tmp_path):
    """Two runs as the run log holds them (no satmaps), an unknown event, a torn last line."""
    records = recorded_run(SMALL, satmap=False) + [{"event": "from_the_future", "run": 1, "x": 1}]
    records += recorded_run(NO_BN, run=2, satmap=False)
    records[1]["new_field"] = {"nested": [1, 2]}
    path = tmp_path / "run.jsonl"
    lines = [json.dumps(record) for record in records]
    path.write_text("\n".join(lines) + "\n" + lines[1][:40])  # killed mid-write
    return path


def test_the_feed_skips_the_torn_line_and_hands_out_records_by_stats_position(run_log):
    feed = ReplayFeed.load(run_log)
    assert feed.count == 22 and feed.position == 21  # 11 stats per run; opens at the end
    assert feed.shown() == feed.records
    reset, records = feed.seek(0)
    assert reset and [r["event"] for r in records] == ["run_start", "stats", "progress"]
    reset, records = feed.seek(1)
    assert not reset and [r["event"] for r in records] == ["stats", "progress"]
    assert feed.seek(99)[1][-1]["event"] == "run_end" and feed.position == 21


@run_async
async def test_replay_opens_at_the_end_and_moves_with_arrows_home_and_end(run_log):
    app = MakemoreApp(replay=ReplayFeed.load(run_log), refresh_hz=FAST_HZ)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "✔ finished run 2" in text and "record 22/22" in text
        assert "run 1 (BN, g 5/3)" in text  # the first run is the faint A/B reference
        assert "live only" in text  # no saturation maps in a run log
        await pilot.press("home")
        text = screen_text(app)
        assert "record 1/22" in text and "run 1 · step 0/1,000" in text
        await pilot.press("right", "right")
        assert "record 3/22" in screen_text(app) and "step 200/1,000" in screen_text(app)
        await pilot.press("pagedown")
        assert "record 13/22" in screen_text(app) and "run 2" in screen_text(app)
        await pilot.press("left")
        assert "record 12/22" in screen_text(app)
        await pilot.press("end")
        assert "record 22/22" in screen_text(app)


@run_async
async def test_replay_plays_with_space_and_ignores_training_keys(run_log):
    app = MakemoreApp(replay=ReplayFeed.load(run_log), refresh_hz=FAST_HZ)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("home", "space")
        for _ in range(60):  # plays on the drain timer
            if app.replay.position > 0:
                break
            await pilot.pause(0.05)
        assert app.replay.position > 0
        await pilot.press("space")
        position = app.replay.position
        await pilot.press("b", "g", "r", "n", "plus", "e", "s")
        await pilot.pause(0.1)
        assert app.replay.position == position and app.trainer is None
        assert "training keys are off" in screen_text(app)
        footer = screen_text(app).splitlines()[-1]
        assert "BN" not in footer and "←→ move" in footer and "home first" in footer


def test_run_replay_refuses_a_missing_or_empty_log(tmp_path, capsys):
    assert run_replay(tmp_path / "nope.jsonl") == 2
    empty = tmp_path / "empty.jsonl"
    empty.write_text("not json\n")
    assert run_replay(empty) == 2
    assert "no run-log records" in capsys.readouterr().err


def test_the_app_needs_exactly_one_source():
    with pytest.raises(ValueError):
        MakemoreApp()
    with pytest.raises(ValueError):
        MakemoreApp(trainer=object(), replay=ReplayFeed([]))
