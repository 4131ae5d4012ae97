"""`--model` in the app, in a real terminal (tmux): the file's net trains on screen, its header names the file,
a key for a field its build does not take is refused in the status line, q ends it with a whole log."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from makemore_tui.core.runlog import read_run_log
from tests.app.test_app_terminal import ROOT, has_exited, python_pid, screen, start_in_tmux, tmux, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


@contextmanager
def model_app(example: str, flags: str, log: Path) -> Iterator[str]:
    """The app training examples/EXAMPLE with `flags` in a tmux pane; yields its session. The body ends with q:
    the app must exit within 5 s; the session is killed whatever happens."""
    session = start_in_tmux(f"--model {ROOT / 'examples' / example} {flags} --steps 1000000 --run-log {log}")
    try:
        pid = wait_until(lambda: python_pid(f"--run-log {log}"), 20, "the app to start")
        yield session
        tmux("send-keys", "-t", session, "q")
        wait_until(lambda: has_exited(pid), 5, "the app to exit")
    finally:
        tmux("kill-session", "-t", session)


def test_a_torch_nn_file_trains_in_the_app_and_refuses_a_key_its_build_does_not_take(tmp_path):
    log = tmp_path / "run.jsonl"
    with model_app("torch_nn.py", "--hidden 16", log) as session:
        frame = lambda shown: shown if "torch_nn.py" in shown and "L4 " in shown else None  # noqa: E731
        wait_until(lambda: frame(screen(session)), 40, "a frame naming the file and its four layers")
        titled = lambda shown: "saturation t≤0 (inactive) · relu layers" in shown and "saturation map · t≤0" in shown  # noqa: E731
        wait_until(lambda: titled(screen(session)), 10, "titles naming relu layers and their rule")
        tmux("send-keys", "-t", session, "g")
        wait_until(lambda: "takes no gain" in screen(session), 10, "g refused in the status line")
    records = read_run_log(log)
    start = next(r for r in records if r["event"] == "run_start")
    assert start["model"]["knobs"][0]["hidden"] == 16
    assert any("drew nothing from generator" in r.get("message", "") for r in records if r["event"] == "warning")
    layers = next(r for r in records if r["event"] == "stats")["layers"]
    assert [layer["name"] for layer in layers] == [f"blocks.{i}.act" for i in range(4)]
    assert records[-1]["event"] == "run_end"


def test_the_from_scratch_wavenet_trains_in_the_app_with_its_layers_and_b_reruns_it(tmp_path):
    log = tmp_path / "run.jsonl"
    with model_app("wavenet.py", "--block-size 8 --embd 8 --hidden 16", log) as session:
        # its three tanh layers (one per level of the hierarchy) and its parameters, by name
        frame = lambda shown: "wavenet.py" in shown and "L3 " in shown and "layers.0.weight" in shown  # noqa: E731
        wait_until(lambda: frame(screen(session)), 40, "a frame naming the file, its layers and parameters")
        tmux("send-keys", "-t", session, "b")  # its build takes batchnorm: the key reruns without it
        wait_until(lambda: "run 2 started (no BN)" in screen(session), 20, "b's rerun without BatchNorm")
        tmux("send-keys", "-t", session, "g")
        wait_until(lambda: "wavenet.py's build() takes no gain" in screen(session), 10, "g refused")
    records = read_run_log(log)
    starts = [r for r in records if r["event"] == "run_start"]
    assert [s["model"]["knobs"][0]["batchnorm"] for s in starts] == [True, False]
    layers = next(r for r in records if r["event"] == "stats")["layers"]
    assert [layer["name"] for layer in layers] == ["layers.4", "layers.8", "layers.12"]
    assert records[-1]["event"] == "run_end"
