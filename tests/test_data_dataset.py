"""Tests of data.dataset: the vocabulary, the examples and the lecture's splits."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from makemore_tui.data import Splits, Vocabulary, WordsError, build_examples, load_words, make_splits
from makemore_tui.data.dataset import END_TOKEN_CANDIDATES, choose_end_token

REPO = Path(__file__).resolve().parents[1]
LECTURE_NAMES = REPO.parent / "shared" / "data" / "names.txt"


def lecture_examples(words, block_size, end="."):
    """The lecture's build_dataset loop, verbatim but for taking the vocabulary and end token as arguments."""
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi[end] = 0
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + end:
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X, dtype=torch.int64).reshape(-1, block_size), torch.tensor(Y, dtype=torch.int64), stoi


def some_words(n, seed=0, alphabet="abcdefghijklmnopqrstuvwxyz"):
    """Return n random words of 1..12 characters."""
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(n)]


def test_vocabulary_is_the_lectures():
    words = ["emma", "olivia", "ava", "zoe"]
    vocab = Vocabulary.from_words(words)
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    assert vocab.stoi == stoi
    assert vocab.itos == {i: s for s, i in stoi.items()}
    assert vocab.chars == [".", *chars]
    assert vocab.size == len(chars) + 1
    assert vocab.encode("emma") == [stoi[c] for c in "emma"]
    assert vocab.decode([stoi[c] for c in "zoe"] + [0]) == "zoe."
    assert vocab.decode(torch.tensor([stoi["a"], 0])) == "a."
    assert hash(vocab) == hash(Vocabulary.from_words(reversed(words)))


def test_vocabulary_rejects_bad_input():
    for chars in ([], [".", "a", "a"], [".", "ab"], [".", 1]):
        with pytest.raises(ValueError):
            Vocabulary(chars)
    with pytest.raises(ValueError):
        Vocabulary.from_words(["ab"]).encode("abc")


POKEMON = ["mr. mime", "mime jr.", "pikachu", "farfetch'd", "porygon-z", "type: null", "ho-oh", "eevee"]


def test_words_holding_dot_get_an_end_token_outside_their_alphabet():
    vocab = Vocabulary.from_words(POKEMON)
    end = vocab.end_token
    assert end == "\u2403" and vocab.chars[0] == end and vocab.stoi[end] == 0
    assert not any(end in word for word in POKEMON)
    assert vocab.chars[1:] == sorted(set("".join(POKEMON))) and "." in vocab.chars[1:]
    X, Y = build_examples(POKEMON, vocab, 3)
    X_ref, Y_ref, stoi = lecture_examples(POKEMON, 3, end=end)
    assert vocab.stoi == stoi and torch.equal(X, X_ref) and torch.equal(Y, Y_ref)
    assert vocab.decode(Y.tolist()) == "".join(w + end for w in POKEMON)


def test_the_end_token_is_dot_unless_the_words_hold_it():
    assert choose_end_token("abc") == "." and Vocabulary.from_words(["emma"]).end_token == "."
    assert choose_end_token(".\u2403") == "\u2404"
    assert choose_end_token("." + "".join(END_TOKEN_CANDIDATES)) == "\ue000"


@pytest.mark.parametrize("block_size", [1, 3, 8])
def test_build_examples_matches_lecture_loop(block_size):
    words = some_words(300, seed=block_size)
    vocab = Vocabulary.from_words(words)
    X, Y = build_examples(words, vocab, block_size)
    X_ref, Y_ref, _ = lecture_examples(words, block_size)
    assert X.dtype == Y.dtype == torch.int64
    assert X.shape == (len(Y_ref), block_size)
    assert torch.equal(X, X_ref) and torch.equal(Y, Y_ref)


def test_build_examples_unicode():
    words = ["zoë", "αλέξανδρος", "иван", "すし", "𝓪𝓫", "mary ann", "ß"]
    vocab = Vocabulary.from_words(words)
    X, Y = build_examples(words, vocab, 3)
    X_ref, Y_ref, stoi = lecture_examples(words, 3)
    assert vocab.stoi == stoi
    assert torch.equal(X, X_ref) and torch.equal(Y, Y_ref)
    assert vocab.decode(Y.tolist()) == "".join(w + "." for w in words)


