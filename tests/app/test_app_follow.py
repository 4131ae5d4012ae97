"""`replay --follow` (issue 18): the app on a log the test grows, live; control through a socket the test serves."""

from __future__ import annotations

import json
import os

import pytest

from makemore_tui.core.control import ControlServer
from makemore_tui.core.runlog import RunLog
from makemore_tui.tui.app import MakemoreApp
from makemore_tui.tui.cli import main
from makemore_tui.tui.follow import FollowFeed
from tests.app.helpers import FAST_HZ, live_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, recorded_run

RECORDS = recorded_run(SMALL, satmap=False)  # run_start, stats/progress every 100 steps, eval, samples, run_end
STATS_AT = [i for i, record in enumerate(RECORDS) if record["event"] == "stats"]


def write(log: RunLog, records: list[dict]) -> None:
    for record in records:
        log.write(record)


@run_async
async def test_a_growing_log_shows_live_and_keys_look_back_and_return(tmp_path):
    path = tmp_path / "run.jsonl"
    log = RunLog(path)  # the writer: another process in life, the test here
    write(log, RECORDS[: STATS_AT[3]])  # run_start and steps 0, 100, 200
    app = MakemoreApp(FollowFeed(path), refresh_hz=FAST_HZ)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            text = await wait_for_text(pilot, app, "step 200/1,000")
            assert "● live" in text and "read-only" in text
            write(log, RECORDS[STATS_AT[3] : STATS_AT[6]])  # the writer goes on: steps 300-500
            assert "step 500/1,000" in await wait_for_text(pilot, app, "step 500/1,000")
            await pilot.press("left", "left")
            text = await wait_for_text(pilot, app, "2 records behind")
            assert "step 300/1,000" in text
            write(log, RECORDS[STATS_AT[6] : STATS_AT[7]])  # step 600 comes while looking back: the cursor stays
            text = await wait_for_text(pilot, app, "3 records behind")
            assert "step 300/1,000" in text
            await pilot.press("end")
            assert "step 600/1,000" in await wait_for_text(pilot, app, "● live")
            await pilot.press("space")
            text = screen_text(app)
            assert "read-only: its writer offers no control" in text
            await pilot.press("n")
            assert "read-only" in screen_text(app)
            write(log, RECORDS[STATS_AT[7] :])  # to its run_end
            assert "finished" in await wait_for_text(pilot, app, "finished")
    finally:
        log.close()


@run_async
async def test_a_log_not_there_yet_is_waited_for_and_a_truncated_one_said(tmp_path):
    path = tmp_path / "later.jsonl"
    app = MakemoreApp(FollowFeed(path), refresh_hz=FAST_HZ)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "later.jsonl to appear" in await wait_for_text(pilot, app, "to appear")
        path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[: STATS_AT[4]]))
        assert "step 300/1,000" in await wait_for_text(pilot, app, "step 300/1,000")
        path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[: STATS_AT[2]]))  # shorter: truncated
        text = await wait_for_text(pilot, app, "truncated")
        assert "truncated: reading it again" in text
        assert "step 100/1,000" in await wait_for_text(pilot, app, "step 100/1,000")


@run_async
async def test_a_writer_that_died_is_said(tmp_path, monkeypatch):
    monkeypatch.setattr("makemore_tui.core.tail.WRITER_CHECK_SECONDS", 0.0)
    path = tmp_path / "run.jsonl"
    log = RunLog(path)
    write(log, RECORDS[: STATS_AT[2]])
    app = MakemoreApp(FollowFeed(path), refresh_hz=FAST_HZ)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "step 100/1,000")
        log.close()  # released with no run_end: killed
        text = await wait_for_text(pilot, app, "writer died")
        assert "the writer died without a run_end" in text
        header = text.splitlines()[0]  # not "▶ training … ETA": the run ended, in an error
        assert "✖ error" in header and "▶ training" not in header and "● live" not in text
        assert "ETA" not in header and "steps/s" not in header  # a dead writer's speed is not the run's now
    assert not path.read_text().count("run_end")  # said on screen only: the log is never written


class Writer:
    """A training loop's side of control: each command answered with the record the loop would write."""

    def __init__(self, path):
        self.log = RunLog(path)
        self.commands: list[str] = []
        self.step = 200
        self.server = ControlServer(path, self.handle)
        write(self.log, [dict(RECORDS[0], control=str(self.server.path)), *RECORDS[1 : STATS_AT[3]]])

    def handle(self, command: str) -> str:
        self.commands.append(command)
        if command in ("pause", "resume"):
            self.log.write({"event": "state", "run": 1, "step": self.step, "paused": command == "pause"})
        elif command == "step":
            self.step += 100
            write(self.log, RECORDS[STATS_AT[self.step // 100] : STATS_AT[self.step // 100] + 1])
        return ""

    def close(self) -> None:
        self.server.close()
        self.log.close()


@pytest.fixture
def writer(tmp_path):
    """A writer serving control on tmp_path/run.jsonl, and the app following that log."""
    writer = Writer(tmp_path / "run.jsonl")
    yield writer, MakemoreApp(FollowFeed(writer.log.path), refresh_hz=FAST_HZ)
    writer.close()


@run_async
async def test_space_n_space_pause_step_once_and_resume_the_writer_and_q_leaves_it_alone(writer):
    writer, app = writer
    async with app.run_test(size=(120, 40)) as pilot:
        text = await wait_for_text(pilot, app, "step 200/1,000")
        assert "control" in text and "read-only" not in text
        await pilot.press("n")
        assert "press space first" in screen_text(app) and writer.commands == []
        await pilot.press("space")
        assert "paused" in await wait_for_text(pilot, app, "⏸ paused")
        await pilot.press("n")
        assert "step 300/1,000" in await wait_for_text(pilot, app, "step 300/1,000")
        await pilot.press("space")
        await wait_for_text(pilot, app, "▶ training")
        await pilot.press("e")  # statistics now: the writer's next step records them
        assert writer.commands == ["pause", "step", "resume", "stats"]
        await pilot.press("q")
    assert writer.commands == ["pause", "step", "resume", "stats"]  # quitting sends nothing: no stop
    assert os.path.exists(writer.server.path)  # and deletes nothing


@run_async
async def test_shift_x_asks_the_writer_to_stop_and_is_refused_where_nothing_is_followed(writer):
    """X, then X again, sends stop to a followed log's writer (a Monitor's loop sees stop_requested); the app's own
    training has q for that, so X there says so."""
    writer, app = writer
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "step 200/1,000")
        await pilot.press("X")  # once: asked to confirm, nothing sent
        await wait_for_text(pilot, app, "X again to stop the training")
        assert writer.commands == []
        await pilot.press("X")
        await wait_for_text(pilot, app, "stop sent")
        assert writer.commands == ["stop"]
    live, _ = live_app(respond=False)
    async with live.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("X")
        assert "X: for a followed log (replay --follow); q ends this run" in screen_text(live)


@run_async
async def test_quitting_the_viewer_while_paused_resumes_the_training(writer):
    writer, app = writer
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "step 200/1,000")
        await pilot.press("space")
        await wait_for_text(pilot, app, "⏸ paused")
        await pilot.press("q")
    app.feed.close()  # run_app closes the feed after the app
    for _ in range(50):
        if writer.commands[-1:] == ["resume"]:
            break
        await __import__("asyncio").sleep(0.1)
    assert writer.commands == ["pause", "resume"]


def test_follow_refuses_a_path_that_is_not_a_regular_file_in_one_line(tmp_path, capsys):
    assert main(["replay", str(tmp_path), "--follow"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a regular file" in err
