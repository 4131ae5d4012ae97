"""Load and check a words file: one word per line, UTF-8, at least 10 words, nothing unsafe for a terminal."""

from __future__ import annotations

import codecs
import os
import select
import stat
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from makemore_tui.core.text import describe, first_unsafe, printable

BUILTIN_NAMES_PATH = Path(__file__).resolve().parent / "names.txt"

# The 80/10/10 train/val/test split gives val and test one word each at 10 words.
MIN_WORDS = 10
# No words file comes near this: the lecture's names.txt is 228 KB, a list of every place
# name on Earth (GeoNames, ~12 million) about 150 MB. Past it the file is the wrong one
# (/dev/zero, a disk image, `yes`), and reading on would only fill memory.
MAX_BYTES = 256 * 2**20
READ_CHUNK = 2**20  # bytes per read: memory grows by at most this past a NUL or the limit
IDLE_TIMEOUT = 30.0  # seconds a pipe or FIFO may send nothing before loading gives up
NOTICE_AFTER = 2.0  # seconds of silence from a pipe or FIFO before `notice` hears that loading waits
_POLL_SLICE = 0.25  # seconds per poll() while waiting


class WordsError(ValueError):
    """A words file that cannot be used; str() is one line saying what is wrong and what to do."""


def _show(text: str, limit: int = 80) -> str:
    """Return text fit for a one-line message: cut to `limit`, unsafe characters escaped."""
    # A path may hold a newline or ESC; printable() keeps the message one line and inert.
    if len(text) > limit:
        text = text[:limit] + "…"
    return printable(text)


def _open(file: Path, shown: str) -> int:
    """Open for reading without blocking (a FIFO with no writer would block open()), or raise a WordsError."""
    try:
        return os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise WordsError(
            f"words file {shown} not found; check the path, or leave out --data to use the built-in names"
        ) from None
    except (OSError, ValueError) as exc:
        raise _unreadable(exc, shown) from None


