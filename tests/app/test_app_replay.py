"""Replay: a recorded log (torn last line, bad records, unknown events) on the same screen, keys move through it."""

from __future__ import annotations

import json

import pytest

from makemore_tui.tui.app import MakemoreApp, run_replay
from makemore_tui.tui.feed import Seek, SeekTo, TogglePause
from makemore_tui.tui.replay import ReplayFeed
from tests.app.helpers import FAST_HZ, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run

NO_BN = SMALL.replace(batchnorm=False)


@pytest.fixture
def run_log(tmp_path):
    """Two runs as the run log holds them (no satmaps), an unknown event, a record with a
    malformed step, a torn last line."""
    records = recorded_run(SMALL, satmap=False) + [{"event": "from_the_future", "run": 1, "x": 1}]
    records += recorded_run(NO_BN, run=2, satmap=False)
    records[1]["new_field"] = {"nested": [1, 2]}
    path = tmp_path / "run.jsonl"
    lines = [json.dumps(record) for record in records]
    lines.insert(5, json.dumps(dict(records[3], step="x")))  # used to crash the replay
    path.write_text("\n".join(lines) + "\n" + lines[1][:40])  # killed mid-write
    return path


def events(batch) -> list[str]:
    return [record["event"] for record in batch.records]


def test_the_feed_skips_bad_lines_and_hands_out_records_by_stats_position(run_log):
    feed = ReplayFeed.load(run_log)
    assert feed.skipped == 2 and "2 records skipped (malformed)" in feed.describe()
    assert feed.count == 22 and feed.position == 21  # 11 stats per run; opens at the end
    assert feed.poll() == (feed.records, False) and events(feed.poll()) == []  # the whole log once
    feed.send(SeekTo("start"))
    batch = feed.poll()
    assert batch.reset and events(batch) == ["run_start", "stats", "progress"]
    feed.send(Seek(1))
    batch = feed.poll()
    assert not batch.reset and events(batch) == ["stats", "progress"]
    feed.send(Seek(99))
    assert events(feed.poll())[-1] == "run_end" and feed.position == 21


def test_playing_advances_on_each_poll_and_stops_at_the_end(run_log):
    feed = ReplayFeed.load(run_log)
    feed.poll()
    feed.send(TogglePause())  # at the end: plays again from the start
    assert feed.playing and feed.poll().reset and feed.position == 0
    assert feed.describe() == "record 1/22 · run 1/2 ▶ playing ×1 · 2 records skipped (malformed)"
    steps = [feed.position for _ in range(30) if not feed.poll().reset]
    assert steps[0] == 1 and feed.position == feed.last and not feed.playing


@run_async
async def test_replay_opens_at_the_end_and_moves_with_arrows_home_and_end(run_log):
    app = MakemoreApp(ReplayFeed.load(run_log), refresh_hz=FAST_HZ)
    async with app.run_test(size=(120, 40)) as pilot:
        text = await wait_for_text(pilot, app, "record 22/22")
        assert "✔ finished run 2" in text and "record 22/22 · run 2/2 · 2 records skipped (malformed)" in text
        assert "run 1 (BN on)" in text  # the first run is the faint A/B reference, named by what differs
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
    app = MakemoreApp(ReplayFeed.load(run_log))  # 4 polls a second: 22 records play in 5 s
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("home", "space")
        assert "record 3/22 · run 1/2 ▶ playing" in await wait_for_text(pilot, app, "record 3/22")  # plays on the timer
        await pilot.press("space")
        paused = screen_text(app).split("record ", 1)[1].split("/", 1)[0]
        await pilot.press("b", "g", "r", "n", "plus", "e", "s")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert f"record {paused}/22" in text and "▶ playing" not in text
        assert "training keys are off" in text
        footer = text.splitlines()[-1]
        assert "BN" not in footer and "←→ move" in footer and "home first" in footer


def test_run_replay_refuses_a_missing_or_empty_log(tmp_path, capsys):
    assert run_replay(tmp_path / "nope.jsonl") == 2
    empty = tmp_path / "empty.jsonl"
    empty.write_text("not json\n")
    assert run_replay(empty) == 2
    assert "no run-log records (1 malformed line skipped)" in capsys.readouterr().err
