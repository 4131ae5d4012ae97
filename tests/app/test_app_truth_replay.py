"""Replay navigation: a run at a time ([ ]), a step typed at the `:` prompt, the playing speed (< >)."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from makemore_tui.tui.feed import PlaySpeed, Refused, SeekRun, SeekStep, TogglePause
from makemore_tui.tui.replay import ReplayFeed, parse_step
from tests.app.helpers import replay_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run

NO_BN = SMALL.replace(batchnorm=False)
GAIN_3 = SMALL.replace(batchnorm=False, gain=3.0)


def three_runs() -> list[dict]:
    """Three runs of 11 stats records each (steps 0, 100 … 1000); the second stopped at step 500."""
    second = [r for r in recorded_run(NO_BN, run=2, upto=500, end=False)]
    second.append({"event": "run_end", "run": 2, "step": 500, "reason": "stopped", "seconds": 1.0})
    return recorded_run(SMALL, satmap=False) + second + recorded_run(GAIN_3, run=3, satmap=False)


def where(feed: ReplayFeed) -> tuple[int, int]:
    """(run, step) of the stats record at the cursor."""
    feed.poll()
    record = feed.records[feed._stats_at[feed.position]]
    return record["run"], record["step"]


def test_brackets_move_a_run_at_a_time_to_each_run_end():
    feed = ReplayFeed(three_runs())
    assert where(feed) == (3, 1000) and "run 3/3" in feed.describe()
    assert feed.send(SeekRun(-1)) == "run 2 of 3, at its end" and where(feed) == (2, 500)
    assert feed.send(SeekRun(-1)) == "run 1 of 3, at its end" and where(feed) == (1, 1000)
    with pytest.raises(Refused, match="the first run of the log"):
        feed.send(SeekRun(-1))
    feed.send(SeekRun(2))
    assert where(feed) == (3, 1000)


def test_runs_are_told_apart_by_their_start_even_when_two_processes_both_numbered_theirs_1():
    records = recorded_run(SMALL, satmap=False) + recorded_run(NO_BN, run=1, satmap=False)
    feed = ReplayFeed(records)
    assert feed.run_count == 2 and "run 2/2" in feed.describe()
    feed.send(SeekRun(-1))
    assert feed.position == 10 and "run 1/2" in feed.describe()


def test_a_step_goes_to_the_record_at_or_before_it_in_the_run_at_the_cursor_or_the_run_named():
    feed = ReplayFeed(three_runs())
    assert feed.send(SeekStep(420)) == "run 3 of 3, step 400 (the record at or before 420)"
    assert where(feed) == (3, 400)
    assert feed.send(SeekStep(900, run=2)) == "run 2 of 3, step 500 (the record at or before 900)"
    assert feed.send(SeekStep(0, run=1)) == "run 1 of 3, step 0" and where(feed) == (1, 0)
    with pytest.raises(Refused, match="holds 3 runs: give RUN:STEP with RUN 1…3"):
        feed.send(SeekStep(0, run=4))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1200", SeekStep(1200)),
        ("1,200", SeekStep(1200)),
        ("12k", SeekStep(12000)),
        ("50%", SeekStep(0, None, 50.0)),
        ("2:300", SeekStep(300, 2)),
    ],
)
def test_the_prompt_reads_steps_as_people_write_them(text, parsed):
    assert parse_step(text) == parsed


def test_a_share_is_of_the_steps_the_run_recorded_not_of_its_planned_length():
    feed = ReplayFeed(three_runs())  # run 2 planned 1000 steps, stopped at 500
    assert feed.send(SeekStep(0, 2, 50.0)) == "run 2 of 3, step 200 (the record at or before 250)"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("abc", "'abc' is not a step"),
        ("x:5", "'x' is not a run number"),
        ("-5", "a step is 0 or more"),
        ("inf%", "a share of the run is 0% … 100%"),
        ("nan%", "a share of the run is 0% … 100%"),
        ("", "'' is not a step"),
    ],
)
def test_the_prompt_says_what_is_wrong_in_one_line(text, error):
    with pytest.raises(ValueError, match=error):
        parse_step(text)


def test_speed_doubles_and_halves_within_its_bounds_and_play_moves_by_it():
    records = []
    for run in range(1, 25):  # 24 runs × 11 stats = 264 positions: 1 position a tick at ×1
        records += recorded_run(SMALL, run=run, satmap=False)
    feed = ReplayFeed(records)
    feed.send(TogglePause())  # from the start
    feed.poll()
    assert feed.send(PlaySpeed(2.0)) == "play speed ×2" and feed.speed == 2
    feed.poll()
    assert feed.position == 2 and "▶ playing ×2" in feed.describe()
    feed.send(PlaySpeed(0.25))
    positions = []
    for _ in range(4):
        feed.poll()
        positions.append(feed.position)
    assert feed.speed == Fraction(1, 2) and positions == [2, 3, 3, 4]  # half a record a tick
    for _ in range(2):
        feed.send(PlaySpeed(0.5))
    with pytest.raises(Refused, match="already at the slowest speed, ×1/8"):
        feed.send(PlaySpeed(0.5))


@run_async
async def test_replay_keys_move_by_run_by_a_typed_step_and_change_the_speed():
    app = replay_app(three_runs())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "record 28/28")
        await pilot.press("left_square_bracket")
        text = screen_text(app)
        assert "run 2 · step 500/1,000 · record 17/28 · run 2/3" in text and "run 2 of 3, at its end" in text
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"1:250", "enter")
        text = await wait_for_text(pilot, app, "record 3/28")
        assert "run 1 · step 200/1,000 · record 3/28 · run 1/3" in text
        assert "run 1 of 3, step 200 (the record at or before 250)" in text
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"soon", "enter")
        await pilot.pause()
        assert "go to step: 'soon' is not a step" in screen_text(app) and "record 3/28" in screen_text(app)
        await pilot.press("colon", "escape")  # escape leaves the prompt, the cursor stays
        await pilot.pause()
        assert "record 3/28" in screen_text(app) and "go to step:" not in screen_text(app).splitlines()[-1]
        await pilot.press("greater_than_sign", "greater_than_sign")
        assert "record 3/28 · run 1/3 · speed ×4" in screen_text(app)
        await pilot.press(*["less_than_sign"] * 4, "space")  # ×1/4: a record every 4 ticks, seen playing
        await wait_for_text(pilot, app, "▶ playing ×1/4")
        footer = screen_text(app).splitlines()[-1]
        assert "[] run" in footer and ": step" in footer and "<> speed" in footer


@run_async
async def test_a_replays_hints_name_the_flags_that_fix_a_new_run_not_the_training_keys():
    app = replay_app(recorded_run(GAIN_3))  # no BatchNorm, gain 3: init and training hints
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "step 1,000")
        await pilot.pause()
        hints = [hint.text for hint in app.view.current.hints]
        assert hints and any("BatchNorm on (--batchnorm)" in text for text in hints)
        assert not [text for text in hints if re.search(r"\((g|b|i|o|r|-|\+)( ×\d+)?\)", text)]
