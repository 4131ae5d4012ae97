"""Vocabulary, (context, next character) examples and the lecture's 80/10/10 splits."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

from makemore_tui.data.words import MIN_WORDS, WordsError

# The lecture's end-of-word token, index 0: it ends every word and pads the empty context.
LECTURE_END_TOKEN = "."
# End tokens for words that hold '.' themselves ("mr. mime"), the first the words lack wins:
# the control pictures SYMBOL FOR END OF TEXT / END OF TRANSMISSION (drawn as small "ETX",
# "EOT") and the pilcrow, none of them a letter of a name.
END_TOKEN_CANDIDATES = ("\u2403", "\u2404", "\u00b6")
# Last resort: a private-use character. The words loader refuses private use (core.text), so
# for a loaded words file the first of these is always free.
_PRIVATE_USE = range(0xE000, 0xF900)


def choose_end_token(alphabet: Iterable[str]) -> str:
    """The end-of-word token for words made of `alphabet`: '.' unless they hold it, else a token they lack."""
    alphabet = set(alphabet)
    if LECTURE_END_TOKEN not in alphabet:
        return LECTURE_END_TOKEN
    for ch in chain(END_TOKEN_CANDIDATES, map(chr, _PRIVATE_USE)):
        if ch not in alphabet:
            return ch
    raise ValueError("the words use every candidate end-of-word token")


@dataclass(frozen=True)
class Vocabulary:
    """The characters of the words, index 0 being the end-of-word token, as the lecture builds it.

    The end token is '.' as in the lecture, unless the words hold '.' themselves: then it is
    the first of END_TOKEN_CANDIDATES the words lack (U+2403 "␃" in practice), and '.' is an
    ordinary character at its sorted place. Readers tell the end token by position, never by
    value: it is always `chars[0]` (the first character of the run log's `vocab` string), and
    it is never a character of the words; every other character is one of the words'.
    """

    chars: list[str]  # chars[0] is the end-of-word token, then the words' sorted distinct characters
    stoi: dict[str, int] = field(init=False, repr=False, compare=False)
    itos: dict[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chars = list(self.chars)
        if not chars:
            raise ValueError("vocabulary needs at least its end-of-word token")
        if len(set(chars)) != len(chars) or any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise ValueError(f"vocabulary characters must be distinct single characters, got {chars[:5]!r}")
        # Frozen dataclass: the derived tables are set once, here.
        object.__setattr__(self, "chars", chars)
        object.__setattr__(self, "stoi", {s: i for i, s in enumerate(chars)})
        object.__setattr__(self, "itos", dict(enumerate(chars)))

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Vocabulary:
        """Build the lecture's vocabulary: the end token (see choose_end_token), then the sorted distinct characters."""
        seen = sorted(set("".join(words)))
        return cls([choose_end_token(seen), *seen])

    @property
    def end_token(self) -> str:
        """The end-of-word token, index 0: '.' unless the words hold '.'."""
        return self.chars[0]

    def __hash__(self) -> int:
        """Hash by the characters, so a vocabulary can key a cache despite its list field."""
        return hash(tuple(self.chars))

    @property
    def size(self) -> int:
        """Number of tokens, the end-of-word token included."""
        return len(self.chars)

    def encode(self, word: str) -> list[int]:
        """Return the token ids of word's characters."""
        try:
            return [self.stoi[ch] for ch in word]
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> str:
        """Return the characters of the token ids (the end token for 0)."""
        return "".join(self.itos[int(i)] for i in ids)

    def codepoint_table(self, max_codepoint: int) -> np.ndarray:
        """Return an int64 array mapping codepoints 0..max_codepoint to ids, -1 where not in the vocabulary."""
        table = np.full(max_codepoint + 1, -1, dtype=np.int64)
        for ch, ix in self.stoi.items():
            if ord(ch) <= max_codepoint:
                table[ord(ch)] = ix
        return table


def _encode_all(text: str, vocab: Vocabulary) -> np.ndarray:
    """Return the int64 ids of every character of text, in one vectorized lookup."""
    # UTF-32 gives one uint32 codepoint per character, whatever the alphabet.
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if cps.size == 0:
        return np.zeros(0, dtype=np.int64)
    ids = vocab.codepoint_table(int(cps.max()))[cps]
    missing = np.flatnonzero(ids < 0)
    if missing.size:
        raise ValueError(f"character {chr(cps[missing[0]])!r} is not in the vocabulary")
    return ids


def build_examples(words: Sequence[str], vocab: Vocabulary, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the lecture's X (n, block_size) contexts and Y (n,) next-character ids, both int64."""
    if block_size < 1:
        raise ValueError(f"block size must be at least 1, got {block_size}")
    words = list(words)
    if not words:
        return torch.zeros((0, block_size), dtype=torch.int64), torch.zeros(0, dtype=torch.int64)
    # Lay every word out as block_size end tokens (the empty context), the word, then its end
    # target: since the end token is id 0, the window before each target is exactly the
    # lecture's rolled context.
    end = vocab.end_token
    pad = end * block_size
    ids = _encode_all(pad + (end + pad).join(words) + end, vocab)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    segment = lengths + block_size + 1
    starts = np.cumsum(segment) - segment
    is_target = np.ones(ids.size, dtype=bool)
    is_target[(starts[:, None] + np.arange(block_size)).ravel()] = False
    targets = np.flatnonzero(is_target)
    windows = sliding_window_view(ids, block_size)
    X = np.ascontiguousarray(windows[targets - block_size])
    Y = ids[targets]
    return torch.from_numpy(X), torch.from_numpy(Y)


@dataclass
class Splits:
    """The train, val and test (X, Y) pairs of the 80/10/10 split, with the vocabulary of all words."""

    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    vocab: Vocabulary
    n_words: int
    longest_word: int  # characters in the longest training word (sampling's length cap follows it)


def make_splits(words: Sequence[str], block_size: int, shuffle_seed: int = 42) -> Splits:
    """Shuffle a copy of words as the lecture does, split 80/10/10 by word and build each split's examples."""
    words = list(words)
    if len(words) < MIN_WORDS:
        raise WordsError(f"only {len(words)} words; the 80/10/10 train/val/test split needs at least {MIN_WORDS}")
    # Same stream as the lecture's random.seed(42); random.shuffle(words), without touching global state.
    random.Random(shuffle_seed).shuffle(words)
    vocab = Vocabulary.from_words(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return Splits(
        train=build_examples(words[:n1], vocab, block_size),
        val=build_examples(words[n1:n2], vocab, block_size),
        test=build_examples(words[n2:], vocab, block_size),
        vocab=vocab,
        n_words=len(words),
        longest_word=max(map(len, words[:n1]), default=0),
    )
