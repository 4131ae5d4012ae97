"""core/monitor.py: `Monitor` on a user's own loop (issue 18 items 1, 2, 7), no Textual."""

from __future__ import annotations

import json
import math
import os
import threading
import warnings

import pytest
import torch
from torch import nn

from makemore_tui import Monitor, MonitorError
from makemore_tui.core.control import ControlClient, Refused
from makemore_tui.core.records import problem
from makemore_tui.core.runlog import RunLog, read_run_log


def net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))


DATA = (torch.randn(256, 10, generator=torch.Generator().manual_seed(1)), torch.arange(256) % 3)


def train(model, monitor, steps: int, optimizer, eval_every: int = 0, skip: set[int] = frozenset()):
    """The user's loop: forward, backward, monitor.step, optimizer.step (not on `skip` steps)."""
    X, Y = DATA
    for i in range(steps):
        loss = nn.functional.cross_entropy(model(X), Y)
        if eval_every and i % eval_every == 0:
            with torch.no_grad():
                model(X * 100)  # an eval forward after the step's own: saturates tanh, must not count
        optimizer.zero_grad()
        loss.backward()
        monitor.step(loss)
        if i not in skip:
            optimizer.step()


def lines(path) -> list[dict]:
    return [json.loads(line) for line in open(path)]


def test_adam_on_a_tanh_relu_net_leaves_a_log_problem_accepts_with_both_layers_and_finite_update(tmp_path):
    model, path = net(), tmp_path / "mine.jsonl"
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    with Monitor(model, run_log=path, every=5, optimizer=optimizer, total_steps=21) as monitor:
        train(model, monitor, 21, optimizer)
        monitor.log_eval(21, train=1.0, val=torch.tensor(1.1))
    records = lines(path)
    assert all(problem(record) is None for record in records)
    start, stats = records[0], [r for r in records if r["event"] == "stats"]
    assert start["source"]["kind"] == "monitor" and start["source"]["model"] == "Sequential"
    assert start["source"]["optimizer"] == "Adam" and start["source"]["parameters"] == 1507
    assert "vocab" not in start and not [r for r in records if r["event"] == "samples"]
    assert [r["step"] for r in stats] == [0, 5, 10, 15, 20]  # and the last step (20 = total − 1)
    for record in stats:
        assert [(layer["name"], layer["kind"]) for layer in record["layers"]] == [("1", "tanh"), ("3", "relu")]
        assert [p["name"] for p in record["params"]] == ["0.weight", "2.weight", "4.weight"]
        updates = [p["update_to_data_log10"] for p in record["params"]]
        assert all(isinstance(u, float) and math.isfinite(u) for u in updates) and record["update"] == "measured"
        assert all(layer["grad_std"] > 0 for layer in record["layers"])
    # Adam's first step moves every weight by about lr: update:data ≈ lr / std(weight)
    first = stats[0]["params"][1]
    expected = math.log10(1e-3 / model[2].weight.detach().std().item())
    assert abs(first["update_to_data_log10"] - expected) < 0.15
    assert records[-1]["event"] == "run_end" and records[-1]["reason"] == "finished"
    assert [r["event"] for r in records[-3:]] == ["stats", "eval", "run_end"]


def test_only_the_grad_enabled_forward_counts_and_a_skipped_step_records_none(tmp_path):
    model, path = net(), tmp_path / "mine.jsonl"
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with Monitor(model, run_log=path, every=2, optimizer=optimizer) as monitor:
        train(model, monitor, 5, optimizer, eval_every=1, skip={2})  # step 2: the optimizer skipped (GradScaler)
    stats = {r["step"]: r for r in read_run_log(path) if r["event"] == "stats"}
    X, _ = DATA
    with torch.no_grad():
        t = torch.tanh(model[0](X))  # near the last training forward's: far from the eval's ×100 saturation
    assert stats[4]["layers"][0]["saturated_pct"] < 5 and (t.abs() > 0.97).float().mean() < 0.05
    assert all(p["update_to_data_log10"] is None for p in stats[2]["params"])  # nothing changed
    assert all(p["update_to_data_log10"] is not None for p in stats[0]["params"] + stats[4]["params"])


