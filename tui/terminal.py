"""The terminal the command line runs in: what the app needs of it, and ASCII output where it is not UTF-8.

Textual's Linux driver reads keys from stdin and draws on stderr (`sys.__stderr__`), and takes its size
from stdout (`shutil.get_terminal_size`). So the app needs stdin and stderr to be terminals and UTF-8
(its borders, bars and marks have no ASCII form); stdout may be a pipe or a file (the quit line goes
there), the app then drawing at the terminal's own size. Headless, `plot` and every message need none of
this: on a stream that cannot encode a character, the marks fall back to ASCII (`·` → `-`, `✔` → `ok`)
and any other character to its escape (`\\xe9`), so no line is lost to a UnicodeEncodeError.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import unicodedata
from collections.abc import Iterator
from typing import TextIO

ASCII_ERRORS = "makemore-tui-ascii"  # the codec error handler `ascii_fallback` installs
# The marks the project prints, in ASCII. Box drawing and block elements are mapped by their Unicode name.
ASCII_MARKS = {
    "·": "-",
    "•": "*",
    "✔": "ok",
    "✖": "x",
    "✗": "x",
    "⚠": "!",
    "…": "...",
    "–": "-",
    "—": "-",
    "−": "-",
    "×": "x",
    "÷": "/",
    "±": "+/-",
    "≈": "~",
    "≤": "<=",
    "≥": ">=",
    "→": "->",
    "←": "<-",
    "↑": "^",
    "↓": "v",
    "▶": ">",
    "◀": "<",
    "⏸": "||",
    "␃": "<end>",
    "σ": "sd",
    "μ": "mu",
    "µ": "u",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "\u00a0": " ",
}
HEADLESS_HINT = "use --headless to train without the app"


def is_utf8(stream: TextIO | None) -> bool:
    """True when `stream` encodes UTF-8 (any spelling of it: utf8, UTF-8, utf_8)."""
    encoding = getattr(stream, "encoding", None)
    try:
        return bool(encoding) and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def ascii_mark(ch: str) -> str:
    """One character in ASCII: its mark (ASCII_MARKS, box drawing, blocks, braille) or its escape."""
    if ch in ASCII_MARKS:
        return ASCII_MARKS[ch]
    name = unicodedata.name(ch, "")
    if name.startswith("BOX DRAWINGS"):
        return "-" if "HORIZONTAL" in name and "VERTICAL" not in name else "|" if "VERTICAL" in name else "+"
    if name.endswith(" BLOCK") or name.endswith(" SHADE") or name.startswith("BRAILLE PATTERN DOTS"):
        return "#"
    if name == "BRAILLE PATTERN BLANK":
        return " "
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _ascii_errors(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(ascii_mark(ch) for ch in error.object[error.start : error.end]), error.end


codecs.register_error(ASCII_ERRORS, _ascii_errors)


def ascii_fallback(*streams: TextIO) -> None:
    """Make each stream that is not UTF-8 print what it cannot encode as ASCII marks (see ascii_mark).

    Only the error handler changes: a stream's encoding (ASCII, Latin-1) is the user's choice and stays.
    """
    for stream in streams:
        if stream is not None and not is_utf8(stream) and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):  # a closed stream: nothing will be printed on it
                stream.reconfigure(errors=ASCII_ERRORS)


def app_refusal(instead: str = HEADLESS_HINT) -> str | None:
    """Why the app cannot run on this terminal, or None when it can: one line ending in `instead`, what to
    do without the app (default: use --headless)."""
    stdin, stderr = sys.__stdin__, sys.__stderr__
    if stdin is None or not _isatty(stdin):
        return f"the app reads its keys from a terminal, and stdin is not one (a pipe, a file, /dev/null); {instead}"
    if stderr is None or not _isatty(stderr):
        return (
            "the app draws on stderr, and stderr is not a terminal (redirected to a file or a pipe?); "
            f"keep stderr on the terminal, or {instead}"
        )
    if not is_utf8(stderr):
        encoding = getattr(stderr, "encoding", "?")
        return (
            f"the app draws with Unicode and this terminal's encoding is {encoding}, not UTF-8; set a UTF-8 locale "
            f"(LC_ALL=C.UTF-8) and leave PYTHONIOENCODING unset or utf-8, or {instead}"
        )
    return None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (ValueError, OSError):  # closed
        return False


@contextlib.contextmanager
def stdout_on_the_terminal() -> Iterator[None]:
    """While inside: when stdout is piped or redirected but stderr is a terminal, stdout (fd 1) points at that
    terminal, so Textual, which takes the size from stdout, draws at the terminal's real size and follows its
    resizes. Afterwards stdout is the pipe or file again (the quit line goes there)."""
    stdout, stderr = sys.__stdout__, sys.__stderr__
    if stdout is None or stderr is None or _isatty(stdout) or not _isatty(stderr):
        yield
        return
    stdout.flush()
    saved = os.dup(stdout.fileno())
    try:
        os.dup2(stderr.fileno(), stdout.fileno())
        yield
    finally:
        with contextlib.suppress(ValueError, OSError):
            stdout.flush()  # what the app's time left in the buffer belongs to the terminal
        os.dup2(saved, stdout.fileno())
        os.close(saved)


def repaint_on_resume(app) -> None:
    """After ctrl+z (Textual's `action_suspend_process`) and the shell's `fg`, repaint the whole screen.

    Textual's own SIGCONT handler (its Linux driver's) restores application mode and publishes
    `app_resume_signal`; this listens to that signal, so it chains after Textual's handling instead of
    replacing it. Textual then redraws only what changed since, which leaves borders, titles and the
    footer blank on the freshly cleared alternate screen: a refresh with layout repaints every widget.
    """
    app.app_resume_signal.subscribe(app, lambda _app: app.refresh(layout=True))
