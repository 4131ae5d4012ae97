"""Tests of data.words: loading a words file and every way a file can be bad."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from makemore_tui.core.text import printable
from makemore_tui.data import BUILTIN_NAMES_PATH, WordsError, load_words
from makemore_tui.data import words as words_module

TEN = [f"name{c}" for c in "abcdefghij"]


def _write(tmp_path: Path, content: bytes, name: str = "words.txt") -> Path:
    """Write raw bytes to a file under tmp_path and return its path."""
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _error(path) -> str:
    """Return the message of the WordsError that loading path raises, checking it is one line."""
    with pytest.raises(WordsError) as info:
        load_words(path)
    message = str(info.value)
    assert message and "\n" not in message and "\r" not in message
    return message


def test_loads_plain_file(tmp_path):
    path = _write(tmp_path, ("\n".join(TEN) + "\n").encode())
    assert load_words(path) == TEN
    assert load_words(str(path)) == TEN


def test_crlf_bom_and_blank_lines(tmp_path):
    body = "\r\n".join(["  emma ", "", "olivia\t", "   ", *TEN, ""])
    path = _write(tmp_path, b"\xef\xbb\xbf" + body.encode())
    assert load_words(path) == ["emma", "olivia", *TEN]


def test_inner_characters_kept(tmp_path):
    words = ["mary ann", "o'neil", "jean-luc", *TEN]
    assert load_words(_write(tmp_path, "\n".join(words).encode())) == words


def test_unicode_alphabets(tmp_path):
    words = ["zoë", "josé", "αλέξανδρος", "ελένη", "иван", "мария", "ånn", "łukasz", "すし", "ßen"]
    assert load_words(_write(tmp_path, "\n".join(words).encode("utf-8"))) == words


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    message = _error(path)
    assert "not found" in message and str(path) in message


def test_directory(tmp_path):
    # The whole message: pytest's tmp_path holds "directory" itself, so a bare `in` would match the path.
    assert _error(tmp_path) == f"words file {tmp_path} is a directory; give a text file with one word per line"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_real(tmp_path):
    path = _write(tmp_path, ("\n".join(TEN)).encode())
    path.chmod(0)
    try:
        assert "permission" in _error(path)
    finally:
        path.chmod(0o644)


def test_unreadable_file(tmp_path, monkeypatch):
    path = _write(tmp_path, ("\n".join(TEN)).encode())

    def denied(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(words_module.os, "open", denied)
    message = _error(path)
    assert "permission" in message and str(path) in message


def test_other_os_error(tmp_path, monkeypatch):
    path = _write(tmp_path, ("\n".join(TEN)).encode())

    def broken(fd, size):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(words_module.os, "read", broken)
    assert "Input/output error" in _error(path)


def test_path_with_nul_and_newline(tmp_path):
    _error(str(tmp_path / "a\x00b"))
    assert "line\\nbreak.txt" in _error(str(tmp_path / "line\nbreak.txt"))  # shown escaped, on one line


@pytest.mark.parametrize("content", [b"", b"\n\n", b"  \r\n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n \n"])
def test_empty_or_blank(tmp_path, content):
    message = _error(_write(tmp_path, content))
    assert "no words" in message and "no examples" in message


def test_binary(tmp_path):
    message = _error(_write(tmp_path, b"emma\nol\x00ivia\n" + b"\n".join(w.encode() for w in TEN)))
    assert "binary" in message and "offset 7" in message


def test_utf16_is_binary(tmp_path):
    # UTF-16 puts a NUL beside every ASCII letter: the first is byte 3 (BOM FF FE, then "n" 00). The message
    # is checked without its path, which holds "binary" itself (pytest names tmp_path after the test).
    path = _write(tmp_path, ("\ufeff" + "\n".join(TEN)).encode("utf-16-le"))  # what Windows Notepad saves
    assert _error(path).replace(str(path), "PATH") == (
        "words file PATH looks binary (NUL byte at byte offset 3); "
        "give a UTF-8 text file with one word per line (UTF-16 files must be re-saved as UTF-8)"
    )


def test_not_utf8_names_offset(tmp_path):
    content = b"emma\nolivia\nzo\xeb\n" + b"\n".join(w.encode() for w in TEN)
    message = _error(_write(tmp_path, content))
    assert "UTF-8" in message and "offset 14" in message and "line 3" in message


def test_not_utf8_offset_counts_bom(tmp_path):
    message = _error(_write(tmp_path, b"\xef\xbb\xbfab\xff\n"))
    assert "offset 5" in message


def test_dot_in_words_loads(tmp_path):
    # "." is the lecture's end token, but the vocabulary picks another when the data holds it.
    words = ["mr. mime", "j.r.", ".", *TEN]
    assert load_words(_write(tmp_path, "\n".join(words).encode())) == words


def test_too_few_words(tmp_path):
    message = _error(_write(tmp_path, "\n".join(TEN[:9]).encode()))
    assert "only 9 words" in message and "10" in message
    assert load_words(_write(tmp_path, "\n".join(TEN).encode(), "ten.txt")) == TEN


def test_builtin_list():
    words = load_words(None)
    assert BUILTIN_NAMES_PATH.name == "names.txt" and BUILTIN_NAMES_PATH.is_file()
    assert 25_000 <= len(words) <= 40_000
    assert len(set(words)) == len(words)
    assert all(re.fullmatch(r"[a-z]+", w) for w in words)


def _expected(text: str) -> list[str]:
    """The words a loader must return for text: stripped non-blank lines (LF, CRLF, CR) after a leading BOM."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text)
    return [line.strip() for line in lines if line.strip()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(
        st.text(alphabet=st.characters(codec="utf-8")),
        st.lists(
            st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00."), min_size=1, max_size=8),
            min_size=8,
            max_size=30,
        ).map("\n".join),
        st.lists(st.text(alphabet="ab é\r\n\t.\ufeff", max_size=6), max_size=30).map("\r\n".join),
    ),
    bom=st.booleans(),
)
def test_property_text_loads_or_words_error(tmp_path, text, bom):
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    _loads_or_one_line_error(_write(tmp_path, raw, "prop.txt"), raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_property_bytes_loads_or_words_error(tmp_path, raw):
    _loads_or_one_line_error(_write(tmp_path, raw, "bytes.txt"), raw)


def _loads_or_one_line_error(path, raw: bytes) -> None:
    """`path` (holding `raw`) loads as the words `_expected` reads from it, or is refused in one line."""
    try:
        words = load_words(path)
    except WordsError as exc:
        assert "\n" not in str(exc)
        event("WordsError")
        return
    event("loaded")
    assert words == _expected(raw.decode("utf-8-sig"))


# ---- characters that must not reach a terminal (issue 9, item 1) ------------------------------

UNSAFE = {
    "escape sequence that retitles the terminal": ("evil\x1b]0;pwned\x07name", "U+001B"),
    "bell": ("ab\x07c", "U+0007"),
    "tab inside a word": ("mary\tann", "U+0009"),
    "vertical tab": ("a\x0bb", "U+000B"),
    "form feed": ("a\x0cb", "U+000C"),
    "file separator": ("a\x1cb", "U+001C"),
    "C1 next line": ("a\x85b", "U+0085"),
    "C1 CSI": ("a\x9b31mb", "U+009B"),
    "right-to-left override": ("abc\u202edef", "U+202E"),
    "left-to-right isolate": ("abc\u2066def", "U+2066"),
    "arabic letter mark": ("ab\u061cc", "U+061C"),
    "right-to-left mark": ("ab\u200fc", "U+200F"),
    "zero-width space": ("ab\u200bc", "U+200B"),
    "byte order mark inside": ("ab\ufeffc", "U+FEFF"),
    "tag character": ("ab\U000e0041c", "U+E0041"),
    "line separator": ("ab\u2028c", "U+2028"),
    "paragraph separator": ("ab\u2029c", "U+2029"),
    "private use": ("ab\ue000c", "U+E000"),
    "supplementary private use": ("ab\U000f0000c", "U+F0000"),
    "unassigned": ("ab\u0378c", "U+0378"),
}


@pytest.mark.parametrize("kind", sorted(UNSAFE))
def test_unsafe_characters_are_refused_naming_line_and_character(tmp_path, kind):
    word, code = UNSAFE[kind]
    path = _write(tmp_path, "\n".join(["emma", "olivia", "", "ava", word, *TEN]).encode("utf-8"))
    message = _error(path)
    assert "line 5" in message and code in message and str(path) in message
    assert printable(message) == message  # the message itself holds nothing unsafe


REAL_NAMES = [
    "अनुष्का",  # Devanagari: combining vowel signs (Mn, Mc) and virama
    "प्रियंका",
    "கார்த்திக்",  # Tamil
    "ক্‍ষ",  # Bengali with a zero-width joiner (U+200D)
    "می‌خواهم",  # Persian with a zero-width non-joiner (U+200C)
    "ന്‍",  # Malayalam chillu spelled with ZWJ
    "Nguye\u0302\u0303n",  # Vietnamese, decomposed combining marks
    "สมชาย",  # Thai
    "mary ann",
    "o'neil",
]


def test_real_names_with_combining_marks_and_joiners_load(tmp_path):
    words = REAL_NAMES + TEN
    loaded = load_words(_write(tmp_path, "\n".join(words).encode("utf-8")))
    # NFC composes the decomposed Vietnamese letter (ê + ̃ → ễ); every other spelling stays as written
    assert loaded == [word.replace("e\u0302\u0303", "\u1ec5") for word in words]


# ---- reading: bounded, never hanging (issue 9, item 4) ---------------------------------------


def _load_with_guard(path, **kwargs):
    """load_words(path) in a thread; fail (not hang) if it runs past a generous guard."""
    outcome = {}

    def target():
        try:
            outcome["words"] = load_words(path, **kwargs)
        except WordsError as error:
            outcome["error"] = str(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert not thread.is_alive(), f"load_words({path}) still reading after {HANG_GUARD} s"
    return outcome


def _feed(fifo: Path, *pieces: bytes, forever: bytes = b"", pause: float = 0.0) -> threading.Thread:
    """Write pieces (then `forever` until the reader leaves) into a FIFO from a thread."""

    def run():
        try:
            with open(fifo, "wb", buffering=0) as file:
                for piece in pieces:
                    file.write(piece)
                    time.sleep(pause)
                while forever:
                    file.write(forever)
        except OSError:  # BrokenPipeError: the reader stopped reading, as it should
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "words.fifo"
    os.mkfifo(path)
    return path


HANG_GUARD = 60.0  # seconds: a hang guard, far above the ~0.1-2 s these loads take


def test_reading_stops_at_the_first_nul_of_an_endless_stream(fifo):
    _feed(fifo, b"anna\n" * 1000, b"\x00", forever=b"x" * 65536)
    error = _load_with_guard(fifo)["error"]
    assert "binary" in error and "offset 5000" in error


def test_an_endless_stream_without_nul_stops_at_the_size_limit(fifo, monkeypatch):
    monkeypatch.setattr(words_module, "MAX_BYTES", 2 * 2**20)
    _feed(fifo, forever=b"yes\n" * 16384)  # what `yes > fifo` sends
    error = _load_with_guard(fifo)["error"]
    assert "over 2 MiB" in error


def test_a_regular_file_over_the_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(words_module, "MAX_BYTES", 2**20)
    path = _write(tmp_path, b"anna\n" * (2**20 // 5 + 1))
    assert "over 1 MiB" in _error(path)
    monkeypatch.setattr(words_module.os, "read", lambda fd, size: pytest.fail("a too big file was read"))
    assert "over 1 MiB" in _error(path)


def test_a_fifo_nobody_writes_fails_after_the_idle_timeout(fifo, monkeypatch):
    monkeypatch.setattr(words_module, "IDLE_TIMEOUT", 1.0)
    monkeypatch.setattr(words_module, "NOTICE_AFTER", 0.2)
    notices = []
    error = _load_with_guard(fifo, notice=notices.append)["error"]
    assert "sent no data for 1 s" in error and str(fifo) in error
    assert len(notices) == 1 and "waiting for words" in notices[0]


def test_a_slow_fifo_loads(fifo, monkeypatch):
    monkeypatch.setattr(words_module, "IDLE_TIMEOUT", 5.0)
    _feed(fifo, *[(word + "\n").encode() for word in TEN], pause=0.05)
    assert _load_with_guard(fifo)["words"] == TEN


def test_a_terminal_is_refused():
    leader, follower = os.openpty()
    try:
        error = _load_with_guard(os.ttyname(follower))["error"]
    finally:
        os.close(leader)
        os.close(follower)
    assert "terminal" in error


def test_nfd_words_are_normalised_to_nfc_and_said_once(tmp_path):
    nfc, nfd = "ren\u00e9e", "rene\u0301e"  # one letter é, two spellings
    path = _write(tmp_path, "\n".join([nfc, nfd, "jose\u0301", *TEN]).encode())
    said: list[str] = []
    words = load_words(path, notice=said.append)
    assert words[:3] == [nfc, nfc, "jos\u00e9"]  # one token for é, none for the mark alone
    assert "\u0301" not in "".join(words)
    assert len(said) == 1 and "2 words (first on line 2) normalised to Unicode NFC" in said[0]


def test_nfc_words_are_not_mentioned(tmp_path):
    said: list[str] = []
    load_words(_write(tmp_path, "\n".join(["ren\u00e9e", *TEN]).encode()), notice=said.append)
    assert said == []
