"""Sampling follows the data: the length cap, the `cut` mark, and words that hold '.' (issue 9, items 2-3)."""

from __future__ import annotations

import random

import pytest
import torch

from makemore_tui.core.config import TrainConfig
from makemore_tui.core.evaluate import CUT_MARK, MIN_SAMPLE_CAP, sample_cap, sample_names, shown_samples
from makemore_tui.core.model import MLP
from makemore_tui.data import Vocabulary
from tests.conftest import events, run_to_end

SMALL = TrainConfig(steps=300, hidden=32, depth=2, stats_every=100, device="cpu")


def forced_model(vocab: Vocabulary, probs: dict[str, float]) -> MLP:
    """A real MLP whose output layer is pinned so every draw follows `probs` (character -> probability)."""
    model = MLP.build(SMALL, vocab.size, torch.Generator().manual_seed(1))
    logits = torch.full((vocab.size,), -1e4)
    for ch, p in probs.items():
        logits[vocab.stoi[ch]] = torch.log(torch.tensor(p))
    with torch.no_grad():
        model.layers[-1].gamma.zero_()  # the output BatchNorm: gamma·x̂ + beta = beta
        model.layers[-1].beta.copy_(logits)
    return model


class CountingModel:
    """Emits character 1 until the context (as long as the whole sample) holds `length` of them, then ends."""

    def __init__(self, length: int, vocab_size: int):
        self.length, self.vocab_size = length, vocab_size
        self.C = torch.zeros(1)  # where sample_names reads the device from

    def set_training(self, training: bool) -> None:
        pass

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        logits = torch.full((context.shape[0], self.vocab_size), -1e4)
        done = (context == 1).sum(1) >= self.length
        logits[done, 0] = 0.0
        logits[~done, 1] = 0.0
        return logits


def test_the_cap_follows_the_longest_word_with_a_floor():
    assert sample_cap(85) == 170 and sample_cap(15) == 30
    assert sample_cap(0) == sample_cap(3) == MIN_SAMPLE_CAP


@pytest.mark.parametrize("longest", [3, 30, 85])
def test_a_name_that_never_ends_is_cut_at_the_cap_and_says_so(longest):
    vocab = Vocabulary.from_words(["ab"])
    sampled = sample_names(forced_model(vocab, {"a": 1.0}), vocab.itos, 3, 4, torch.Generator().manual_seed(0), longest)
    assert sampled == [("a" * sample_cap(longest), True)] * 4


def test_a_name_of_exactly_the_cap_that_ends_is_not_cut():
    cap = sample_cap(8)
    for length, cut in ((cap - 1, False), (cap, False), (cap + 1, True)):
        model = CountingModel(length, vocab_size=3)
        sampled = sample_names(model, {0: ".", 1: "a", 2: "b"}, cap + 2, 2, torch.Generator().manual_seed(0), 8)
        assert sampled == [("a" * min(length, cap), cut)] * 2


def test_names_that_end_are_not_cut_and_dot_is_sampled_as_a_character():
    vocab = Vocabulary.from_words(["mr. mime", "a.b"])
    assert vocab.end_token != "."
    model = forced_model(vocab, {".": 0.5, vocab.end_token: 0.5})
    sampled = sample_names(model, vocab.itos, 3, 200, torch.Generator().manual_seed(0), 8)
    assert len(sampled) == 200 and not any(cut for _, cut in sampled)
    assert all(set(name) <= {"."} for name, _ in sampled) and any(name.count(".") >= 2 for name, _ in sampled)


def test_shown_samples_mark_cut_names_and_escape_replayed_text():
    assert shown_samples(["\u093fab", "a\u093fb"]) == ["\u25cc\u093fab", "a\u093fb"]  # a lone leading mark on ◌
    assert shown_samples(["ann", "bo\x1b]0;x\x07b"], [False, True]) == ["ann", "bo\\x1b]0;x\\x07b" + CUT_MARK]
    assert shown_samples(["ann", "bob"]) == ["ann", "bob"]  # an older log without "cut"
    assert shown_samples(["", "ann", ""], [False, False, True]) == ['""', "ann", '""' + CUT_MARK]  # never a blank
    assert shown_samples(["ann", "bob"], [True]) == ["ann" + CUT_MARK, "bob"]
    assert shown_samples(["ann"], "yes") == ["ann"]


def place_names(count: int, seed: int = 0) -> list[str]:
    """Long made-up place names of 45 to 85 characters, as a gazetteer holds."""
    rng = random.Random(seed)
    syllables = ["san", "ta", "ma", "ri", "a ", "del ", "los ", "ve", "ga", "de ", "la ", "ro", "sa"]
    names = []
    while len(names) < count:
        name = ""
        while len(name) < rng.randint(45, 85):
            name += rng.choice(syllables)
        names.append(name.strip())
    return names


def test_a_model_of_long_names_samples_past_forty_characters():
    words = place_names(60)
    records = run_to_end(SMALL, words)
    assert records[-1]["reason"] == "finished"
    samples = events(records, "samples")[-1]
    longest = max(len(w) for w in words)
    assert len(samples["cut"]) == len(samples["names"]) and all(isinstance(c, bool) for c in samples["cut"])
    assert max(len(name) for name in samples["names"]) > 40
    assert all(len(name) <= 2 * longest for name in samples["names"])
    assert all(len(name) == 2 * longest for name, cut in zip(samples["names"], samples["cut"]) if cut)


def test_a_run_on_words_holding_dot_trains_and_samples_dots():
    words = [f"{a}{b}. {c}{a}" for a in "mrsj" for b in "rst" for c in "mpq"]  # "mr. mm", "jt. qj", ...
    records = run_to_end(SMALL, words)
    start, end = records[0], records[-1]
    assert end["reason"] == "finished"
    assert start["vocab"][0] == "\u2403" and "." in start["vocab"][1:]
    names = [name for record in events(records, "samples") for name in record["names"]]
    assert any("." in name for name in names)
    assert not any("\u2403" in name for name in names)
