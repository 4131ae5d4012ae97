"""The app's actions beyond the first keys: the lecture's experiments (b, g, t, i, o), replay navigation,
panel modes, and the palette's screenshot and keys panel made to work over SSH.

Mixins of `tui.app.MakemoreApp` (they use its feed, `_send`, `_rerun`, `say` and panels);
kept here so app.py stays the app's frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, HelpPanel, Input, Label

from makemore_tui.core.kinds import record_kinds
from makemore_tui.core.text import printable
from makemore_tui.tui.feed import PlaySpeed, Refused, SeekRun
from makemore_tui.tui.keys import help_tables
from makemore_tui.tui.panels import GRIDS, PANELS
from makemore_tui.tui.registry import turned
from makemore_tui.tui.replay import parse_step
from makemore_tui.tui.widgets.help import HelpScreen, net_words
from makemore_tui.tui.widgets.histogram import HistogramPanel
from makemore_tui.tui.widgets.history import HistoryPanel
from makemore_tui.tui.widgets.satmap import SatMapPanel
from makemore_tui.tui.widgets.weights import WeightsPanel

FOOTER_PALETTE_MIN = 120  # columns the footer needs before it also shows "^p palette" on its right
REPLACED = frozenset({"Keys", "Screenshot"})  # Textual's system commands the app replaces (ScreenTools)


class ExperimentKeys:
    """b, g, t, i, o: one field of the config turned to its next value (tui/registry.py TURNS) and a
    rerun with the same seed: a clean A/B (the lecture's experiments, DESIGN §8)."""

    def _turn(self, field: str) -> None:
        value, said = turned(field, self.feed.config)
        self._rerun(self.feed.config.replace(**{field: value}), said)

    def action_toggle_batchnorm(self) -> None:
        """Flip BatchNorm and rerun."""
        self._turn("batchnorm")

    def action_cycle_gain(self) -> None:
        """Next gain in 5/3, 1, 0.5, 3 and rerun."""
        self._turn("gain")

    def action_toggle_activation(self) -> None:
        """tanh ↔ linear (the lecture's linear sandwich, whose right gain is 1) and rerun."""
        self._turn("activation")

    def action_toggle_init(self) -> None:
        """Kaiming (randn/√fan_in·gain) ↔ normal (plain randn, the lecture's first draft) and rerun."""
        self._turn("init")

    def action_toggle_output_scale(self) -> None:
        """The output layer's shrink at init, 0.1 ↔ 1 (any other value → 0.1), and rerun."""
        self._turn("output_scale")


class StepPrompt(ModalScreen[str | None]):
    """`:` in a replay: one line at the bottom asking for a step; Enter jumps, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    StepPrompt { align: left bottom; background: transparent; }
    StepPrompt > Horizontal { height: 1; width: 100%; background: $panel; }
    StepPrompt Label { padding: 0 1; color: $text-primary; text-style: bold; }
    StepPrompt Input { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("go to step:")
            yield Input(placeholder="1200, 12k, 50%, or RUN:STEP (2:500) · enter jumps · escape cancels", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReplayKeys:
    """[ ] : < >: a replay's runs, a step typed at a prompt, and the playing speed."""

    def action_seek_run(self, delta: int) -> None:
        """The end of the previous (−1) or next (+1) run of the log."""
        self._send(SeekRun(delta))

    def action_play_speed(self, factor: float) -> None:
        """Play `factor` times as fast (2: faster, 0.5: slower)."""
        self._send(PlaySpeed(factor))

    def action_go_to_step(self) -> None:
        """Ask for a step (`:`) and move the cursor there."""
        self.push_screen(StepPrompt(), self._go_to)

    def _go_to(self, text: str | None) -> None:
        if not text or not text.strip():
            return
        try:
            command = parse_step(text)
        except ValueError as error:
            self.say(f"go to step: {error}")
            return
        try:
            self._send(command)
        except Refused as refusal:
            self.say(str(refusal))


class ScreenTools:
    """Panel modes (w, h), and two palette commands Textual ships that fail in this app.

    Screenshot: Textual saves to the user's Downloads folder, absent on most SSH boxes (the
    delivery fails); the app saves beside the run log (a replay: beside the log replayed) and
    says the path in the status line. Keys: Textual's keys panel splits the screen, leaves the
    footer as wide as before on the rest (its docked "^p palette" then lies over the keys) and
    has no key to close it; the app fits the footer to the width left and Escape closes it.
    """

    def action_cycle_activations_view(self) -> None:
        """Activation histograms: the tanh output t ↔ its input hpreact."""
        shown = self.query_one("#activations", HistogramPanel).cycle()
        self.say("panel 2 shows " + ("hpreact, the tanh input" if shown == "hpreact" else "t, the tanh output"))

    def action_cycle_weights_view(self) -> None:
        """Weights panel: the table ↔ the weight-gradient histograms."""
        shown = self.query_one(WeightsPanel).cycle()
        self.say("weights: " + ("gradient histograms" if shown == "histograms" else shown))

    def action_cycle_history_kind(self) -> None:
        """History panel: activations ↔ gradients over steps."""
        self.say(f"history: {self.query_one(HistoryPanel).cycle()} over steps")

    def screen_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette's Keys and Screenshot, done the app's way."""
        if screen.query(HelpPanel):
            yield SystemCommand("Keys", "Hide the keys panel (escape)", self.close_keys_panel)
        else:
            yield SystemCommand("Keys", "Show every key of this screen (escape closes)", self.action_keys_panel)
        yield SystemCommand("Screenshot", "Save an SVG of the screen beside the run log", self._screenshot_soon)

    # ---- keys panel --------------------------------------------------------------------------

    def action_keys_panel(self) -> None:
        """Textual's keys panel on the right; the footer fitted to what is left of the width."""
        if not self.screen.query(HelpPanel):
            self.screen.mount(HelpPanel())
            self.call_after_refresh(self.fit_footer)

    def close_keys_panel(self) -> bool:
        """Remove the keys panel; True when there was one."""
        panels = self.screen.query(HelpPanel)
        if not panels:
            return False
        panels.remove()
        self.call_after_refresh(self.fit_footer)
        return True

    def fit_footer(self, width: int | None = None) -> None:
        """Below FOOTER_PALETTE_MIN columns the footer keeps its room for keys (ctrl+p still opens
        the palette); `width`: the footer's width to be (None: as laid out now)."""
        try:
            footer = self.query_one(Footer)
        except NoMatches:
            return
        width = footer.size.width if width is None else width
        if self.screen.query(HelpPanel):
            width = min(width, footer.size.width)
        wanted = width >= FOOTER_PALETTE_MIN
        if footer.show_command_palette != wanted:
            footer.show_command_palette = wanted
            footer.refresh(recompose=True)

    # ---- screenshot --------------------------------------------------------------------------

    def _screenshot_soon(self) -> None:
        # after the palette has closed, so the picture is of the screen, not of the palette
        self.set_timer(0.1, self.action_save_screenshot)

    def screenshot_path(self) -> Path:
        """Where a screenshot goes: beside the run log (or the log replayed), named after it and the time."""
        log = getattr(self.feed, "log_path", None)
        folder, stem = (Path(log).parent, Path(log).stem) if log else (Path.cwd(), "makemore-tui")
        return folder / f"{stem}-screen-{datetime.now():%Y%m%d-%H%M%S}.svg"

    def action_save_screenshot(self) -> None:
        """Save an SVG of the screen beside the run log and say where."""
        path = self.screenshot_path()
        try:
            saved = self.save_screenshot(filename=path.name, path=str(path.parent))
        except OSError as error:
            self.say(f"screenshot not saved: {printable(str(path.parent))}: {error.strerror or error}")
            return
        self.say(f"screenshot saved: {printable(saved)}")


class PanelKeys:
    """The screen's own keys: help, panels (1–9, 0, tab), zoom, the saturation map's layer."""

    def action_help(self) -> None:
        """Show the help screen."""
        if not isinstance(self.screen, HelpScreen):
            source = printable(getattr(self.feed, "name", "") or "a run log") if self.feed.recording else ""
            tables = help_tables(self.feed.capabilities, self.run_keys())
            run = self.view.current
            kinds = record_kinds(run.variants[0].stats) if run is not None and run.variants else []
            self.push_screen(HelpScreen(tables, PANELS, source, net_words(run), kinds))

    def action_show_panel(self, index: int) -> None:
        """Show panel `index`: alone in page mode, zoomed when all panels fit."""
        self.panel = index % len(self.panels)
        if self.layout_mode in GRIDS:
            self.zoomed = True

    def action_next_panel(self, step: int) -> None:
        """The next (or previous) panel (in a grid, the next one the grid shows)."""
        panel = (self.panel + step) % len(self.panels)
        while self._off_grid(PANELS[panel]) and panel != self.panel:
            panel = (panel + step) % len(self.panels)
        self.panel = panel

    def action_zoom(self) -> None:
        """Zoom the current panel to the whole screen (escape goes back). Not a toggle: in a grid a panel's key
        zooms it already, and `2` then `z` must leave panel 2 zoomed, not go back to the grid."""
        self.zoomed = True

    def action_unzoom(self) -> None:
        """Back to all panels (first, close the keys panel if ctrl+p → Keys opened it)."""
        if not self.close_keys_panel():
            self.zoomed = False

    def action_next_map_layer(self) -> None:
        """Saturation map: the next tanh layer."""
        satmap = self.query_one(SatMapPanel)
        count = satmap.layer_count()
        if count:
            satmap.shown_layer = (satmap.shown_layer + 1) % count
            self.say(f"map: tanh layer {satmap.shown_layer + 1}/{count}")
