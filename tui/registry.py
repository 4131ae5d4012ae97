"""The one registry of the app's actions: per action its keys, footer label, palette entry, `?` help
row and the one rule that says whether it is allowed here.

The bindings, the footer, the keys panel, the command palette, the `?` help and every refusal of a
key derive from `ACTIONS` (tui/keys.py builds the Textual side). Adding a key is one `Action` here and
one `action_*` method on the app; tests/app/test_app_registry.py checks both ways.

A rule reads two things, both data: what the feed can do (`Capabilities`: a live trainer, a replay of
a finished log, a followed log with or without control of its trainer) and the run (`Run`: compare or
single, the fields a compare varies, the fields the run's model takes). It returns None (allowed) or
a `Refusal`: the one line the status line says when the key is pressed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

from textual.actions import parse

from makemore_tui.core.config import TrainConfig, next_gain
from makemore_tui.core.modelconfig import key_refusal
from makemore_tui.core.usermodel import takes_no
from makemore_tui.core.wording import label
from makemore_tui.tui.capabilities import FOLLOW, NO_CURSOR, REPLAY, Capabilities, no_control
from makemore_tui.tui.panels import PANELS
from makemore_tui.tui.widgets.panel import key_span
from makemore_tui.tui.widgets.picker import PRESET_IDS, PRESETS

BUILT_IN_FIELDS = frozenset({"batchnorm", "gain", "activation", "init", "output_scale"})  # the lecture's net's knobs


def model_fields(config: TrainConfig | None) -> frozenset[str]:
    """The config fields the run's model takes: a --model file's build's (its `model_fields`), else the
    built-in net's."""
    return frozenset(config.model_fields) if config is not None and config.model else BUILT_IN_FIELDS


@dataclass(frozen=True)
class Run:
    """The run the keys act on."""

    shown_compare: bool = False  # the run on screen is a compare (v, l choose what its panels show)
    compare: bool = False  # the next rerun trains a compare (C leaves it)
    compared: frozenset[str] = frozenset()  # the config fields that compare varies
    fields: frozenset[str] = BUILT_IN_FIELDS  # the config fields the run's model takes (a user's model: its knobs)
    config: TrainConfig | None = None  # the config a field key turns (a compare: variant 0's)

    def opened(self) -> Run:
        """The run as the `?` help sees it: any compare could be on screen (it lists v and l)."""
        return replace(self, shown_compare=True, compare=True, compared=frozenset())


class Refusal(NamedTuple):
    """Why a key does nothing here."""

    reason: str  # one line for the status line
    # the footer, keys panel and palette leave the key out; False: they keep it (b, g… while a compare
    # varies that field: the key is this feed's, the compare's axis refuses it) and pressing it says why
    hides: bool = True


Rule = Callable[["Action", Capabilities, Run], "Refusal | None"]

# ---- the rules: each reads the action's own data (its key, its field) and returns None or a Refusal ----


