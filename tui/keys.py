"""The app's keys: every binding, which action each key runs, and the command palette's entries.

The feed decides which of the feed actions (tui/feed.py FEED_ACTIONS) mean something; the
panel keys come from the panel registry.
"""

from __future__ import annotations

from textual.binding import Binding

from makemore_tui.tui.panels import PANELS
from makemore_tui.tui.widgets.picker import palette_entries

LR_KEYS = Binding.Group("lr ×2 ÷2 ", compact=True)  # the space: compact labels have no margin
SEEK_KEYS = Binding.Group("move ", compact=True)
RUN_KEYS = Binding.Group("run ", compact=True)
SPEED_KEYS = Binding.Group("speed ", compact=True)
BINDINGS = [
    Binding("question_mark", "help", "help", key_display="?"),
    Binding("q", "quit", "quit"),
    # space pauses training, or plays a replay: one binding each, the feed's shown (MakemoreApp.check_action)
    Binding("space", "pause('train')", "pause", key_display="space"),
    Binding("space", "pause('play')", "play", key_display="space"),
    Binding("n", "step", "step"),
    Binding("b", "toggle_batchnorm", "BN"),
    Binding("g", "cycle_gain", "gain"),
    # The lecture's other experiments (DESIGN §8), each a rerun like b.
    Binding("t", "toggle_activation", "tanh/lin"),
    Binding("i", "toggle_init", "init"),
    Binding("o", "toggle_output_scale", "out"),
    Binding("r", "rerun", "rerun"),
    Binding("plus,equals_sign", "scale_lr(2.0)", "lr×2", key_display="+", group=LR_KEYS),
    Binding("minus", "scale_lr(0.5)", "lr÷2", key_display="-", group=LR_KEYS),
    Binding("e", "evaluate", "eval"),
    Binding("s", "sample", "sample"),
    Binding("left", "seek(-1)", "back", key_display="←", group=SEEK_KEYS),
    Binding("right", "seek(1)", "fwd", key_display="→", group=SEEK_KEYS),
    Binding("shift+left,pageup", "seek(-10)", "−10", show=False),
    Binding("shift+right,pagedown", "seek(10)", "+10", show=False),
    Binding("home", "seek_to('start')", "first", key_display="home"),
    Binding("end", "seek_to('end')", "last", key_display="end"),
    # Replay navigation: runs, a step, the playing speed.
    Binding("left_square_bracket", "seek_run(-1)", "previous run", key_display="[", group=RUN_KEYS),
    Binding("right_square_bracket", "seek_run(1)", "next run", key_display="]", group=RUN_KEYS),
    Binding("colon", "go_to_step", "step", key_display=":"),
    Binding("less_than_sign", "play_speed(0.5)", "slower", key_display="<", group=SPEED_KEYS),
    Binding("greater_than_sign", "play_speed(2.0)", "faster", key_display=">", group=SPEED_KEYS),
    Binding("m", "next_map_layer", "map"),
    # Panel modes: the weight-gradient histograms, the histograms over steps.
    Binding("w", "cycle_weights_view", "wts"),
    Binding("h", "cycle_history_kind", "act/grad"),
    Binding("z", "zoom", "zoom"),
    Binding("escape", "unzoom", "all panels", show=False),
    Binding("tab", "next_panel(1)", "next panel", show=False, priority=True),
    Binding("shift+tab", "next_panel(-1)", "previous panel", show=False, priority=True),
    *[Binding(spec.key, f"show_panel({i})", spec.label, show=False) for i, spec in enumerate(PANELS)],
    Binding("ctrl+c", "quit", "quit", show=False, priority=True),
]
# ---- compare (DESIGN §7): start or leave one, what its panels show, and reruns paused at step 0 ----
COMPARE_BINDINGS = [
    Binding("c", "open_compare", "compare"),
    Binding("C", "leave_compare", "single run", show=False),  # the panels and the picker say these keys
    Binding("v", "next_variant", "variant", show=False),
    Binding("l", "next_hist_layer", "layer", show=False),
    Binding("y", "toggle_hist_scale", "y scale", show=False),
    Binding("R", "rerun_paused", "rerun paused", show=False),
]
# Keys that act on what a compare shows: the app refuses them (and says why) outside a compare.
COMPARE_VIEW_ACTIONS = frozenset({"next_variant", "next_hist_layer", "toggle_hist_scale"})
COMPARE_ONLY_ACTIONS = COMPARE_VIEW_ACTIONS | {"leave_compare"}  # said "for a compare" outside one
BINDINGS += COMPARE_BINDINGS
# key -> the name of the action it runs, to say why a key the feed cannot act on does nothing
KEY_ACTIONS = {key: binding.action.split("(")[0] for binding in BINDINGS for key in binding.key.split(",")}
# (title, help, action) of the command palette's entries; the pause entry is the feed's
PALETTE = [
    ("Toggle BatchNorm and rerun", "b: same seed, BatchNorm flipped", "toggle_batchnorm"),
    ("Cycle gain and rerun", "g: 5/3 → 1 → 0.5 → 3", "cycle_gain"),
    ("Toggle tanh ↔ linear and rerun", "t: the lecture's linear sandwich (its right gain is 1)", "toggle_activation"),
    ("Toggle init Kaiming ↔ normal and rerun", "i: randn/√fan_in·gain, or plain randn", "toggle_init"),
    ("Toggle output scale 0.1 ↔ 1 and rerun", "o: the output layer's shrink at init", "toggle_output_scale"),
    ("Rerun", "r: a new run with the current settings", "rerun"),
    ("Step once", "n: one step while paused", "step"),
    ("Learning rate ×2", "+", "scale_lr(2.0)"),
    ("Learning rate ÷2", "-", "scale_lr(0.5)"),
    ("Evaluate now", "e: train/val loss", "evaluate"),
    ("Sample names", "s", "sample"),
    ("Previous run", "[: the replay's previous run", "seek_run(-1)"),
    ("Next run", "]: the replay's next run", "seek_run(1)"),
    ("Go to step", ":", "go_to_step"),
    ("Play slower", "<", "play_speed(0.5)"),
    ("Play faster", ">", "play_speed(2.0)"),
    ("Saturation map: next layer", "m", "next_map_layer"),
    ("Weights: table ↔ gradient histograms", "w", "cycle_weights_view"),
    ("History: activations ↔ gradients", "h", "cycle_history_kind"),
    (
        "Runs table",
        "0: every run so far (a replay: to the cursor)",
        f"show_panel({len(PANELS) - 1})",
    ),
    ("Zoom panel", "z", "zoom"),
    ("Help", "?: keys and panels", "help"),
]
# the compare's entries: the picker, the lecture's comparisons as presets (tui/widgets/picker.py), leaving it
PALETTE += [
    ("Compare…", "c: variants side by side in lockstep, a preset or FIELD=V1,V2,…", "open_compare"),
    *palette_entries(),
    ("Leave the compare", "C: the variant shown (v) as a single run", "leave_compare"),
    ("Rerun paused at step 0", "R: the init's statistics on screen; n steps, space runs", "rerun_paused"),
    ("Next variant", "v: the variant the map and samples show (a compare)", "next_variant"),
    ("Histograms: next layer", "l: the layer the histograms show (a compare)", "next_hist_layer"),
    ("Histograms: own ↔ shared y scale", "y: each variant's y scale, or one for all (a compare)", "toggle_hist_scale"),
]
