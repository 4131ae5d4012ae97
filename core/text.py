"""Text from a words file or a run log, made safe for a terminal.

A words file or a replayed run log is untrusted: a name holding ESC can retitle the terminal
(`ESC ] 0 ; title BEL`), a bidi override (U+202E) can reorder what a line shows. One rule says
which characters are unsafe; the words loader refuses files holding them and every front-end
passes such text through `printable` before it reaches a terminal. Pure Python (unicodedata).
"""

from __future__ import annotations

import unicodedata

# Unicode general categories that never belong in a name shown on a terminal:
# Cc C0/C1 controls (ESC, BEL, NEL...), Cf format characters (bidi controls such as U+202E,
# zero-width space, tags), Zl/Zp the line and paragraph separators, Cs surrogates,
# Co private use, Cn unassigned (in this Python's Unicode database).
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Format characters real spellings need: the zero-width non-joiner and joiner (U+200C, U+200D)
# shape Indic and Persian words. Combining marks (Mn, Mc) are not in UNSAFE_CATEGORIES at all.
SAFE_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})
COMBINING_CATEGORIES = frozenset({"Mn", "Mc", "Me"})  # marks drawn on the character before them
MARK_BASE = "\u25cc"  # ◌ DOTTED CIRCLE: what a combining mark is shown on when nothing precedes it

_CATEGORY_NAMES = {
    "Cc": "control character",
    "Cf": "invisible format character",
    "Zl": "line separator",
    "Zp": "paragraph separator",
    "Cs": "surrogate",
    "Co": "private-use character",
    "Cn": "unassigned character",
}


def is_unsafe(ch: str) -> bool:
    """True when the single character `ch` must not reach a terminal raw."""
    return ch not in SAFE_FORMAT_CHARACTERS and unicodedata.category(ch) in UNSAFE_CATEGORIES


_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def escape(ch: str) -> str:
    """Python's escape of one character: `\\n`, `\\x1b`, `\\u202e`, `\\U000e0001` (ASCII only)."""
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    cp = ord(ch)
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def printable(text: str) -> str:
    """Return `text` with every unsafe character (see `is_unsafe`) escaped, all else unchanged.

    The one function front-ends use before text from a data file or a run log reaches a
    terminal. Backslashes are left alone, so the result is for showing, not for parsing back.
    A text that starts with a combining mark (a sampled name can: NFD data or a Devanagari vowel
    sign) gets a dotted circle U+25CC before it, as Unicode shows a mark alone: else the terminal
    draws the mark on the cell before (a quote, a space, the previous name).
    Linear in len(text); text without unsafe characters or a leading mark comes back as the same string.
    """
    unsafe = {ch for ch in set(text) if is_unsafe(ch)}
    if unsafe:
        text = "".join(escape(ch) if ch in unsafe else ch for ch in text)
    if text and unicodedata.category(text[0]) in COMBINING_CATEGORIES:
        text = MARK_BASE + text
    return text


def describe(ch: str) -> str:
    """A character for a one-line message: `U+202E RIGHT-TO-LEFT OVERRIDE (invisible format character)`."""
    name = unicodedata.name(ch, "")
    kind = _CATEGORY_NAMES.get(unicodedata.category(ch), unicodedata.category(ch))
    return f"U+{ord(ch):04X}{' ' + name if name else ''} ({kind})"


_ASCII_SAFE = bytes(range(0x20, 0x7F))  # the printable ASCII characters: the only safe ones below U+0080


def first_unsafe(text: str) -> int:
    """Index of the first unsafe character of `text`, or -1 when it has none.

    Looks at each distinct character once (ASCII text: one bytes.translate pass), so a large
    clean words file costs a fraction of a second.
    """
    if text.isascii():
        unsafe = set(text.encode("ascii").translate(None, _ASCII_SAFE).decode("ascii"))
    else:
        unsafe = {ch for ch in set(text) if is_unsafe(ch)}
    return min((text.index(ch) for ch in unsafe), default=-1)
