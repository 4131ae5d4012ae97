"""Load and check a words file: one word per line, UTF-8, at least 10 words."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

BUILTIN_NAMES_PATH = Path(__file__).resolve().parent / "names.txt"

# The 80/10/10 train/val/test split gives val and test one word each at 10 words.
MIN_WORDS = 10
END_TOKEN = "."


class WordsError(ValueError):
    """A words file that cannot be used; str() is one line saying what is wrong and what to do."""


def _show(text: str, limit: int = 80) -> str:
    """Return text fit for a one-line message: quoted via repr when it holds unprintable characters."""
    # A path or word may hold a newline or a control character; repr keeps the message one line.
    if len(text) > limit:
        text = text[:limit] + "…"
    return text if text.isprintable() else repr(text)


def _read_bytes(path: Path, shown: str) -> bytes:
    """Return the file's bytes, turning every way of failing to read it into a WordsError."""
    try:
        if path.is_dir():
            raise WordsError(f"words file {shown} is a directory; give a text file with one word per line")
        return path.read_bytes()
    except WordsError:
        raise
    except FileNotFoundError:
        raise WordsError(
            f"words file {shown} not found; check the path, or leave out --data to use the built-in names"
        ) from None
    except IsADirectoryError:
        raise WordsError(f"words file {shown} is a directory; give a text file with one word per line") from None
    except PermissionError:
        raise WordsError(
            f"words file {shown} cannot be read (permission denied); fix its permissions or copy it somewhere readable"
        ) from None
    except (OSError, ValueError) as exc:
        # ValueError: a path with an embedded NUL; OSError: a name too long, a loop of links...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise WordsError(f"words file {shown} cannot be read ({_show(reason)}); give a readable text file") from None


def _decode(raw: bytes, shown: str) -> str:
    """Decode UTF-8 bytes without a leading BOM, or raise a WordsError naming the bad byte's offset."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise WordsError(
            f"words file {shown} looks binary (NUL byte at byte offset {nul}); "
            "give a UTF-8 text file with one word per line (UTF-16 files must be re-saved as UTF-8)"
        )
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
    """Return (line number, word) for each non-blank line of text, each line stripped."""
    # splitlines() is what the lecture uses; it takes LF, CRLF and lone CR alike.
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _check(numbered: list[tuple[int, str]], shown: str) -> list[str]:
    """Return the words, or raise a WordsError if they cannot make a train/val/test split."""
    if not numbered:
        raise WordsError(
            f"words file {shown} has no words (it is empty or only blank lines, which make no examples); "
            "put one word per line"
        )
    for line_no, word in numbered:
        if END_TOKEN in word:
            raise WordsError(
                f"words file {shown} line {line_no} ({_show(word, 40)}) contains '.', "
                "which is the end-of-word token; remove or replace it"
            )
    if len(numbered) < MIN_WORDS:
        raise WordsError(
            f"words file {shown} has only {len(numbered)} words; the 80/10/10 train/val/test split "
            f"needs at least {MIN_WORDS}, one per line"
        )
    return [word for _, word in numbered]


def load_words(path: str | os.PathLike | None) -> list[str]:
    """Return the words of a UTF-8 file, one per stripped non-blank line (None: the built-in names)."""
    file = BUILTIN_NAMES_PATH if path is None else Path(path)
    shown = _show(os.fsdecode(file), 200)
    text = _decode(_read_bytes(file, shown), shown)
    return _check(split_words(text), shown)