def always(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    return None


def trains(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """A key that asks a trainer in this process (reruns, lr, eval, sample, compares)."""
    return None if caps.trainer else Refusal(no_control(caps))


def controls(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """space, n and e: pause, resume or step the training, or ask for its statistics."""
    return None if caps.control else Refusal(no_control(caps))


def seeks(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """A key that moves a cursor through recorded records."""
    return None if caps.cursor else Refusal(NO_CURSOR)


def plays(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """space playing a replay: where space pauses the training, that is space's other binding."""
    if caps.control:
        return Refusal("space pauses the training here")
    return seeks(action, caps, run)


def maps(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """A key for the saturation maps, which only a trainer in this process sends."""
    return None if caps.trainer else Refusal(f"{action.key}: maps are live only (run logs keep none)")


def speeds(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """< and >: the speed space plays a replay at; a followed log shows records as they are written."""
    if caps.control and caps.cursor:
        return Refusal(f"{action.key_display}: a followed log shows its records as they are written")
    return seeks(action, caps, run)


def stops(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """X: stop the training a followed log's writer runs (its control); in the app's own training q ends it."""
    if caps.control and caps.cursor:
        return None
    return Refusal("X: for a followed log (replay --follow); q ends this run")


def views_compare(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """A key that chooses what a compare's panels show."""
    return None if run.shown_compare else Refusal(f"{action.key}: for a compare (c starts one)")


def leaves_compare(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """A training key that leaves the compare the trainer runs."""
    if not caps.trainer:
        return Refusal(no_control(caps))
    return None if run.compare else Refusal(f"{action.key}: for a compare (c starts one)")


def turns(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """A training key that turns one field of the config (`action.field`) and reruns."""
    if not caps.trainer:
        return Refusal(no_control(caps))
    field, config = action.field, run.config
    value, said = turned(field, config) if config is not None else (None, "")
    # a --model file's build decides which knobs it takes and which values fit them
    model_says = key_refusal(config, {field: value}) if config is not None else None
    if model_says or field not in run.fields:
        return Refusal(model_says or f"{action.key}: this model has no {field}")
    if field in run.compared:
        return Refusal(f"{said} refused: this compare varies {field} · C leaves it", hides=False)
    return None


def compares(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """A preset compare of the palette (`action.arguments`: its id): its fields must be the model's."""
    if not caps.trainer:
        return Refusal(no_control(caps))
    preset = PRESET_IDS[action.arguments[0]]
    fields = [*preset.base, *(spec.partition("=")[0] for spec in preset.specs)]
    missing = next((field for field in fields if field not in run.fields), None)
    if missing is None:
        return None
    model = run.config.model if run.config is not None else None
    return Refusal(str(takes_no(os.path.basename(model), missing)) if model else f"this model has no {missing}")


# what each field's key turns it to next, from its value now
TURNS: dict[str, Callable[[object], object]] = {
    "batchnorm": lambda on: not on,
    "gain": next_gain,  # 5/3 → 1 → 0.5 → 3
    "activation": lambda name: "linear" if name == "tanh" else "tanh",  # the lecture's linear sandwich
    "init": lambda name: "normal" if name == "kaiming" else "kaiming",  # plain randn, the lecture's first draft
    "output_scale": lambda scale: 1.0 if math.isclose(scale, 0.1) else 0.1,  # any other value → 0.1
}


def turned(field: str, config: TrainConfig) -> tuple[object, str]:
    """The value `field`'s key turns `config`'s value to, and its words ("gain 3", "BN off"); (None, "") where no
    turn fits the value (a --model knob of another type: key_refusal says so)."""
    try:
        value = TURNS[field](getattr(config, field))
    except (TypeError, ValueError):  # a --model knob of another type (build(output_scale="small")): no turn fits
        return None, ""
    return value, label(field, value)


@dataclass(frozen=True)
class Action:
    """One action of the app: what runs, its keys, and where the screen names it."""

    id: str  # a stable name (the binding's id, for keymaps)
    action: str  # what runs: an `action_*` method of the app and its arguments ("seek(-1)")
    keys: str = ""  # Textual key names, comma-separated ("": the palette's or the help's only)
    label: str = ""  # the footer's and keys panel's word
    rule: Rule = always  # allowed here? None, or the Refusal said when the key is pressed
    key_display: str | None = None  # the key as the footer shows it (None: Textual's name for it)
    group: str = ""  # a compact footer group's label, shared by its neighbours ("lr ×2 ÷2 ")
    show: bool = True  # in the footer (the keys panel lists every key)
    priority: bool = False  # before any widget's own binding of the key
    main_screen: bool = False  # only on the main screen: on the picker or help, the key is theirs (tab)
    palette: str = ""  # the command palette's title ("": not in the palette)
    palette_help: str = ""  # the palette's line under the title, after the key
    help: str = ""  # the `?` help's row ("": none, or the row of the action before says it too)
    help_on: tuple[tuple[Capabilities, str], ...] = ()  # the row over a feed of those capabilities, where it differs
    help_key: str = ""  # the row's keys, when it names more than this action's ("+ / -")
    screen: bool = False  # a key of the screen, not of the feed (the help's "Screen keys")
    field: str = ""  # the config field the key turns (TURNS) before a rerun (b, g, t, i, o)

    @property
    def key(self) -> str:
        """The key as the screen names it: `?`, `space`, `C`."""
        return self.key_display or self.keys.split(",")[0]

    @property
    def name(self) -> str:
        """The action's name: its method is `action_<name>`."""
        return parse(self.action)[1]

    @property
    def arguments(self) -> tuple[object, ...]:
        return parse(self.action)[2]


LR, SEEK, RUNS, SPEED = "lr ×2 ÷2 ", "move ", "run ", "speed "  # compact footer groups (the space: no margin)


def _panel_actions() -> list[Action]:
    """1–9, 0: one key per panel (tui/panels.py); the runs table is in the palette too."""
    actions = []
    for i, spec in enumerate(PANELS):
        runs = spec.id == "runs"
        actions.append(
            Action(
                f"panel_{spec.key}",
                f"show_panel({i})",
                spec.key,
                spec.label,
                show=False,
                screen=True,
                palette="Runs table" if runs else "",
                palette_help="every run so far (a replay: to the cursor)" if runs else "",
                help="show that panel (zoomed when all panels fit)" if i == 0 else "",
                help_key=key_span(PANELS, " … ") if i == 0 else "",
            )
        )
    return actions


def _preset_actions() -> list[Action]:
    """The palette's compares: the lecture's comparisons (tui/widgets/picker.py PRESETS)."""
    return [
        Action(
            f"compare_{preset.id}",
            f"compare_preset('{preset.id}')",
            rule=compares,
            palette=f"Compare: {preset.title}",
            palette_help=f"c · {' '.join(preset.specs)}: {preset.why}",
        )
        for preset in PRESETS
    ]


def _turn(id: str, key: str, label: str, field: str, palette: str, palette_help: str, help: str) -> Action:
    """A key that turns one field of the config and reruns with the same seed."""
    return Action(id, id, key, label, turns, field=field, palette=palette, palette_help=palette_help, help=help)


# In footer order; the `?` help lists each table's rows in this order too.
# fmt: off
ACTIONS: tuple[Action, ...] = (
    Action("help", "help", "question_mark", "help", key_display="?", screen=True, palette="Help",
           palette_help="keys and panels", help="this help (escape closes it)"),
    Action("quit", "quit", "q", "quit", screen=True, help="quit (the run log ends with run_end)",
           help_key="q, ctrl+c", help_on=((REPLAY, "quit the replay (the log is only read)"),
                                             (FOLLOW, "quit the viewer: the training goes on"))),
    # space pauses training, or plays a replay: one binding each, the feed's shown
    Action("pause", "pause('train')", "space", "pause", controls, key_display="space",
           palette="Pause / resume training", help="pause / resume training",
           help_on=((FOLLOW, "pause / resume the training, where its writer offers control (else: read-only)"),)),
    Action("play", "pause('play')", "space", "play", plays, key_display="space",
           palette="Play / pause the replay", help="play / pause the replay"),
    Action("step", "step", "n", "step", controls, palette="Step once", palette_help="one step while paused",
           help="one step while paused, with its statistics",
           help_on=((FOLLOW, "one training step while paused (control only)"),)),
    Action("stop_training", "stop_training", "X", "stop", stops, show=False, palette="Stop the training",
           palette_help="ask the followed log's writer to stop training (a Monitor's loop: stop_requested)",
           help="X, then X again: stop the training (a headless run ends; a Monitor's loop sees stop_requested)",
           help_key="X X"),
    _turn("toggle_batchnorm", "b", "BN", "batchnorm", "Toggle BatchNorm and rerun", "same seed, BatchNorm flipped",
          "toggle BatchNorm and rerun (same seed: a clean A/B)"),
    _turn("cycle_gain", "g", "gain", "gain", "Cycle gain and rerun", "5/3 → 1 → 0.5 → 3",
          "cycle the gain 5/3 → 1 → 0.5 → 3 and rerun"),
    # the lecture's other experiments (DESIGN §8), each a rerun like b
    _turn("toggle_activation", "t", "tanh/lin", "activation", "Toggle tanh ↔ linear and rerun",
          "the lecture's linear sandwich (its right gain is 1)",
          "tanh ↔ linear (the lecture's linear sandwich: its right gain is 1) and rerun"),
    _turn("toggle_init", "i", "init", "init", "Toggle init Kaiming ↔ normal and rerun",
          "randn/√fan_in·gain, or plain randn",
          "init Kaiming (randn/√fan_in·gain) ↔ normal (plain randn: the lecture's first draft) and rerun"),
    _turn("toggle_output_scale", "o", "out", "output_scale", "Toggle output scale 0.1 ↔ 1 and rerun",
          "the output layer's shrink at init",
          "output layer's shrink at init 0.1 ↔ 1 (init normal and 1: loss 22.1 here, 19.5 on names.txt) and rerun"),
    Action("rerun", "rerun", "r", "rerun", trains, palette="Rerun", palette_help="a new run with the current settings",
           help="rerun with the current settings"),
    Action("lr_up", "scale_lr(2.0)", "plus,equals_sign", "lr×2", trains, key_display="+", group=LR,
           palette="Learning rate ×2", help="learning rate ×2 / ÷2, live (kept for reruns)", help_key="+ / -"),
    Action("lr_down", "scale_lr(0.5)", "minus", "lr÷2", trains, key_display="-", group=LR, palette="Learning rate ÷2"),
    Action("evaluate", "evaluate", "e", "eval", controls, palette="Evaluate now", palette_help="train/val loss",
           help="evaluate train/val loss now",
           help_on=((FOLLOW, "statistics at the training's next step (control only)"),)),
    Action("sample", "sample", "s", "sample", trains, palette="Sample names", help="sample names from the model now"),
    # a replay's cursor: a record, ten, the first and last, a run, a step typed at a prompt, the playing speed
    Action("back", "seek(-1)", "left", "back", seeks, key_display="←", group=SEEK,
           help="previous / next statistics record", help_key="← / →"),
    Action("forward", "seek(1)", "right", "fwd", seeks, key_display="→", group=SEEK),
    Action("back_10", "seek(-10)", "shift+left,pageup", "−10", seeks, show=False,
           help="10 records back / forward (also shift+←/→)", help_key="pgup / pgdn"),
    Action("forward_10", "seek(10)", "shift+right,pagedown", "+10", seeks, show=False),
    Action("first", "seek_to('start')", "home", "first", seeks, key_display="home", help="first / last record",
           help_key="home / end",
           help_on=((FOLLOW, "the first record / back to live: the newest record, following the log as it grows"),)),
    Action("last", "seek_to('end')", "end", "last", seeks, key_display="end"),
    Action("previous_run", "seek_run(-1)", "left_square_bracket", "previous run", seeks, key_display="[",
           group=RUNS, palette="Previous run", palette_help="the replay's previous run",
           help="previous / next run (its end)", help_key="[ / ]"),
    Action("next_run", "seek_run(1)", "right_square_bracket", "next run", seeks, key_display="]", group=RUNS,
           palette="Next run", palette_help="the replay's next run"),
    Action("go_to_step", "go_to_step", "colon", "step", seeks, key_display=":", palette="Go to step",
           help="go to a step: 1200, 12k, 50% of the run, or RUN:STEP (2:500: the log's second run)"),
    Action("slower", "play_speed(0.5)", "less_than_sign", "slower", speeds, key_display="<", group=SPEED,
           palette="Play slower", help="play slower / faster (×1/8 … ×64)", help_key="< / >"),
    Action("faster", "play_speed(2.0)", "greater_than_sign", "faster", speeds, key_display=">", group=SPEED,
           palette="Play faster"),
    # the screen's own keys: panel modes, zoom, panels
    Action("next_map_layer", "next_map_layer", "m", "map", maps, screen=True, palette="Saturation map: next layer",
           help="saturation map: next tanh layer"),
    Action("cycle_activations_view", "cycle_activations_view", "p", "hpreact", show=False, screen=True,
           palette="Activation histograms: t ↔ hpreact",
           palette_help="the tanh output, or its input: the pre-activation (every 20th record)",
           help="activation histograms: the tanh output t / its input hpreact (from every 20th record)"),
    Action("cycle_weights_view", "cycle_weights_view", "w", "wts", screen=True,
           palette="Weights: table ↔ gradient histograms",
           help="weights: the gradient table / the weight-gradient histograms"),
    Action("cycle_history_kind", "cycle_history_kind", "h", "act/grad", screen=True,
           palette="History: activations ↔ gradients", help="history: activations / gradients over steps"),
    Action("zoom", "zoom", "z", "zoom", screen=True, palette="Zoom panel",
           help="zoom the current panel / all panels again", help_key="z, escape"),
    Action("unzoom", "unzoom", "escape", "all panels", show=False, screen=True),
    Action("next_panel", "next_panel(1)", "tab", "next panel", show=False, priority=True, main_screen=True,
           screen=True, help="next / previous panel", help_key="tab / shift+tab"),
    Action("previous_panel", "next_panel(-1)", "shift+tab", "previous panel", show=False, priority=True,
           main_screen=True, screen=True),
    *_panel_actions(),
    Action("quit_ctrl_c", "quit", "ctrl+c", "quit", show=False, priority=True, screen=True),
    Action("suspend", "suspend_process", "ctrl+z", "suspend", show=False, screen=True, palette="Suspend to the shell",
           palette_help="ctrl+z: fg brings the app back", help="suspend to the shell (fg brings the app back)"),
    # Textual binds ctrl+p to its palette: a row of the help only
    Action("command_palette", "command_palette", screen=True, help_key="ctrl+p",
           help="command palette: every action, searchable; themes, screenshot (saved beside the run log)"),
    # compare (DESIGN §7): start or leave one, what its panels show; reruns paused at step 0
    Action("rerun_paused", "rerun_paused", "R", "rerun paused", trains, show=False, palette="Rerun paused at step 0",
           palette_help="the init's statistics on screen; n steps, space runs",
           help="rerun paused at step 0 (n steps, space runs); b, g, r keep a paused run paused"),
    Action("open_compare", "open_compare", "c", "compare", trains, palette="Compare…",
           palette_help="variants side by side in lockstep, a preset or FIELD=V1,V2,…",
           help="compare: variants side by side in lockstep (BatchNorm on/off, gains, tanh/linear…)"),
    *_preset_actions(),
    Action("leave_compare", "leave_compare", "C", "single run", leaves_compare, show=False,
           palette="Leave the compare", palette_help="the variant shown (v) as a single run",
           help="leave the compare: the variant shown (v) as a single run"),
    Action("next_variant", "next_variant", "v", "variant", views_compare, show=False, palette="Next variant",
           palette_help="the variant the map and samples show (a compare)", help_key="v / l",
           help="a compare: the variant the one-variant panels show / the layer of the histograms"),
    Action("next_hist_layer", "next_hist_layer", "l", "layer", views_compare, show=False,
           palette="Histograms: next layer", palette_help="the layer the histograms show (a compare)"),
    Action("toggle_hist_scale", "toggle_hist_scale", "y", "y scale", views_compare, show=False,
           palette="Histograms: own ↔ shared y scale",
           palette_help="each variant's y scale, or one for all (a compare)",
           help="a compare's histograms: each variant on its own y scale / one shared by all"),
)
# fmt: on

_BY_ACTION: dict[tuple[str, tuple], Action] = {}
for _entry in ACTIONS:
    _BY_ACTION.setdefault((_entry.name, _entry.arguments), _entry)
    _BY_ACTION.setdefault((_entry.name, None), _entry)  # the first of that name, for arguments no key gives


def find(name: str, arguments: tuple[object, ...] = ()) -> Action | None:
    """The registry's entry for the action `name(arguments)` (None: not one of the app's, e.g. Textual's own)."""
    return _BY_ACTION.get((name, tuple(arguments))) or _BY_ACTION.get((name, None))


def refusal(action: Action, caps: Capabilities, run: Run) -> Refusal | None:
    """Whether `action` is allowed over a feed that can do `caps` on `run`: None, or why not."""
    return action.rule(action, caps, run)
