"""core/control.py: the writer's control socket and the viewer's client (issue 18), no Textual."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
import threading
import time
from pathlib import Path

import pytest

from makemore_tui.core import control
from makemore_tui.core.control import ControlClient, ControlError, ControlServer, Refused, socket_path_for


class Loop:
    """What a training loop's handler does: records the commands, refuses `stats`."""

    def __init__(self):
        self.commands: list[str] = []
        self.resumed = threading.Event()

    def handle(self, command: str) -> str:
        if command == "stats":
            raise Refused("no statistics now: a test")
        self.commands.append(command)
        if command == "resume":
            self.resumed.set()
        return f"{command}d"


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text("")
    return path


def test_commands_reach_the_handler_and_refusals_come_back_with_the_reason(log):
    loop = Loop()
    server = ControlServer(log, loop.handle)
    try:
        assert server.path == log.parent / ".run.jsonl.control" / "sock"
        assert stat.S_IMODE(os.stat(server.path.parent).st_mode) == 0o700
        client = ControlClient(server.path)
        assert client.send("pause") == "paused"
        assert client.send("step") == "stepd"
        with pytest.raises(Refused, match="a test"):
            client.send("stats")
        with pytest.raises(Refused, match="unknown command"):
            client.send("format disk")
        assert client.send("resume") == "resumed"
        client.close()
        assert loop.commands == ["pause", "step", "resume"]
    finally:
        server.close()
    assert not server.path.exists() and not server.path.parent.exists()  # removed at the end


def test_a_viewer_that_disconnects_while_paused_resumes_the_loop(log):
    loop = Loop()
    server = ControlServer(log, loop.handle)
    try:
        client = ControlClient(server.path)
        client.send("pause")
        client.close()  # the viewer quit (or died) with the loop paused
        assert loop.resumed.wait(5)
        assert loop.commands == ["pause", "resume"]
        other = ControlClient(server.path)
        other.send("pause")
        other.send("resume")
        other.close()  # not paused when it left: nothing more is sent
        time.sleep(0.2)
        assert loop.commands == ["pause", "resume", "pause", "resume"]
    finally:
        server.close()


def test_another_users_process_is_refused(log, monkeypatch):
    loop = Loop()
    monkeypatch.setattr(control, "peer_uid", lambda connection: os.getuid() + 1)
    server = ControlServer(log, loop.handle)
    try:
        client = ControlClient(server.path)
        with pytest.raises(Refused, match="another user"):
            client.send("pause")
        assert loop.commands == []
    finally:
        server.close()


def test_the_peer_uid_is_read_from_the_kernel(log):
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert control.peer_uid(left) == os.getuid()


def test_a_stale_socket_is_replaced_by_the_writer_and_anything_else_is_left_alone(log):
    path = socket_path_for(log)
    path.parent.mkdir(mode=0o755)  # an old folder, too wide: narrowed before the bind
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))  # a killed writer's socket: bound, nobody listening
    stale.close()
    server = ControlServer(log, Loop().handle)
    try:
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        ControlClient(path).close()  # the new one answers
    finally:
        server.close()
    path.parent.mkdir(mode=0o700)
    path.write_text("not a socket")
    with pytest.raises(ControlError, match="not a socket"):
        ControlServer(log, Loop().handle)
    assert path.read_text() == "not a socket"


def test_a_client_never_deletes_a_socket_and_says_when_nobody_answers(log):
    path = socket_path_for(log)
    path.parent.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()
    with pytest.raises(ControlError, match="does not answer"):
        ControlClient(path)
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_no_socket_for_a_log_that_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ControlError, match="not a regular file"):
        ControlServer(fifo, Loop().handle)


def test_a_path_too_long_for_a_socket_goes_under_the_runtime_dir_or_is_refused(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    log = deep / "run.jsonl"
    log.write_text("")
    runtime = Path(tempfile.mkdtemp(prefix="rt"))  # short, as $XDG_RUNTIME_DIR is (/run/user/1000)
    path = socket_path_for(log, str(runtime))
    assert path.parent == runtime / "makemore-tui" and len(os.fsencode(path)) <= 107
    server = ControlServer(log, Loop().handle, runtime_dir=str(runtime))
    try:
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        assert ControlClient(server.path).send("pause") == "paused"
    finally:
        server.close()
    with pytest.raises(ControlError, match="XDG_RUNTIME_DIR"):
        socket_path_for(log, "")
    shutil.rmtree(runtime)


def test_a_viewer_attached_when_the_writer_ends_learns_it_at_its_next_command(log):
    server = ControlServer(log, Loop().handle)
    client = ControlClient(server.path)
    server.close()
    with pytest.raises(ControlError, match="closed"):
        client.send("pause")
