"""The app's keys: every binding, which action each key runs, and the command palette's entries.

The feed decides which of the feed actions (tui/feed.py FEED_ACTIONS) mean something; the
panel keys come from the panel registry.
"""

from __future__ import annotations

from textual.binding import Binding

from tui.panels import PANELS
from tui.widgets.picker import palette_entries

LR_KEYS = Binding.Group("lr ×2 ÷2 ", compact=True)  # the space: compact labels have no margin
SEEK_KEYS = Binding.Group("move ", compact=True)
BINDINGS = [
    Binding("question_mark", "help", "help", key_display="?"),
    Binding("q", "quit", "quit"),
    Binding("space", "pause", "pause", key_display="space"),
    Binding("n", "step", "step"),
    Binding("b", "toggle_batchnorm", "BN"),
    Binding("g", "cycle_gain", "gain"),
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
    Binding("m", "next_map_layer", "map"),
    Binding("z", "zoom", "zoom"),
    Binding("escape", "unzoom", "all panels", show=False),
    Binding("tab", "next_panel(1)", "next panel", show=False, priority=True),
    Binding("shift+tab", "next_panel(-1)", "previous panel", show=False, priority=True),
    *[Binding(str(spec.number), f"show_panel({i})", spec.label, show=False) for i, spec in enumerate(PANELS)],
    Binding("ctrl+c", "quit", "quit", show=False, priority=True),
]
# ---- compare (DESIGN §7): start or leave one, what its panels show, and reruns paused at step 0 ----
COMPARE_BINDINGS = [
    Binding("c", "open_compare", "compare"),
    Binding("C", "leave_compare", "single run", show=False),  # the panels and the picker say these keys
    Binding("v", "next_variant", "variant", show=False),
    Binding("l", "next_hist_layer", "layer", show=False),
    Binding("R", "rerun_paused", "rerun paused", show=False),
]
# Keys that act on what a compare shows: the app refuses them (and says why) outside a compare.
COMPARE_VIEW_ACTIONS = frozenset({"next_variant", "next_hist_layer"})
COMPARE_ONLY_ACTIONS = COMPARE_VIEW_ACTIONS | {"leave_compare"}  # said "for a compare" outside one
BINDINGS += COMPARE_BINDINGS
# key -> the name of the action it runs, to say why a key the feed cannot act on does nothing
KEY_ACTIONS = {key: binding.action.split("(")[0] for binding in BINDINGS for key in binding.key.split(",")}
# (title, help, action) of the command palette's entries; the pause entry is the feed's
PALETTE = [
    ("Toggle BatchNorm and rerun", "b: same seed, BatchNorm flipped", "toggle_batchnorm"),
    ("Cycle gain and rerun", "g: 5/3 → 1 → 0.5 → 3", "cycle_gain"),
    ("Rerun", "r: a new run with the current settings", "rerun"),
    ("Step once", "n: one step while paused", "step"),
    ("Learning rate ×2", "+", "scale_lr(2.0)"),
    ("Learning rate ÷2", "-", "scale_lr(0.5)"),
    ("Evaluate now", "e: train/val loss", "evaluate"),
    ("Sample names", "s", "sample"),
    ("Saturation map: next layer", "m", "next_map_layer"),
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
]
