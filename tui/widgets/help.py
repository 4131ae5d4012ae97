"""The `?` help screen: every key, what each panel shows, and what the hints mean."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

LIVE_KEYS = [
    ("space", "pause / resume training"),
    ("n", "one step while paused, with its statistics"),
    ("b", "toggle BatchNorm and rerun (same seed: a clean A/B)"),
    ("g", "cycle the gain 5/3 → 1 → 0.5 → 3 and rerun"),
    ("r", "rerun with the current settings"),
    ("+ / -", "learning rate ×2 / ÷2, live (kept for reruns)"),
    ("e", "evaluate train/val loss now"),
    ("s", "sample names from the model now"),
]
REPLAY_KEYS = [
    ("← / →", "previous / next statistics record"),
    ("pgup / pgdn", "10 records back / forward (also shift+←/→)"),
    ("home / end", "first / last record"),
    ("space", "play / pause the replay"),
]
COMMON_KEYS = [
    ("1 … 8", "show that panel (zoomed when all panels fit)"),
    ("tab / shift+tab", "next / previous panel"),
    ("z, escape", "zoom the current panel / all panels again"),
    ("m", "saturation map: next tanh layer"),
    ("ctrl+p", "command palette: every action, searchable"),
    ("?", "this help (escape closes it)"),
    ("q, ctrl+c", "quit (the run log ends with run_end)"),
]
# (panel, what it shows): the text wraps under its own column.
PANELS = [
    (
        "1 saturation",
        "% of tanh outputs with |t|>0.97 per layer, yellow past 5%; the faint ┃ and column are the previous "
        "run at the same step (A/B after b, g or r)",
    ),
    ("2 activations", "histograms of every tanh layer's output on shared bins in [-1, 1]"),
    ("3 gradients", "histograms of the gradients at the tanh outputs, shared symmetric bins"),
    ("4 weights", "per 2-D parameter: gradient mean and std, grad:data, update:data (log10)"),
    (
        "5 update:data",
        "log10 of (lr·grad).std / data.std over steps; near −3 (dotted) the weights learn at a sane rate",
    ),
    ("6 loss", "log-scale loss, mean per stats window; ● train and ◆ val evaluations; the previous run faint"),
    (
        "7 map",
        "|t|>0.99 per example (row) × neuron (column) of one layer; a white column is a dead neuron, "
        "saturated for the whole batch: it never learns",
    ),
    ("8 samples", "names sampled from the model"),
]
HINTS = (
    "Hints (⚠) are the lecture's rules of thumb: a layer > 5% saturated, update:data more than a "
    "decade off −3, gradient std changing > 3× across depth, activations shrinking toward zero with "
    "depth, dead neurons over several ticks, an initial loss far above −log(1/vocab). Each names "
    "the likely fix and its key."
)


def _key_table(title: str, rows: list[tuple[str, str]], colour: str = "#f28e2b") -> Table:
    table = Table.grid(padding=(0, 2))
    table.title = title
    table.title_style = "bold"
    table.title_justify = "left"
    table.add_column(style=f"bold {colour}", no_wrap=True, min_width=15)
    table.add_column()
    for name, meaning in rows:
        table.add_row(name, meaning)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and panels explained; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "close help"),
    ]

    def __init__(self, replay: bool = False):
        super().__init__()
        self.replay = replay

    def compose(self) -> ComposeResult:
        title = Text.assemble(("makemore-tui", "bold #4e79a7"), " · the deep tanh MLP of makemore part 3, live\n")
        keys = _key_table("Replay keys" if self.replay else "Training keys", REPLAY_KEYS if self.replay else LIVE_KEYS)
        body = Group(
            title,
            keys,
            Text(""),
            _key_table("Screen keys", COMMON_KEYS),
            Text(""),
            _key_table("Panels", PANELS, "#4e79a7"),
            Text(""),
            Text(HINTS),
        )
        with VerticalScroll(id="help-body"):
            yield Static(body)
