"""Control of a training from the viewer that follows its log: a Unix socket the writer serves.

    viewer (replay --follow) ──{"command": "pause"}──▶ socket ──▶ ControlServer ──handle()──▶ the loop
                             ◀──{"ok": true, "message": "…"}──┘

One JSON object a line each way. Commands: pause, resume, step (one step while paused), stats
(statistics at the next step), stop. The writer records the socket's path in `run_start`
(`control`). Safety (DESIGN §12):
- the socket lives in an owner-only folder (0700, its mode set before the bind: no window) beside
  the log, `.<log name>.control/sock`, or under `$XDG_RUNTIME_DIR/makemore-tui/` when that path
  would pass the 107 bytes a socket address holds;
- the server checks each peer's uid (SO_PEERCRED): another user's process is refused;
- only the writer serves, and it holds the log's lock (core/runlog.py): so a stale socket left by a
  killed writer is replaced only by the process holding that lock; a viewer never deletes one;
- no socket for a log that is not a regular file; a failed bind is a `ControlError` the writer turns
  into a `warning` record, and training goes on;
- a viewer that disconnects while the loop is paused by it resumes it (a dead viewer never hangs a run).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import struct
import threading
from collections.abc import Callable
from pathlib import Path

COMMANDS = ("pause", "resume", "step", "stats", "stop")
SUN_PATH_LIMIT = 107  # bytes of a socket path (sun_path is 108 with its NUL)
REPLY_SECONDS = 5.0  # how long a viewer waits for the writer's answer (a busy machine can take seconds)
LINE_LIMIT = 4096  # bytes of one request line: anything longer is not a command


class ControlError(OSError):
    """A control socket cannot be served or reached; str() is one line for the user."""


class Refused(Exception):
    """The writer will not do a command now; str() says why (a handler raises it)."""


def socket_path_for(log: str | os.PathLike, runtime_dir: str | None = None) -> Path:
    """Where the writer of `log` serves its socket: `.<name>.control/sock` beside it, or under
    `runtime_dir` (default $XDG_RUNTIME_DIR) when that is too long. Raises ControlError when neither fits."""
    log = Path(os.path.abspath(log))
    beside = log.parent / f".{log.name}.control" / "sock"
    if len(os.fsencode(beside)) <= SUN_PATH_LIMIT:
        return beside
    runtime_dir = runtime_dir if runtime_dir is not None else os.environ.get("XDG_RUNTIME_DIR", "")
    digest = hashlib.sha256(os.fsencode(log)).hexdigest()[:24]
    elsewhere = Path(runtime_dir) / "makemore-tui" / f"{digest}.sock" if runtime_dir else None
    if elsewhere is None or len(os.fsencode(elsewhere)) > SUN_PATH_LIMIT:
        raise ControlError(
            f"no control socket: a path beside {log} is over {SUN_PATH_LIMIT} bytes and $XDG_RUNTIME_DIR "
            "is unset or too long (a shorter log path offers control)"
        )
    return elsewhere


def _private_folder(folder: Path) -> None:
    """Make `folder` exist as a directory only its owner can enter (0700), before anything binds in it."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ControlError(f"no control socket: {folder} is not a folder of this user's")
    os.chmod(folder, 0o700)  # the umask may have narrowed mkdir's mode; an old folder may be wider