def test_bad_input_is_one_monitor_error_saying_what_to_do(tmp_path):
    with pytest.raises(MonitorError, match="no parameters"):
        Monitor(nn.Tanh(), run_log=tmp_path / "a.jsonl")
    with pytest.raises(MonitorError, match="every=0"):
        Monitor(net(), run_log=tmp_path / "a.jsonl", every=0)
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(MonitorError, match="run_log="):
        Monitor(net(), run_log=tmp_path / "dir.jsonl")
    held = tmp_path / "held.jsonl"
    with RunLog(held):
        with pytest.raises(MonitorError, match="in use by another process"):
            Monitor(net(), run_log=held)

    class FullyShardedDataParallel(nn.Module):  # what FSDP's wrapper is called
        def __init__(self):
            super().__init__()
            self.inner = net()

    with pytest.raises(MonitorError, match="sharded"):
        Monitor(FullyShardedDataParallel(), run_log=tmp_path / "b.jsonl")


def test_a_second_monitor_on_one_model_replaces_the_first_and_never_doubles_the_hooks(tmp_path):
    model = net()
    first = Monitor(model, run_log=tmp_path / "one.jsonl")
    assert len(model[1]._forward_hooks) == 1
    second = Monitor(model, run_log=tmp_path / "two.jsonl")
    assert len(model[1]._forward_hooks) == 1 and first._closed
    assert read_run_log(tmp_path / "one.jsonl")[-1]["reason"] == "stopped"
    second.close()
    assert len(model[1]._forward_hooks) == 0


def test_an_exception_ends_the_run_with_error_and_ctrl_c_with_stopped_and_showwarning_is_left_alone(tmp_path):
    model = net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = warnings.showwarning
    with pytest.raises(ValueError):
        with Monitor(model, run_log=tmp_path / "e.jsonl") as monitor:
            assert warnings.showwarning is before
            train(model, monitor, 2, optimizer)
            raise ValueError("the user's bug")
    end = read_run_log(tmp_path / "e.jsonl")[-1]
    assert end["reason"] == "error" and "the user's bug" in end["message"]
    with pytest.raises(KeyboardInterrupt):
        with Monitor(model, run_log=tmp_path / "k.jsonl") as monitor:
            raise KeyboardInterrupt
    assert read_run_log(tmp_path / "k.jsonl")[-1]["reason"] == "stopped"
    assert warnings.showwarning is before


def test_a_statistics_failure_is_a_warning_record_and_one_stderr_line_and_training_goes_on(tmp_path, capsys):
    model, path = net(), tmp_path / "w.jsonl"
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with Monitor(model, run_log=path, every=1) as monitor:
        monitor.probe.statistics = lambda **kw: 1 / 0
        train(model, monitor, 3, optimizer)
    records = read_run_log(path)
    warned = [r for r in records if r["event"] == "warning"]
    assert len(warned) == 3 and "ZeroDivisionError" in warned[0]["message"]
    assert records[-1]["reason"] == "finished" and monitor.steps == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err


