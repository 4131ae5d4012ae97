"""Vocabulary, (context, next character) examples and the lecture's 80/10/10 splits."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

from .words import END_TOKEN, MIN_WORDS, WordsError


@dataclass(frozen=True)
class Vocabulary:
    """The characters of the words, index 0 being the end-of-word token '.', as the lecture builds it."""

    chars: list[str]
    stoi: dict[str, int] = field(init=False, repr=False, compare=False)
    itos: dict[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chars = list(self.chars)
        if not chars or chars[0] != END_TOKEN or END_TOKEN in chars[1:]:
            raise ValueError(f"vocabulary must start with {END_TOKEN!r} and hold it once, got {chars[:5]!r}")
        if len(set(chars)) != len(chars) or any(len(c) != 1 for c in chars):
            raise ValueError("vocabulary characters must be distinct single characters")
        # Frozen dataclass: the derived tables are set once, here.
        object.__setattr__(self, "chars", chars)
        object.__setattr__(self, "stoi", {s: i for i, s in enumerate(chars)})
        object.__setattr__(self, "itos", dict(enumerate(chars)))

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Vocabulary:
        """Build the lecture's vocabulary: '.' then the words' sorted distinct characters."""
        seen = sorted(set("".join(words)))
        if END_TOKEN in seen:
            raise ValueError(f"a word contains {END_TOKEN!r}, the end-of-word token")
        return cls([END_TOKEN, *seen])

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
        """Return the characters of the token ids ('.' for 0)."""
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
    # Lay every word out as block_size '.' (the empty context), the word, then its '.' target:
    # since '.' is id 0, the window before each target is exactly the lecture's rolled context.
    pad = END_TOKEN * block_size
    ids = _encode_all(pad + (END_TOKEN + pad).join(words) + END_TOKEN, vocab)
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
    )