def test_build_examples_edge_cases():
    vocab = Vocabulary.from_words(["ab"])
    X, Y = build_examples([], vocab, 3)
    assert X.shape == (0, 3) and Y.shape == (0,)
    with pytest.raises(ValueError):
        build_examples(["ab"], vocab, 0)
    with pytest.raises(ValueError, match="'z'"):
        build_examples(["ab", "az"], vocab, 3)


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="."), min_size=1, max_size=10), max_size=20
    ),
    block_size=st.integers(1, 6),
)
def test_property_build_examples(words, block_size):
    vocab = Vocabulary.from_words(words) if words else Vocabulary(["."])
    X, Y = build_examples(words, vocab, block_size)
    assert Y.shape == (sum(len(w) + 1 for w in words),)
    assert X.shape == (Y.shape[0], block_size)
    assert vocab.decode(Y.tolist()) == "".join(w + "." for w in words)
    X_ref, Y_ref, _ = lecture_examples(words, block_size)
    assert torch.equal(X, X_ref) and torch.equal(Y, Y_ref)


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(st.text(alphabet=st.sampled_from(".a\u2403b\u2404\u00b6"), min_size=1, max_size=8), max_size=20),
    block_size=st.integers(1, 4),
)
def test_property_any_end_token_builds_the_lectures_examples(words, block_size):
    vocab = Vocabulary.from_words(words)
    end = vocab.end_token
    assert vocab.stoi[end] == 0 and not any(end in word for word in words)
    assert end == "." or "." in "".join(words)
    X, Y = build_examples(words, vocab, block_size)
    X_ref, Y_ref, _ = lecture_examples(words, block_size, end=end)
    assert torch.equal(X, X_ref) and torch.equal(Y, Y_ref)


def test_make_splits_follows_the_lecture():
    words = some_words(500, seed=7)
    original = list(words)
    splits = make_splits(words, 3)
    assert words == original  # the caller's list is untouched
    random.seed(42)
    shuffled = list(words)
    random.shuffle(shuffled)
    n1, n2 = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
    assert isinstance(splits, Splits) and splits.n_words == 500
    assert splits.longest_word == max(len(w) for w in shuffled[:n1])
    assert splits.vocab == Vocabulary.from_words(words)
    for (X, Y), part in zip((splits.train, splits.val, splits.test), (shuffled[:n1], shuffled[n1:n2], shuffled[n2:])):
        X_ref, Y_ref, _ = lecture_examples(part, 3)
        assert torch.equal(X, X_ref) and torch.equal(Y, Y_ref)


def test_make_splits_seed_and_minimum():
    words = some_words(100, seed=3)
    assert not torch.equal(make_splits(words, 3, shuffle_seed=1).train[1], make_splits(words, 3).train[1])
    with pytest.raises(WordsError):
        make_splits(words[:9], 3)
    tiny = make_splits(words[:10], 3)
    assert all(len(part[1]) > 0 for part in (tiny.train, tiny.val, tiny.test))


@pytest.mark.skipif(not LECTURE_NAMES.is_file(), reason="the lecture's names.txt is not on this machine")
def test_lecture_split_sizes():
    splits = make_splits(load_words(LECTURE_NAMES), 3)
    assert splits.vocab.size == 27
    assert splits.train[0].shape == (182625, 3)
    assert splits.val[0].shape == (22655, 3)
    assert splits.test[0].shape == (22866, 3)
    assert splits.n_words == 32033


def test_builtin_names_split():
    splits = make_splits(load_words(None), 3)
    assert splits.vocab.size == 27
    assert min(len(splits.val[1]), len(splits.test[1])) > 0


def test_million_words_shape():
    words = some_words(2000, seed=11) * 500
    X, Y = build_examples(words, Vocabulary.from_words(words[:2000]), 3)
    n = sum(len(w) + 1 for w in words)
    assert X.shape == (n, 3) and Y.shape == (n,)


def test_data_imports_no_ui():
    code = (
        "import sys, makemore_tui.data\n"
        "bad = [m for m in ('textual', 'plotext', 'makemore_tui.tui') if m in sys.modules]; print(bad)\n"
        "sys.exit(bool(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