def test_control_pauses_steps_once_resumes_and_stop_is_for_the_loop_to_honour(tmp_path):
    model, path = net(), tmp_path / "c.jsonl"
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = Monitor(model, run_log=path, every=1000, control=True)
    _wait(lambda: path.stat().st_size > 0)  # the log is written by a thread of its own
    start = read_run_log(path)[0]
    assert start["control"] == str(monitor.server.path) and os.path.exists(start["control"])
    done = threading.Event()

    def loop():
        X, Y = DATA
        while not monitor.stop_requested:
            loss = nn.functional.cross_entropy(model(X), Y)
            optimizer.zero_grad()
            loss.backward()
            monitor.step(loss)
            optimizer.step()
        done.set()

    worker = threading.Thread(target=loop)
    worker.start()
    viewer = ControlClient(start["control"])
    try:
        with pytest.raises(Refused, match="pause first"):
            viewer.send("step")
        viewer.send("pause")
        _wait(lambda: monitor.paused)
        held = monitor.steps
        threading.Event().wait(0.3)
        assert monitor.steps == held  # step() blocks while paused
        viewer.send("step")
        _wait(lambda: monitor.steps == held + 1 and monitor.paused)
        threading.Event().wait(0.3)
        assert monitor.steps == held + 1  # exactly one step
        # the viewer sees that step's statistics while the loop waits, not one call later (a preview: the
        # optimizer has not stepped, so its update:data is not measured)
        _wait(lambda: [r["step"] for r in read_run_log(path) if r["event"] == "stats"][-1:] == [held + 1])
        viewer.close()  # the viewer went away while paused: the loop resumes
        _wait(lambda: monitor.steps > held + 5)
        other = ControlClient(start["control"])
        other.send("stop")
        assert done.wait(10) and monitor.stop_requested
        other.close()
    finally:
        monitor.stop_requested = True
        worker.join(10)
        monitor.close()
    records = read_run_log(path)
    assert [r["paused"] for r in records if r["event"] == "state"] == [True, False]  # paused through the one step
    assert records[-1]["reason"] == "stopped" and not os.path.exists(start["control"])
    stats = [r for r in records if r["event"] == "stats"]
    assert stats[1]["step"] == held + 1 and [r["step"] for r in stats].count(held + 1) == 1  # written once
    assert stats[1]["preview"] and all(p["update_to_data_log10"] is None for p in stats[1]["params"])


def test_hooks_attached_before_torch_compile_survive_it(tmp_path):
    model, path = net(), tmp_path / "compiled.jsonl"
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with Monitor(model, run_log=path, every=2) as monitor:
        compiled = torch.compile(model, backend="aot_eager")
        train(compiled, monitor, 5, optimizer)
    stats = [r for r in read_run_log(path) if r["event"] == "stats"]
    assert [r["step"] for r in stats] == [0, 2, 4]
    for record in stats:
        assert [layer["kind"] for layer in record["layers"]] == ["tanh", "relu"]


def _wait(predicate, timeout: float = 10.0) -> None:
    event = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        event.wait(0.02)
    raise AssertionError("timed out")


def test_statistics_now_records_the_next_step_whatever_every_says(tmp_path):
    model, path = net(), tmp_path / "s.jsonl"
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with Monitor(model, run_log=path, every=1000, control=True) as monitor:
        train(model, monitor, 3, optimizer)
        viewer = ControlClient(monitor.server.path)
        viewer.send("stats")
        _wait(lambda: not monitor._commands.empty())
        train(model, monitor, 3, optimizer)  # steps 3, 4, 5: the command is read at step 3's call
        viewer.close()
    stats = [r for r in read_run_log(path) if r["event"] == "stats"]
    assert [r["step"] for r in stats] == [0, 4]
    assert [layer["kind"] for layer in stats[1]["layers"]] == ["tanh", "relu"]  # the hooks were armed for it


def test_monitors_appending_to_one_log_number_their_runs_after_its_last(tmp_path):
    log = tmp_path / "mine.jsonl"
    for _ in range(2):  # the user's script run twice on one log
        model = net()
        with Monitor(model, run_log=log, every=2) as monitor:
            train(model, monitor, 3, torch.optim.SGD(model.parameters(), lr=0.1))
    records = lines(log)
    assert [r["run"] for r in records if r["event"] == "run_start"] == [1, 2]
    assert {r["run"] for r in records if r["event"] == "stats"} == {1, 2}
    assert [r["run"] for r in records if r["event"] == "run_end"] == [1, 2]
