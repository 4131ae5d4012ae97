"""The compare picker (key c): the lecture's comparisons as presets, or any FIELD=V1,V2,… (DESIGN §7).

It builds the variants (core.compare.parse_compare over the variant on screen) and hands them to the
app, which reruns them in lockstep; a spec the config refuses is said in the picker, which stays open.
Before enter it says what would run: the variants, what they share, and what they keep from the variant
on screen that the lecture's defaults would not (an lr of 0.001 carried into "BatchNorm on / off").
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from makemore_tui.core.compare import Variant, parse_compare, single
from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.modelconfig import key_refusal, model_compare, run_knobs
from makemore_tui.core.text import printable
from makemore_tui.core.wording import AXES, describe
from makemore_tui.tui.state import VARIANT_KEYS

LEAVE = "single"  # the option id that leaves the compare


@dataclass(frozen=True)
class Preset:
    """One of the lecture's comparisons: what it is called and the --compare specs it trains."""

    id: str  # the palette action's argument
    title: str  # shown in the picker and the command palette
    specs: tuple[str, ...]  # --compare specs over the base config
    base: Mapping[str, object] = field(default_factory=dict)  # fields set on the base first (the lecture's setup)
    why: str = ""  # what the comparison shows, for the palette's help line


PRESETS: tuple[Preset, ...] = (
    Preset(
        "batchnorm", "BatchNorm on / off", ("batchnorm=on,off",), why="BatchNorm pins every layer's pre-activations"
    ),
    Preset(
        "gains",
        "gains 0.5 · 1 · 5/3 · 3 (no BN)",
        ("gain=0.5,1,5/3,3",),
        {"batchnorm": False},
        "too small shrinks the activations with depth, too big saturates them; 5/3 keeps them level",
    ),
    Preset(
        "activation",
        "tanh / linear (no BN)",
        ("activation=tanh,linear",),
        {"batchnorm": False},
        "without tanh the net is one linear map; its right gain is 1",
    ),
)
PRESET_IDS = {preset.id: preset for preset in PRESETS}


def compare_variants(specs: Sequence[str], base: TrainConfig) -> list[Variant]:
    """The variants of FIELD=V1,V2,… `specs` over `base`: a --model run's over its build's knobs (typed by their
    values now; a field build does not take is refused, saying so). Raises ConfigError (one line)."""
    return model_compare(specs, base) if base.model else parse_compare(specs, base)


def fits(preset: Preset, base: TrainConfig) -> bool:
    """Whether `base` takes the preset (a --model file's build has its fields): the picker offers only those."""
    try:
        preset_variants(preset, base)
    except ConfigError:
        return False
    return True


def preset_variants(preset: Preset, base: TrainConfig) -> list[Variant]:
    """The preset's variants over `base`. Raises ConfigError when the base refuses them (a --model file whose
    build does not take the preset's fields)."""
    refused = key_refusal(base, preset.base)  # a --model run: "mynet.py's build() takes no batchnorm"
    if refused:
        raise ConfigError(f"--compare: {refused}")  # as a spec of that field is refused
    return compare_variants(preset.specs, base.replace(**preset.base))


def spec_fields(base: TrainConfig) -> str:
    """The fields a spec may vary over `base`, for the picker's hint: a --model run's knobs, else the built-in's."""
    if not base.model:
        return f"fields: {', '.join(AXES)}"
    return f"{printable(os.path.basename(base.model))}'s knobs: {', '.join(run_knobs(base)) or 'none'} · lr"


