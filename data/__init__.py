"""The words: built-in names list, loading and checking a words file, vocabulary, splits."""

from makemore_tui.data.dataset import Splits, Vocabulary, build_examples, make_splits
from makemore_tui.data.words import BUILTIN_NAMES_PATH, WordsError, load_words

__all__ = [
    "BUILTIN_NAMES_PATH",
    "Splits",
    "Vocabulary",
    "WordsError",
    "build_examples",
    "load_words",
    "make_splits",
]
