"""A hint and its fixes as data, written where it is read (DESIGN §9, §10).

A rule of thumb that fires (core/health.py) says what is wrong and names its fixes as `Fix`
data: the config field a fix changes and where to (gain 5/3, BatchNorm on, lr lower). How a fix
is written depends on where the hint is read, so the edge chooses a `FixStyle`:

    the live app        gain 5/3 (g ×2) or BatchNorm on (b)          KEYS
    headless, replay    gain 5/3 (--gain) or BatchNorm on (--batchnorm)   FLAGS
    a compare of gain   gain 5/3 (compared here) or BatchNorm on (b)   KEYS.comparing(["gain"])

`hint.text` and `hint.short` are the app's (KEYS); `hint.written(style)` is the same hint for another edge.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import NamedTuple

from makemore_tui.core.config import format_gain, next_gain
from makemore_tui.core.wording import varied_fields

COMPARED = "compared here"  # a fix whose field the compare varies: its key or flag would undo the comparison


class Fix(NamedTuple):
    """One fix a hint names: the config field it changes (or `rerun`) and where to."""

    field: str  # gain | batchnorm | init | output_scale | lr | rerun
    target: object  # the value it sets (5/3, True, "kaiming", 0.1); lr: the factor one key press applies (0.5, 2)
    words: str  # how it reads before its key or flag: "gain 5/3", "BatchNorm on", "lower lr"
    presses: int = 1  # presses of its key that reach `target` (g cycles 5/3 → 1 → 0.5 → 3); 0: no press does


# The app's key for each field's fix; lr's by direction (its target is the factor of one press).
_KEYS: dict[str, Callable[[Fix], str]] = {
    "gain": lambda fix: "g",
    "batchnorm": lambda fix: "b",
    "init": lambda fix: "i",
    "output_scale": lambda fix: "o",
    "lr": lambda fix: "-" if fix.target < 1 else "+",
    "rerun": lambda fix: "r",
}
# The flag that makes the same fix on the next run ("" for a rerun: the next run is one).
_FLAGS: dict[str, Callable[[Fix], str]] = {
    "gain": lambda fix: "--gain",
    "batchnorm": lambda fix: "--batchnorm",
    "init": lambda fix: f"--init {fix.target}",
    "output_scale": lambda fix: f"--output-scale {fix.target:g}",
    "lr": lambda fix: "--lr",
    "rerun": lambda fix: "",
}
# A Monitor's log: the loop and the model are the user's own code, so a fix says where it goes in them.
_LOOP: dict[str, str] = {"lr": "in your optimizer", "rerun": ""}  # any other field: "in your model"


@dataclass(frozen=True)
class FixStyle:
    """Where a hint is read, so how its fixes are written: keys or flags, and what a compare varies."""

    flags: bool = False  # headless and replay: the flags of the next run; else the live app's keys
    loop: bool = False  # a Monitor's log (the user's own loop): where in their code, no key or flag
    compared: frozenset[str] = frozenset()  # fields a compare varies: said "compared here" (their key is refused)

    def comparing(self, fields: Iterable[str]) -> FixStyle:
        """This style in a compare that varies `fields`."""
        return replace(self, compared=frozenset(fields))

    def for_configs(self, configs: Sequence[Mapping]) -> FixStyle:
        """This style for a run of these variants' config dicts (a single run: none compared)."""
        return self.comparing(varied_fields(configs))

    def write(self, fix: Fix) -> str:
        """`gain 5/3 (g ×2)`, `gain 5/3 (--gain)`, `gain 5/3 (compared here)`, `rerun (r)`, `rerun`,
        `raise lr (in your optimizer)`."""
        if fix.field in self.compared:
            return f"{fix.words} ({COMPARED})"
        if self.loop:
            where = _LOOP.get(fix.field, "in your model")
            return f"{fix.words} ({where})" if where else fix.words
        if self.flags or fix.presses < 1:
            flag = _FLAGS[fix.field](fix)
            return f"{fix.words} ({flag})" if flag else fix.words
        key = _KEYS[fix.field](fix)
        return f"{fix.words} ({key})" if fix.presses == 1 else f"{fix.words} ({key} ×{fix.presses})"


KEYS = FixStyle()  # the live app
FLAGS = FixStyle(flags=True)  # headless and replay: no training keys
LOOP = FixStyle(loop=True)  # a log written by Monitor: the user's own loop, neither keys nor flags


class Topic(str, Enum):
    """What a hint is about: the panel it sits beside (tui/panels.py's PanelSpec.topic)."""

    SATURATION = "saturation"
    ACTIVATIONS = "activations"
    GRADIENTS = "gradients"
    WEIGHTS = "weights"
    UPDATE = "update"
    LOSS = "loss"
    MAP = "map"


@dataclass(frozen=True)
class Hint:
    """One rule of thumb that fired: what it is about, what is wrong, its fixes as data, which rule it was."""

    topic: Topic  # the panel it sits beside
    said: str  # the full sentence up to its fixes: what is wrong, why it matters ("…: ")
    brief: str  # the same in one short line for small panels, up to its fixes ("… → ")
    rule: str  # which rule fired (saturation-init, update-high, …): headless prints each once per run
    fixes: tuple[Fix, ...] = ()  # what to do, in order
    join: str = " or "  # " or ": any one fixes it; " and ": all of them, in order
    unfixed: str = ""  # what stands where the fixes go when there is none
    who: str = ""  # in a compare: the variants it holds for ("a gain 0.5", "every variant")
    style: FixStyle = field(default=KEYS, compare=False)  # how its fixes are written

    def fix_text(self) -> str:
        """The fixes in this hint's style, joined; `unfixed` when there is none."""
        return self.join.join(self.style.write(fix) for fix in self.fixes) if self.fixes else self.unfixed

    @property
    def text(self) -> str:
        """The full sentence with its fixes written in its style."""
        return f"{self._lead()}{self.said}{self.fix_text()}"

    @property
    def short(self) -> str:
        """The short line with its fixes written in its style."""
        return f"{self._lead()}{self.brief}{self.fix_text()}"

    def written(self, style: FixStyle) -> Hint:
        """The same hint read where `style` says (headless: FLAGS, a compare: `.comparing(fields)`)."""
        return replace(self, style=style)

    def held_by(self, who: str) -> Hint:
        """The same hint said of some variants of a compare: `a gain 0.5: …`."""
        return replace(self, who=who)

    def _lead(self) -> str:
        return f"{self.who}: " if self.who else ""


# ---- the fixes the rules name -----------------------------------------------------------------


def gain_fix(gain: float, target: float) -> Fix:
    """The gain `target`, with the presses of g (5/3 → 1 → 0.5 → 3) that reach it from `gain`."""
    presses, value = 0, gain
    while presses < 4 and not math.isclose(value, target):
        value, presses = next_gain(value), presses + 1
    return Fix("gain", target, f"gain {format_gain(target)}", presses if math.isclose(value, target) else 0)


BATCHNORM_ON = Fix("batchnorm", True, "BatchNorm on")
KAIMING_INIT = Fix("init", "kaiming", "Kaiming init")
OUTPUT_SHRINK = Fix("output_scale", 0.1, "output scale 0.1")
LOWER_LR = Fix("lr", 0.5, "lower lr")
RAISE_LR = Fix("lr", 2.0, "raise lr")
RERUN = Fix("rerun", None, "rerun")
