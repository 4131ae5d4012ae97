"""Tests of data.words: loading a words file and every way a file can be bad."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data import BUILTIN_NAMES_PATH, WordsError, load_words

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
    message = _error(tmp_path)
    assert "directory" in message and str(tmp_path) in message


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

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    message = _error(path)
    assert "permission" in message and str(path) in message


def test_other_os_error(tmp_path, monkeypatch):
    path = _write(tmp_path, ("\n".join(TEN)).encode())

    def broken(self):
        raise OSError(5, "Input/output error", str(self))

    monkeypatch.setattr(Path, "read_bytes", broken)
    assert "Input/output error" in _error(path)


def test_path_with_nul_and_newline(tmp_path):
    _error(str(tmp_path / "a\x00b"))
    assert "'" in _error(str(tmp_path / "line\nbreak.txt"))


@pytest.mark.parametrize("content", [b"", b"\n\n", b"  \r\n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n \n"])
def test_empty_or_blank(tmp_path, content):
    message = _error(_write(tmp_path, content))
    assert "no words" in message and "no examples" in message


def test_binary(tmp_path):
    message = _error(_write(tmp_path, b"emma\nol\x00ivia\n" + b"\n".join(w.encode() for w in TEN)))
    assert "binary" in message and "offset 7" in message


def test_utf16_is_binary(tmp_path):
    assert "binary" in _error(_write(tmp_path, "\n".join(TEN).encode("utf-16")))


def test_not_utf8_names_offset(tmp_path):
    content = b"emma\nolivia\nzo\xeb\n" + b"\n".join(w.encode() for w in TEN)
    message = _error(_write(tmp_path, content))
    assert "UTF-8" in message and "offset 14" in message and "line 3" in message


def test_not_utf8_offset_counts_bom(tmp_path):
    message = _error(_write(tmp_path, b"\xef\xbb\xbfab\xff\n"))
    assert "offset 5" in message


def test_dot_in_word_names_line(tmp_path):
    content = "\n".join(["emma", "", "j.r.", *TEN]).encode()
    message = _error(_write(tmp_path, content))
    assert "line 3" in message and "'.'" in message and "end-of-word" in message


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
    """The words a loader must return for text: stripped non-blank lines after a leading BOM."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line.strip() for line in text.splitlines() if line.strip()]


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
    path = _write(tmp_path, raw, "prop.txt")
    try:
        words = load_words(path)
    except WordsError as exc:
        assert "\n" not in str(exc)
        event("WordsError")
        return
    event("loaded")
    assert words == _expected(raw.decode("utf-8-sig"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_property_bytes_loads_or_words_error(tmp_path, raw):
    path = _write(tmp_path, raw, "bytes.txt")
    try:
        words = load_words(path)
    except WordsError as exc:
        assert "\n" not in str(exc)
        event("WordsError")
        return
    event("loaded")
    assert words == _expected(raw.decode("utf-8-sig"))
