"""The trainer thread: commands act, records follow the contract, faults end runs cleanly."""

from __future__ import annotations

import time

import pytest

from makemore_tui.core import commands as cmd
from makemore_tui.core.channel import RecordChannel
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.trainer import Trainer
from tests.conftest import events, run_to_end

TINY = TrainConfig(steps=400, hidden=16, depth=2, stats_every=50, device="cpu")


def wait_for(channel: RecordChannel, seen: list[dict], predicate, timeout: float = 20.0) -> dict:
    """Collect records until one satisfies `predicate`; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = channel.get(timeout=0.1)
        if record is not None:
            seen.append(record)
            if predicate(record):
                return record
    raise AssertionError(f"no matching record within {timeout} s; last: {seen[-3:]}")


def start(config: TrainConfig, words, **kwargs) -> tuple[Trainer, RecordChannel, list[dict]]:
    channel = RecordChannel(maxsize=10**9)
    trainer = Trainer(config, words, channel=channel, **kwargs)
    trainer.start()
    return trainer, channel, []


def test_a_run_records_stats_at_step_zero_the_cadence_and_the_last_step(small_words):
    records = run_to_end(TINY.replace(steps=120, stats_every=50), small_words)
    assert [s["step"] for s in events(records, "stats")] == [0, 50, 100, 119]
    assert records[0]["event"] == "run_start"
    assert [r["event"] for r in records[-3:]] == ["eval", "samples", "run_end"]
    assert records[-1]["reason"] == "finished" and records[-1]["step"] == 120


def test_loss_goes_down(small_words):
    records = run_to_end(TINY.replace(steps=600, stats_every=100, lr=0.1), small_words)
    stats = events(records, "stats")
    assert stats[-1]["loss_window"] < stats[0]["loss"] - 0.5


def test_pause_step_resume_and_lr_change(small_words):
    trainer, channel, seen = start(TINY.replace(steps=100_000), small_words)
    try:
        trainer.send(cmd.Pause())
        paused = wait_for(channel, seen, lambda r: r["event"] == "state" and r["paused"])
        trainer.send(cmd.StepOnce())
        stepped = wait_for(channel, seen, lambda r: r["event"] == "stats" and r.get("preview"))
        # the step taken (index = steps done when paused), then the state after its update: the next step's preview
        assert stepped["step"] == paused["step"] + 1
        time.sleep(0.3)
        assert [r for r in channel.drain() if r["event"] == "stats"] == []  # still paused
        trainer.send(cmd.ScaleLr(0.5))
        state = wait_for(channel, seen, lambda r: r["event"] == "state")
        assert state["lr"] == pytest.approx(TINY.lr / 2)
        trainer.send(cmd.Resume())
        wait_for(channel, seen, lambda r: r["event"] == "state" and not r["paused"])
        wait_for(
            channel,
            seen,
            lambda r: r["event"] == "stats" and r["step"] > stepped["step"] and r["lr"] == pytest.approx(TINY.lr / 2),
        )
    finally:
        assert trainer.close(timeout=5)


def test_evaluate_and_sample_on_command(small_words):
    trainer, channel, seen = start(TINY.replace(steps=100_000), small_words)
    try:
        trainer.send(cmd.Evaluate())
        evaluated = wait_for(channel, seen, lambda r: r["event"] == "eval")
        assert evaluated["train"] > 0 and evaluated["val"] > 0
        trainer.send(cmd.Sample(count=5))
        sampled = wait_for(channel, seen, lambda r: r["event"] == "samples")
        assert len(sampled["names"]) == 5
        alphabet = set("".join(small_words))
        assert all(set(name) <= alphabet for name in sampled["names"])
    finally:
        trainer.close(timeout=5)


def test_rerun_starts_a_new_numbered_run_with_the_new_config(small_words):
    trainer, channel, seen = start(TINY.replace(steps=100_000), small_words)
    try:
        wait_for(channel, seen, lambda r: r["event"] == "stats")
        trainer.send(cmd.Rerun(TINY.replace(steps=100_000, batchnorm=False)))
        ended = wait_for(channel, seen, lambda r: r["event"] == "run_end")
        assert ended["run"] == 1 and ended["reason"] == "stopped"
        started = wait_for(channel, seen, lambda r: r["event"] == "run_start")
        assert started["run"] == 2 and started["config"]["batchnorm"] is False
        stats = wait_for(channel, seen, lambda r: r["event"] == "stats")
        assert stats["run"] == 2 and [layer["index"] for layer in stats["layers"]] == [1, 3]
    finally:
        trainer.close(timeout=5)


def test_quit_stops_the_thread_within_a_second_and_the_log_ends_with_run_end(small_words, tmp_path):
    from makemore_tui.core.runlog import RunLog, read_run_log

    log = RunLog(tmp_path / "run.jsonl")
    trainer, channel, seen = start(TINY.replace(steps=10**6), small_words, run_log=log)
    wait_for(channel, seen, lambda r: r["event"] == "stats")
    asked = time.monotonic()
    assert trainer.close(timeout=1.0), "the trainer thread outlived its second"
    assert time.monotonic() - asked < 1.0
    log.close()
    records = read_run_log(tmp_path / "run.jsonl")
    assert records[-1]["event"] == "run_end" and records[-1]["reason"] == "stopped"
    assert [r["event"] for r in records[-3:]] == ["eval", "samples", "run_end"]


def test_a_diverging_run_ends_diverged_and_a_rerun_still_works(small_words):
    trainer, channel, seen = start(TINY.replace(steps=5000, lr=1000.0, batchnorm=False, stats_every=10), small_words)
    try:
        ended = wait_for(channel, seen, lambda r: r["event"] == "run_end")
        assert ended["reason"] == "diverged" and "lower the learning rate" in ended["message"]
        trainer.send(cmd.Rerun(TINY.replace(steps=50)))
        ended = wait_for(channel, seen, lambda r: r["event"] == "run_end" and r["run"] == 2)
        assert ended["reason"] == "finished"
    finally:
        trainer.close(timeout=5)


def test_an_error_inside_the_trainer_is_recorded_and_does_not_hang(small_words, monkeypatch):
    from makemore_tui.core.engines.lecture import LectureEngine

    def broken_step(self, lr, keep_grads):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(LectureEngine, "step", broken_step)
    trainer, channel, seen = start(TINY.replace(engine="lecture"), small_words)
    try:
        ended = wait_for(channel, seen, lambda r: r["event"] == "run_end")
        assert ended["reason"] == "error" and "injected fault" in ended["message"]
        assert trainer.is_alive()  # waiting for a rerun, not dead and not hung
    finally:
        assert trainer.close(timeout=2)


def test_channel_drops_oldest_stats_but_never_lifecycle_records():
    channel = RecordChannel(maxsize=3)
    channel.put({"event": "run_start"})
    for step in range(10):
        channel.put({"event": "stats", "step": step})
    channel.put({"event": "run_end"})
    items = channel.drain()
    assert items[0]["event"] == "run_start" and items[-1]["event"] == "run_end"
    assert [i["step"] for i in items if i["event"] == "stats"] == [9]
    assert channel.dropped == 9


def test_library_warnings_become_records_not_stderr(small_words, monkeypatch, capfd):
    import warnings

    from makemore_tui.core import trainer as trainer_module

    real_sample = trainer_module.sample_names

    def sample_with_a_warning(*args, **kwargs):
        warnings.warn("std(): degrees of freedom is <= 0", UserWarning, stacklevel=1)
        return real_sample(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "sample_names", sample_with_a_warning)
    saved = warnings.showwarning
    channel, seen = RecordChannel(maxsize=10**9), []
    trainer = Trainer(TINY.replace(steps=20), small_words, channel=channel, exit_when_done=True)
    with trainer.warnings_captured():
        trainer.start()
        warned = wait_for(channel, seen, lambda r: r["event"] == "warning")
        assert trainer.join(timeout=20)
    assert warnings.showwarning is saved
    assert "degrees of freedom" in warned["message"] and warned["run"] == 1
    assert "degrees of freedom" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("lr", "batchnorm", "names_batchnorm"),
    [(10.0, False, True), (30.0, False, True), (100.0, False, False), (1000.0, False, False), (10.0, True, False)],
)
def test_divergence_advice_names_batchnorm_only_where_it_rescues_the_lr(lr, batchnorm, names_batchnorm):
    import torch

    from makemore_tui.core.compare import Variant
    from makemore_tui.core.runstate import RunState, divergence

    config = TrainConfig(lr=lr, batchnorm=batchnorm, steps=1000)
    state = RunState(run=1, variants=[Variant("", config)], device=torch.device("cpu"), uniform_loss=3.3)
    said = divergence(float("nan"), 3.3, 101, state, 0)
    assert f"lower the learning rate (it was {lr:g})" in said
    assert ("or turn BatchNorm on" in said) == names_batchnorm


def test_the_speed_after_a_pause_is_measured_from_the_resume_not_across_the_pause():
    import torch

    from makemore_tui.core.compare import Variant
    from makemore_tui.core.runstate import RunState

    state = RunState(run=1, variants=[Variant("", TINY)], device=torch.device("cpu"))
    state.step, state.progress_time, state.progress_step = 500, 0.0, 400  # the last progress record long ago
    state.set_paused(True)
    assert (state.progress_step, state.progress_time > 0.0) == (500, True)
    state.step, state.progress_time = 501, 0.0  # one `n` while paused, the window left open
    state.set_paused(False)
    assert (state.progress_step, state.progress_time > 0.0) == (501, True)  # the window restarts at the resume
    state.step = 600
    state.set_paused(False)  # no change: the window goes on
    assert state.progress_step == 501


def test_a_rerun_or_a_quit_ends_the_run_with_a_typed_end(small_words):
    """RunState.end is a RunEnd: a rerun's carries the next run (variants, paused), a quit's none."""
    import torch

    from makemore_tui.core.compare import Variant
    from makemore_tui.core.runstate import NextRun, RunEnd, RunState

    trainer = Trainer(TINY, small_words, channel=RecordChannel(maxsize=8))  # not started: commands applied by hand
    state = RunState(run=1, variants=[Variant("", TINY)], device=torch.device("cpu"))
    trainer._apply(cmd.Rerun(config=TINY.replace(gain=3.0), paused=True), state, None, None)
    assert state.end == RunEnd(NextRun((Variant("", TINY.replace(gain=3.0)),), paused=True))
    assert not state.end.quits
    trainer._apply(cmd.Quit(), state, None, None)
    assert state.end == RunEnd(next_run=None) and state.end.quits
