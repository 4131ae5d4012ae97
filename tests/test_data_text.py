"""Tests of core.text: which characters are unsafe for a terminal, and `printable`, which escapes them."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from makemore_tui.core.text import describe, first_unsafe, is_unsafe, printable

# Bidi controls (Unicode's Bidi_Control property): marks, embeddings, overrides, isolates.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f" + "".join(map(chr, range(0x202A, 0x202F))) + "\u2066\u2067\u2068\u2069")
# Characters hypothesis draws rarely on its own: controls, bidi, separators, surrogates, tags, private use.
NASTY = st.sampled_from(
    [*"\x00\x07\x1b\x7f\x85\x9b\t\n\r\x0b\x0c\u2028\u2029\ufeff\u200b\ue000\U000e0001\u0378", *BIDI_CONTROLS]
    + [chr(0xD800), chr(0xDFFF), "\u200c", "\u200d", "\\"]
)
ANY_TEXT = st.text(st.one_of(st.characters(), NASTY), max_size=60)
# Letters, marks, numbers, punctuation, symbols, spaces, and the joiners names need.
SAFE_TEXT = st.text(
    st.one_of(st.characters(categories=("L", "M", "N", "P", "S", "Zs")), st.sampled_from(["\u200c", "\u200d"])),
    max_size=60,
)


def _never_safe(ch: str) -> bool:
    """What may never reach a terminal raw, stated independently of core.text."""
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in BIDI_CONTROLS


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_printable_output_holds_no_control_bidi_separator_or_surrogate(text):
    shown = printable(text)
    assert not any(_never_safe(ch) for ch in shown)
    shown.encode("utf-8")  # no lone surrogate: it can be written to any UTF-8 terminal
    assert printable(shown) == shown  # escaping twice changes nothing more


@settings(max_examples=400, deadline=None)
@given(SAFE_TEXT)
def test_printable_text_passes_unchanged(text):
    leading_mark = bool(text) and unicodedata.category(text[0]).startswith("M")
    assert printable(text) == ("\u25cc" + text if leading_mark else text)  # a lone mark is shown on ◌
    assert first_unsafe(text) == -1


@pytest.mark.parametrize("mark", ["\u0301", "\u093f", "\u0903", "\u20dd"])  # Mn, Mn (Devanagari i), Mc, Me
def test_a_leading_combining_mark_is_shown_on_a_dotted_circle(mark):
    assert printable(mark + "ab") == "\u25cc" + mark + "ab"  # not drawn on the cell before the text
    assert printable("a" + mark + "b") == "a" + mark + "b"  # inside a word it belongs to its letter
    assert printable(mark + "\x1b") == "\u25cc" + mark + "\\x1b"


@settings(max_examples=200, deadline=None)
@given(SAFE_TEXT, NASTY.filter(is_unsafe), SAFE_TEXT)
def test_an_unsafe_character_is_escaped_in_place_and_found_first(before, ch, after):
    shown = printable(before + ch + after).removeprefix("\u25cc")  # ◌ before a leading mark
    assert shown.startswith(before) and shown.endswith(after)
    assert shown[len(before) : len(shown) - len(after)].startswith("\\")
    assert first_unsafe(before + ch + after + ch) == len(before)


@pytest.mark.parametrize(
    ("ch", "escaped"),
    [
        ("\x1b", "\\x1b"),
        ("\x07", "\\x07"),
        ("\x9b", "\\x9b"),
        ("\n", "\\n"),
        ("\t", "\\t"),
        ("\u202e", "\\u202e"),
        ("\u2028", "\\u2028"),
        ("\ud800", "\\ud800"),
        ("\U000e0041", "\\U000e0041"),
        ("\U000f0000", "\\U000f0000"),
    ],
)
def test_escapes_are_pythons(ch, escaped):
    assert printable(f"a{ch}b") == f"a{escaped}b"


def test_names_of_real_alphabets_are_safe():
    for name in ("अनुष्का", "می\u200cخواهم", "ക്\u200dഷ", "Nguye\u0302\u0303n", "zoë", "すし", "👩\u200d👩\u200d👧"):
        assert printable(name) == name


def test_describe_names_the_code_point_and_kind():
    assert describe("\u202e") == "U+202E RIGHT-TO-LEFT OVERRIDE (invisible format character)"
    assert describe("\x1b") == "U+001B (control character)"
    assert describe("\ue000") == "U+E000 (private-use character)"