def _unreadable(exc: Exception, shown: str) -> WordsError:
    """The WordsError for an OSError (or ValueError: a path with a NUL) met opening or reading."""
    if isinstance(exc, IsADirectoryError):
        return WordsError(f"words file {shown} is a directory; give a text file with one word per line")
    if isinstance(exc, PermissionError):
        return WordsError(
            f"words file {shown} cannot be read (permission denied); fix its permissions or copy it somewhere readable"
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return WordsError(f"words file {shown} cannot be read ({_show(reason)}); give a readable text file")


def _too_big(shown: str) -> WordsError:
    return WordsError(
        f"words file {shown} is over {MAX_BYTES // 2**20} MiB, more than any words file needs; "
        "is it the right file? (words files are UTF-8 text, one word per line)"
    )


def _read_bytes(file: Path, shown: str, notice: Callable[[str], None] | None) -> bytes:
    """Return the file's bytes, turning every way of failing to read it into a WordsError.

    Reads in READ_CHUNK pieces and stops at the first NUL byte or past MAX_BYTES, so
    /dev/zero, /dev/urandom or `yes` fail fast in bounded memory; a pipe or FIFO that sends
    nothing for IDLE_TIMEOUT seconds fails too, and a terminal is refused at once.
    """
    fd = _open(file, shown)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise WordsError(f"words file {shown} is a directory; give a text file with one word per line")
        if os.isatty(fd):
            raise WordsError(f"words file {shown} is a terminal; redirect a file into it or give the file's path")
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_BYTES:
            raise _too_big(shown)
        return _read_chunks(fd, shown, None if stat.S_ISREG(info.st_mode) else notice)
    except OSError as exc:
        raise _unreadable(exc, shown) from None
    finally:
        os.close(fd)


def _read_chunks(fd: int, shown: str, notice: Callable[[str], None] | None) -> bytes:
    """Read `fd` (opened non-blocking) to its end; see _read_bytes for the limits."""
    chunks: list[bytes] = []
    size = 0
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    last_data = time.monotonic()
    noticed = False
    while True:
        if not poller.poll(_POLL_SLICE * 1000):
            silent = time.monotonic() - last_data
            if silent >= IDLE_TIMEOUT:
                raise WordsError(
                    f"words file {shown} sent no data for {IDLE_TIMEOUT:g} s (a pipe or FIFO nobody writes to?); "
                    "write the words into it, or give a regular file"
                )
            if notice is not None and not noticed and silent >= NOTICE_AFTER:
                noticed = True
                notice(f"waiting for words from {shown} (not a regular file; up to {IDLE_TIMEOUT:g} s without data)")
            continue
        try:
            chunk = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            continue  # woken with nothing to read after all
        if not chunk:
            return b"".join(chunks)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise WordsError(
                f"words file {shown} looks binary (NUL byte at byte offset {size + nul}); "
                "give a UTF-8 text file with one word per line (UTF-16 files must be re-saved as UTF-8)"
            )
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BYTES:
            raise _too_big(shown)
        last_data = time.monotonic()


def _decode(raw: bytes, shown: str) -> str:
    """Decode UTF-8 bytes without a leading BOM, or raise a WordsError naming the bad byte's offset."""
    base = 0
    if raw.startswith(codecs.BOM_UTF8):
        # Editors on Windows add a BOM; it is not part of the first word.
        base = len(codecs.BOM_UTF8)
    try:
        return raw[base:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = base + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        raise WordsError(
            f"words file {shown} is not UTF-8 text (byte 0x{raw[offset]:02x} at byte offset {offset}, line {line}); "
            "re-save it as UTF-8"
        ) from None


def split_words(text: str) -> list[tuple[int, str]]:
    """Return (line number, word) for each non-blank line of text, each line stripped.

    Lines end at LF, CRLF or a lone CR (universal newlines), as editors count them; other
    characters str.splitlines() breaks at (VT, FF, U+001C..U+001E, NEL, U+2028, U+2029) stay
    inside the line, where the check for unsafe characters finds them. The lecture's
    names.txt (LF only) splits exactly as its `splitlines()` does.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [(n, word) for n, line in enumerate(text.split("\n"), start=1) if (word := line.strip())]


def _check_characters(numbered: list[tuple[int, str]], shown: str) -> None:
    """Raise a WordsError naming the first line that holds a character unsafe for a terminal (core.text)."""
    if first_unsafe("".join(word for _, word in numbered)) < 0:
        return
    for line_no, word in numbered:
        at = first_unsafe(word)
        if at >= 0:
            raise WordsError(
                f"words file {shown} line {line_no} holds {describe(word[at])}, which must not reach a "
                "terminal; remove it from the file"
            )


def _normalise(
    numbered: list[tuple[int, str]], shown: str, notice: Callable[[str], None] | None
) -> list[tuple[int, str]]:
    """The words in Unicode NFC, said once through `notice` when any changed.

    A letter can be one code point (NFC: "é" U+00E9) or a base and a combining mark (NFD: "e" + U+0301,
    as macOS file names and some exports write it). Left as they are, the two spellings of one letter
    are different tokens of the vocabulary, and the mark a token of its own that no word starts with.
    """
    changed = [line for line, word in numbered if not unicodedata.is_normalized("NFC", word)]
    if not changed:
        return numbered
    if notice is not None:
        words = f"{len(changed)} word{'s' if len(changed) > 1 else ''}"
        notice(
            f"words file {shown}: {words} (first on line {changed[0]}) normalised to Unicode NFC: a letter "
            "written as a base and a combining mark becomes one character, so each letter is one token"
        )
    return [(line, unicodedata.normalize("NFC", word)) for line, word in numbered]


def _check(numbered: list[tuple[int, str]], shown: str) -> list[str]:
    """Return the words, or raise a WordsError if they are unsafe or cannot make a train/val/test split."""
    if not numbered:
        raise WordsError(
            f"words file {shown} has no words (it is empty or only blank lines, which make no examples); "
            "put one word per line"
        )
    _check_characters(numbered, shown)
    if len(numbered) < MIN_WORDS:
        raise WordsError(
            f"words file {shown} has only {len(numbered)} words; the 80/10/10 train/val/test split "
            f"needs at least {MIN_WORDS}, one per line"
        )
    return [word for _, word in numbered]


def load_words(path: str | os.PathLike | None, *, notice: Callable[[str], None] | None = None) -> list[str]:
    """Return the words of a UTF-8 file, one per stripped non-blank line (None: the built-in names).

    Raises WordsError (one line) for a file that is missing, unreadable, a directory or a
    terminal, binary (a NUL byte), over MAX_BYTES, not UTF-8, silent for IDLE_TIMEOUT s (a
    pipe or FIFO), holding a character unsafe for a terminal (core.text.is_unsafe: controls,
    bidi and other format characters, separators, private use, unassigned), or with fewer
    than MIN_WORDS words. Words come back in Unicode NFC (`_normalise`). `notice` hears one line if a pipe or
    FIFO keeps loading waiting, and one if any word was normalised.
    """
    file = BUILTIN_NAMES_PATH if path is None else Path(path)
    shown = _show(os.fsdecode(file), 200)
    text = _decode(_read_bytes(file, shown, notice), shown)
    return _check(_normalise(split_words(text), shown, notice), shown)
