"""`--model` in the app, in a real terminal (tmux): the file's net trains on screen, its header names the file,
a key for a field its build does not take is refused in the status line, q ends it with a whole log."""

from __future__ import annotations

import shutil

import pytest

from makemore_tui.core.runlog import read_run_log
from tests.app.test_app_terminal import ROOT, has_exited, python_pid, screen, start_in_tmux, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def test_a_torch_nn_file_trains_in_the_app_and_refuses_a_key_its_build_does_not_take(tmp_path):
    log = tmp_path / "run.jsonl"
    model = ROOT / "examples" / "torch_nn.py"
    session = start_in_tmux(f"--model {model} --hidden 16 --steps 1000000 --run-log {log}")
    try:
        pid = wait_until(lambda: python_pid(f"--run-log {log}"), 20, "the app to start")
        frame = lambda shown: shown if "torch_nn.py" in shown and "L4 " in shown else None  # noqa: E731
        wait_until(lambda: frame(screen(session)), 40, "a frame naming the file and its four layers")
        titled = lambda shown: "saturation t≤0 (inactive) · relu layers" in shown and "saturation map · t≤0" in shown  # noqa: E731
        try:
            wait_until(lambda: titled(screen(session)), 10, "titles naming relu layers and their rule")
        except AssertionError:
            raise AssertionError(f"titles; the screen:\n{screen(session)}") from None
        tmux("send-keys", "-t", session, "g")
        try:
            wait_until(lambda: "takes no gain" in screen(session), 10, "g refused in the status line")
        except AssertionError:
            raise AssertionError(f"g was not refused; the screen:\n{screen(session)}") from None
        tmux("send-keys", "-t", session, "q")
        wait_until(lambda: has_exited(pid), 5, "the app to exit")
    finally:
        tmux("kill-session", "-t", session)
    records = read_run_log(log)
    start = next(r for r in records if r["event"] == "run_start")
    assert start["model"]["knobs"][0]["hidden"] == 16
    assert any("drew nothing from generator" in r.get("message", "") for r in records if r["event"] == "warning")
    layers = next(r for r in records if r["event"] == "stats")["layers"]
    assert [layer["name"] for layer in layers] == [f"blocks.{i}.act" for i in range(4)]
    assert records[-1]["event"] == "run_end"