def peer_uid(connection: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (Linux SO_PEERCRED)."""
    creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class ControlServer:
    """Serves the control socket of the log a writer holds, in a daemon thread.

    `handle(command)` runs in the server's thread for each command of COMMANDS and returns the
    feedback ("" for none), or raises Refused. It must only queue work for the training loop.
    `holds_lock` is the caller's word that it holds the log's lock (core.runlog.RunLog): that is
    what allows it to replace a stale socket. Raises ControlError (one line) when it cannot serve.
    """

    def __init__(self, log: str | os.PathLike, handle: Callable[[str], str], *, runtime_dir: str | None = None):
        if not stat.S_ISREG(os.stat(log).st_mode):
            raise ControlError(f"no control socket: {log} is not a regular file")
        self.path = socket_path_for(log, runtime_dir)
        self.handle = handle
        self._pauser: socket.socket | None = None  # the connection whose pause holds the loop
        self._peers: set[socket.socket] = set()  # connections open now (closed with the server)
        self._lock = threading.Lock()
        self._closed = False
        try:
            _private_folder(self.path.parent)
            self._remove_stale()
            self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._listener.bind(str(self.path))
            self._listener.listen(4)
            self._identity = os.stat(self.path).st_ino
        except OSError as error:
            if isinstance(error, ControlError):
                raise
            raise ControlError(f"no control socket at {self.path}: {error.strerror or error}") from None
        self._thread = threading.Thread(target=self._serve, name="control", daemon=True)
        self._thread.start()

    def _remove_stale(self) -> None:
        """A socket at the path is a killed writer's (we hold the log's lock): replace it; anything else stays."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode):
            raise ControlError(f"no control socket: {self.path} exists and is not a socket (left untouched)")
        os.unlink(self.path)

    def _serve(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._converse, args=(connection,), name="control-peer", daemon=True).start()

    def _converse(self, connection: socket.socket) -> None:
        with self._lock:
            self._peers.add(connection)
        with connection:
            try:
                if self._closed:
                    return  # accepted as the server closed: the viewer reads the end at once
                if peer_uid(connection) != os.getuid():
                    # each request answered with the refusal: sent unasked, it raced the peer's first write
                    # (a peer writing after the close got EPIPE, not the reason)
                    for _request in _lines(connection):
                        _send(connection, {"ok": False, "message": "refused: another user's process"})
                    return
                for request in _lines(connection):
                    _send(connection, self._answer(connection, request))
            except OSError:
                pass  # the viewer went away mid-answer
            finally:
                self._left(connection)

    def _answer(self, connection: socket.socket, request: bytes) -> dict:
        try:
            command = json.loads(request).get("command")
        except (ValueError, AttributeError):
            command = None
        if command not in COMMANDS:
            return {"ok": False, "message": f"unknown command: one of {', '.join(COMMANDS)}"}
        try:
            message = self.handle(command)
        except Refused as refusal:
            return {"ok": False, "message": str(refusal)}
        except Exception as error:  # a handler's bug never reaches the training's terminal
            return {"ok": False, "message": f"{command} failed: {error}"}
        with self._lock:
            if command == "pause":
                self._pauser = connection
            elif command in ("resume", "stop"):
                self._pauser = None
        return {"ok": True, "message": message or ""}

    def _left(self, connection: socket.socket) -> None:
        """A viewer that paused the loop and went away resumes it."""
        with self._lock:
            self._peers.discard(connection)
            resume = self._pauser is connection
            if resume:
                self._pauser = None
        if resume and not self._closed:
            try:
                self.handle("resume")
            except Exception:
                pass

    def close(self) -> None:
        """Stop serving; remove the socket (if it is still ours) and its folder when empty."""
        if self._closed:
            return
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            peers = list(self._peers)
        for peer in peers:  # a viewer still attached learns at once that the training ended
            try:
                peer.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            if os.lstat(self.path).st_ino == self._identity:
                os.unlink(self.path)
            os.rmdir(self.path.parent)
        except OSError:
            pass  # gone already, or the folder holds something else: left alone


class ControlClient:
    """A viewer's connection to a writer's control socket. Raises ControlError (one line) when it
    cannot connect; `send` raises Refused with the writer's reason, ControlError when the link broke."""

    def __init__(self, path: str | os.PathLike, timeout: float = REPLY_SECONDS):
        self.path = str(path)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(timeout)
        try:
            self._socket.connect(self.path)
        except OSError as error:
            self._socket.close()
            raise ControlError(f"the writer's control socket does not answer ({error.strerror or error})") from None
        self._replies = _lines(self._socket)

    def send(self, command: str) -> str:
        """Send one command; return the writer's feedback."""
        try:
            _send(self._socket, {"command": command})
            reply = json.loads(next(self._replies))
        except TimeoutError:
            waited = self._socket.gettimeout()
            self.close()  # a late answer would be read as the next command's
            raise ControlError(f"the writer did not answer {command} within {waited:g} s") from None
        except (OSError, StopIteration, ValueError):
            self.close()
            raise ControlError("the writer's control socket closed (the training ended or was killed)") from None
        if not isinstance(reply, dict) or not reply.get("ok"):
            raise Refused(str(reply.get("message") if isinstance(reply, dict) else "refused"))
        return str(reply.get("message") or "")

    def close(self) -> None:
        """Disconnect (a loop this viewer paused resumes); the socket file is the writer's and stays."""
        self._socket.close()


def _send(connection: socket.socket, message: dict) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def _lines(connection: socket.socket):
    """The newline-ended lines a peer sends, until it closes (a line over LINE_LIMIT ends the talk)."""
    buffer = b""
    while True:
        chunk = connection.recv(4096)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line
        if len(buffer) > LINE_LIMIT:
            return


class Announced:
    """A run log (RunLog or SealableLog) whose `run_start` records name the control socket (`control`),
    followed once by a `warning` record when it could not be served. Everything else passes through."""

    def __init__(self, run_log, control: str | None, warning: str | None = None):
        self._log = run_log
        self._fields = {"control": control} if control else {}
        self._warning = warning

    def write(self, record: dict) -> None:
        starts = record.get("event") == "run_start"
        self._log.write({**record, **self._fields} if starts else record)
        if starts and self._warning:
            warning, self._warning = self._warning, None
            self._log.write({"event": "warning", "run": record.get("run", 0), "message": warning})

    def __getattr__(self, name: str):
        return getattr(self._log, name)


def serve(run_log, handle: Callable[[str], str]) -> tuple[ControlServer | None, Announced]:
    """Serve control for the log `run_log` holds (its lock taken): (the server or None, the log to write
    through, which names the socket in run_start, or warns once why there is none). Never raises."""
    try:
        server = ControlServer(run_log.path, handle)
    except (ControlError, OSError) as error:
        return None, Announced(run_log, None, f"control: {error}; training goes on without it")
    return server, Announced(run_log, str(server.path))