def what_runs(variants: Sequence[Variant], fixed: Mapping[str, object] | None = None) -> str:
    """What enter would run, in two or three lines: `runs a BN on · b BN off`, what every variant shares
    (`each: gain 5/3 · lr 0.001 · …`), and the shared settings that are not the lecture's defaults
    (with `fixed`, a preset's own fields, applied to them): those come from the variant on screen."""
    parts = [describe(variant.config.to_dict()).split(" · ") for variant in variants]
    shared = [part for part in parts[0] if all(part in others for others in parts[1:])]
    if len(variants) == 1:
        return f"runs the variant shown as a single run: {' · '.join(shared)}"
    labels = " · ".join(f"{key} {variant.label}" for key, variant in zip(VARIANT_KEYS, variants))
    lines = [f"runs {labels}", f"each: {' · '.join(shared)}"]
    lecture = set(describe(TrainConfig().replace(**(fixed or {})).to_dict()).split(" · "))
    kept = [] if variants[0].config.model else [part for part in shared if part not in lecture]  # a file's: its own
    if kept:
        lines.append(f"kept from the variant shown (not the lecture's default): {' · '.join(kept)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Choice:
    """What the picker chose: the variants to train (one: leave the compare) and whether to start paused."""

    variants: tuple[Variant, ...]
    paused: bool
    what: str  # for the status line


class ComparePicker(ModalScreen[Choice | None]):
    """Choose a comparison; enter starts it, escape leaves things as they are."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "cancel"),
        Binding("up", "highlight(-1)", show=False),  # from the spec box: the presets' arrows
        Binding("down", "highlight(1)", show=False),
    ]
    # Typing goes straight into the spec box: every key of a burst lands there, none while the focus moves.
    AUTO_FOCUS = "#picker-spec"
    DEFAULT_CSS = """
    ComparePicker { align: center middle; }
    ComparePicker > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; border-title-color: $accent; background: $surface; padding: 0 1;
    }
    ComparePicker OptionList, ComparePicker OptionList:focus { height: auto; max-height: 8; border: none; padding: 0; }
    ComparePicker Input { border: none; height: 1; padding: 0 1; background: $boost; }
    ComparePicker Input:focus { border: none; background: $primary 30%; }
    ComparePicker Checkbox { border: none; padding: 0; }
    ComparePicker .picker--dim { color: $text-muted; }
    ComparePicker #picker-error { color: $text-error; }
    """

    def __init__(self, base: TrainConfig, *, comparing: bool, paused: bool):
        super().__init__()
        self.base = base  # the variant on screen: presets and specs vary it
        self.comparing = comparing  # offer to leave the compare
        self.start_paused = paused
        self.seen_key: events.Key | None = None  # the last key that came through this screen (on_key)

    def compose(self) -> ComposeResult:
        offered = [preset for preset in PRESETS if not self.base.model or fits(preset, self.base)]
        options = [Option(f"{preset.title}   {' '.join(preset.specs)}", id=preset.id) for preset in offered]
        if self.comparing:
            options.append(Option("single run: leave the compare (the variant shown)", id=LEAVE))
        with Vertical() as box:
            box.border_title = "compare · variants train side by side on the same minibatches"
            yield Static(f"over the variant shown: {describe(self.base.to_dict())}", classes="picker--dim")
            yield OptionList(*options, id="picker-presets")
            fields = f"or FIELD=V1,V2,… (a grid: two specs) · {spec_fields(self.base)}"
            yield Static(fields, id="picker-fields", classes="picker--dim", markup=False)
            yield Input(
                placeholder="e.g. gain=0.5,1,5/3,3   or   lr=0.05,0.1,0.2 batchnorm=on,off",
                id="picker-spec",
                select_on_focus=False,  # a character typed on the presets is not selected, then overwritten
            )
            yield Checkbox("start paused at step 0 (n steps, space runs)", self.start_paused, id="picker-paused")
            yield Static("", id="picker-preview", markup=False)  # holds what was typed: never markup
            yield Static("", id="picker-error", markup=False)
            yield Static("↑↓ enter: a preset · type: a spec · tab moves · escape cancels", classes="picker--dim")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self._preview()

    def action_highlight(self, step: int) -> None:
        """↑↓ from the spec box (or the checkbox) move the presets' highlight; enter on an empty box runs it."""
        presets = self.query_one(OptionList)
        presets.action_cursor_down() if step > 0 else presets.action_cursor_up()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._preview()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._preview()

    def _preview(self) -> None:
        """Say what enter would run now: the spec typed (when the spec box has the focus and holds one) or the
        preset highlighted."""
        text = ""
        specs = self.query_one("#picker-spec", Input).value.split()
        if isinstance(self.focused, Input) and specs:
            text = self._described(lambda: compare_variants(specs, self.base))
        else:
            option = self.query_one(OptionList).highlighted_option
            if option is not None and option.id == LEAVE:
                text = what_runs(single(self.base))
            elif option is not None:
                preset = PRESET_IDS[option.id]
                text = self._described(lambda: preset_variants(preset, self.base), preset.base)
        self.query_one("#picker-preview", Static).update(text)

    @staticmethod
    def _described(make, fixed: Mapping[str, object] | None = None) -> str:
        try:
            return what_runs(make(), fixed)
        except ConfigError as error:
            return f"enter would refuse: {error}"

    def on_key(self, event: events.Key) -> None:
        """A character typed on the presets or the checkbox goes on the spec in the box, which takes the focus.

        The box inserts what it gets and stops it, so any printable key that reaches the screen went elsewhere:
        it is taken whatever has the focus now (a key can arrive while the focus moves)."""
        self.seen_key = event  # it came through this screen: the app leaves it alone (take_key)
        if not event.is_printable or event.character in (None, " "):
            return
        event.stop()
        event.prevent_default()
        self.take_key(event.character)

    def take_key(self, character: str) -> None:
        """`character` goes on the spec in the box, which takes the focus (also a key typed just after c, which
        Textual gave the screen below before this one was up: the app hands it over, tui/keys.py)."""
        spec = self.query_one("#picker-spec", Input)
        spec.insert_text_at_cursor(character)
        self.set_focus(spec)

    @property
    def paused(self) -> bool:
        return self.query_one("#picker-paused", Checkbox).value

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        """Run the preset `option_id` (or leave the compare)."""
        if option_id == LEAVE:
            self.dismiss(Choice(tuple(single(self.base)), self.paused, "single run"))
            return
        preset = PRESET_IDS[option_id]
        self._choose(lambda: preset_variants(preset, self.base), preset.title)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        specs = event.value.split()
        option = self.query_one(OptionList).highlighted_option
        if not specs and option is not None:  # enter on an empty box: the preset highlighted
            self._pick(option.id)
            return
        if not specs:
            self.say("type FIELD=V1,V2,… (e.g. gain=0.5,1,5/3,3), or pick a preset above")
            return
        self._choose(lambda: compare_variants(specs, self.base), " ".join(specs))

    def _choose(self, make, what: str) -> None:
        try:
            variants = make()
        except ConfigError as error:
            self.say(str(error))
            return
        self.dismiss(Choice(tuple(variants), self.paused, what))

    def say(self, text: str) -> None:
        """A refusal in the picker (it stays open): it replaces the preview, which said it already."""
        self.query_one("#picker-preview", Static).update("")
        self.query_one("#picker-error", Static).update(text)
