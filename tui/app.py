"""The live terminal app: drains the trainer's records on a timer and sends it key commands.

Render budget (DESIGN §5): every millisecond this thread holds the GIL is taken from the
trainer thread. So records are drained on a timer (never per record), each panel redraws
only when its part of the view changed and only while shown, and plots are numpy-built
braille, not plotext. The app never calls into the trainer except `send`, which only
enqueues.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from core.commands import Evaluate, Pause, Quit, Rerun, Resume, Sample, ScaleLr, StepOnce
from core.config import TrainConfig, format_gain, next_gain
from tui.replay import ReplayFeed
from tui.state import STATS, STATUS, ViewState, config_tag
from tui.widgets.help import HelpScreen
from tui.widgets.histogram import HistogramPanel
from tui.widgets.loss import LossPanel
from tui.widgets.pagebar import PageBar
from tui.widgets.panel import Panel
from tui.widgets.samples import SamplesPanel
from tui.widgets.satmap import SatMapPanel
from tui.widgets.saturation import SaturationPanel
from tui.widgets.status import StatusBar
from tui.widgets.update_ratio import UpdateRatioPanel
from tui.widgets.weights import WeightsPanel

REFRESH_HZ = 4.0  # channel drains per second: lifecycle answers show within 250 ms
ANSWER_EVENTS = frozenset({"run_start", "run_end", "state", "eval", "samples", "error", "log_error"})
# Seconds between data-driven repaints of one widget: starts at the fastest and backs off
# while the UI thread uses more than its share of a core, since every millisecond it holds
# the GIL is taken from the trainer (DESIGN §5; measured: training loses about twice the
# UI thread's share). Keys, run starts and ends always repaint at once.
REDRAW_INTERVAL = (0.5, 2.0)
UI_CPU_BUDGET = 0.03  # share of one core the UI thread aims to stay under while training
BUDGET_WINDOW = 2.0  # seconds over which that share is measured
MIN_SIZE = (60, 16)  # below this the app says "terminal too small"
MESSAGE_SECONDS = 6.0
# (page-bar label, short label for narrow terminals, health-hint panel) in key order 1..8
PAGES = [
    ("saturation", "sat", "saturation"),
    ("activations", "act", "activations"),
    ("gradients", "grad", "gradients"),
    ("weights", "wts", "weights"),
    ("update:data", "upd", "update"),
    ("loss", "loss", "loss"),
    ("map", "map", "map"),
    ("samples", "names", None),
]
LR_KEYS = Binding.Group("lr ×2 ÷2 ", compact=True)  # the space: compact labels have no margin
SEEK_KEYS = Binding.Group("move ", compact=True)
REPLAY_DEAD_KEYS = frozenset("bgrn+-=es")
LIVE_ACTIONS = {"toggle_batchnorm", "cycle_gain", "rerun", "step", "scale_lr", "evaluate", "sample"}
REPLAY_ACTIONS = {"seek", "seek_to"}


def layout_for(width: int, height: int) -> str:
    """How panels are arranged at a terminal size: too-small, pages, cols2 or cols3."""
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        return "too-small"
    if width >= 150 and height >= 40:
        return "cols3"
    if width >= 100 and height >= 36:
        return "cols2"
    return "pages"


@dataclass
class RunStarted(Message):
    """A run_start record arrived."""

    run: int
    config: dict


@dataclass
class RunEnded(Message):
    """A run_end record arrived."""

    run: int
    reason: str
    message: str


class MakemoreApp(App[int]):
    """makemore part 3, live: the lecture's plots while the net trains, driven by keys."""

    CSS_PATH = "app.tcss"
    TITLE = "makemore-tui"
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
        *[Binding(str(n), f"show_panel({n - 1})", PAGES[n - 1][0], show=False) for n in range(1, len(PAGES) + 1)],
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
    ]

    panel = reactive(0)  # the current panel: shown alone in page mode, highlighted otherwise
    zoomed = reactive(False)
    layout_mode = reactive("pages")

    def __init__(
        self,
        *,
        trainer=None,
        channel=None,
        replay: ReplayFeed | None = None,
        refresh_hz: float = REFRESH_HZ,
        handle_signals: bool = False,
    ):
        super().__init__()
        if (trainer is None) == (replay is None):
            raise ValueError("MakemoreApp needs a trainer and channel, or a replay")
        self.trainer = trainer
        self.channel = channel
        self.replay = replay
        self.refresh_hz = refresh_hz
        self.handle_signals = handle_signals
        self.view = ViewState()
        self.requested: TrainConfig | None = trainer.config if trainer is not None else None
        self.paused_wanted = False  # what the last space asked for, until a state record says
        self.ticks = 0
        self._main: Screen | None = None
        self._message_timer = None
        self._dirty: set = set()  # widgets with new data waiting for their next redraw
        self._last_redraw: dict = {}  # widget -> monotonic time of its last data redraw
        self.redraw_interval = REDRAW_INTERVAL[0]
        self._budget_window = (time.monotonic(), time.thread_time())

    # ---- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        live = self.replay is None
        self.status_bar = StatusBar(self.view, replay=not live, id="status")
        self.page_bar = PageBar(self.view, PAGES, id="pagebar")
        self.panels: list[Panel] = [
            SaturationPanel(self.view, id="saturation"),
            HistogramPanel(self.view, gradients=False, id="activations"),
            HistogramPanel(self.view, gradients=True, id="gradients"),
            WeightsPanel(self.view, id="weights"),
            UpdateRatioPanel(self.view, id="update"),
            LossPanel(self.view, id="loss"),
            SatMapPanel(self.view, live=live, id="satmap"),
            SamplesPanel(self.view, id="samples"),
        ]
        yield self.status_bar
        yield self.page_bar
        with Container(id="panels"):
            yield from self.panels
        yield Static(id="too-small")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._main = self.screen
        self._apply_layout(self.size.width, self.size.height)
        self.watch_panel(self.panel)
        if self.replay is not None:
            self._apply(self.replay.shown(), force=True)
            self.status_bar.position = self.replay.describe()
            self.say(f"replay of {self.replay.name} · home/end, ←/→, space plays")
        else:
            # Whatever is waiting shows at the first refresh, not a tick later (after it, so
            # that a notification raised by an early error finds the screen ready).
            self.call_after_refresh(self._tick)
        self.set_interval(1 / self.refresh_hz, self._tick)
        if self.handle_signals:
            self._install_signal_handlers()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width, event.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        self.layout_mode = layout_for(width, height)
        # Below 120 columns the footer needs the room for keys; ctrl+p still opens the palette.
        footer = self.query_one(Footer)
        if footer.show_command_palette != (width >= 120):
            footer.show_command_palette = width >= 120
            footer.refresh(recompose=True)
        self.query_one("#too-small", Static).update(
            f"terminal too small: {width}×{height}\nmakemore-tui needs at least "
            f"{MIN_SIZE[0]}×{MIN_SIZE[1]}\n\nenlarge the window · q quits"
        )

    def watch_layout_mode(self) -> None:
        self._update_screen_classes()

    def watch_zoomed(self, zoomed: bool) -> None:
        self.page_bar.zoomed = zoomed
        self._update_screen_classes()

    def _update_screen_classes(self) -> None:
        screen = self._main
        if screen is None:
            return
        mode = self.layout_mode
        screen.set_class(mode == "too-small", "-too-small")
        screen.set_class(mode == "cols3" and not self.zoomed, "-cols3")
        screen.set_class(mode == "cols2" and not self.zoomed, "-cols2")
        screen.set_class(mode == "pages" or self.zoomed, "-pages")

    def watch_panel(self, panel: int) -> None:
        for i, widget in enumerate(getattr(self, "panels", [])):
            widget.set_class(i == panel, "-current")
        if hasattr(self, "page_bar"):
            self.page_bar.current = panel

    # ---- records in ---------------------------------------------------------------------

    def _tick(self) -> None:
        """Timer: take what arrived since the last tick and redraw the parts it changed."""
        self.ticks += 1
        if self.replay is not None:
            if self.replay.playing:
                if self.replay.position >= self.replay.last:
                    self.replay.playing = False
                    self.status_bar.position = self.replay.describe()
                else:
                    self._seek(self.replay.position + self.replay.play_step())
            return
        self._keep_to_budget()
        records = self.channel.drain()
        if records:
            self._apply(records)
        elif self._dirty:
            self._flush_panels()

    def _keep_to_budget(self) -> None:
        """Slow data repaints down while this thread's CPU share is over budget, and back up."""
        now, cpu = time.monotonic(), time.thread_time()
        started, cpu_started = self._budget_window
        if now - started < BUDGET_WINDOW:
            return
        share = (cpu - cpu_started) / (now - started)
        low, high = REDRAW_INTERVAL
        if share > UI_CPU_BUDGET:
            self.redraw_interval = min(self.redraw_interval * 1.5, high)
        elif share < UI_CPU_BUDGET / 2:
            self.redraw_interval = max(self.redraw_interval / 1.5, low)
        self._budget_window = (now, cpu)

    def _apply(self, records: Iterable[dict], reset: bool = False, force: bool = False) -> None:
        """Fold records into the view and redraw what changed (`force`: now, not rate-limited)."""
        records = list(records)
        changed = self.view.reset() if reset else set()
        changed |= self.view.apply(records)
        for record in records:
            event = record.get("event")
            if event in ANSWER_EVENTS:
                force = True  # the answer to a key (b/g/r/q, space, e, s): show it at once
            if event == "run_start":
                self.paused_wanted = False
                self.post_message(RunStarted(int(record.get("run") or 0), record.get("config") or {}))
            elif event == "run_end":
                self.post_message(
                    RunEnded(int(record.get("run") or 0), str(record.get("reason")), str(record.get("message") or ""))
                )
            elif event == "state" and isinstance(record.get("paused"), bool):
                self.paused_wanted = record["paused"]
            elif event in ("error", "log_error") and record.get("message"):
                # Faults outside a run's lifecycle: the trainer keeps going, the user must know.
                self.notify(str(record["message"]), severity="error", timeout=10)
        run = self.view.current
        # While paused only `n` makes data: show each step at once.
        self._redraw(changed, force or (run is not None and run.paused))

    def _redraw(self, changed: set[str], force: bool = False) -> None:
        if changed & {STATUS, STATS}:
            self._dirty.add(self.status_bar)
        if STATS in changed:
            self._dirty.add(self.page_bar)
        for panel in self.panels:
            if panel.PART in changed or STATS in changed:
                self._dirty.add(panel)
        self._flush_panels(force)

    def _flush_panels(self, force: bool = False) -> None:
        """Refresh changed widgets that are shown, each at most once per redraw interval.

        Most of the UI thread's time goes to Textual repainting what changed, so the data
        timer repaints less often than it drains; keys and run starts/ends pass `force`.
        """
        now = time.monotonic()
        for widget in list(self._dirty):
            if not widget.display:
                # Hidden: nothing to draw now; a panel's cache key sees the new data when shown.
                self._dirty.discard(widget)
            elif force or now - self._last_redraw.get(widget, 0.0) >= self.redraw_interval:
                self._last_redraw[widget] = now
                if isinstance(widget, Panel):
                    widget.repaint_changes()
                else:
                    widget.refresh()
                self._dirty.discard(widget)

    def on_run_started(self, message: RunStarted) -> None:
        if self.replay is None:
            self.say(f"run {message.run} started {config_tag(message.config)}")

    def on_key(self, event: events.Key) -> None:
        # Training keys do nothing in a replay; say why rather than nothing at all.
        if self.replay is not None and event.character and event.character in REPLAY_DEAD_KEYS:
            self.say("a replay: training keys are off · ←/→ move, space plays")

    def on_run_ended(self, message: RunEnded) -> None:
        if self.replay is not None:
            return
        if message.reason in ("diverged", "error"):
            detail = f": {message.message}" if message.message else ""
            self.notify(
                f"run {message.run} {message.reason}{detail}\nr reruns, b/g change the setup and rerun",
                severity="error",
                timeout=10,
            )
        elif message.reason == "finished":
            self.say(f"run {message.run} finished · r reruns")

    # ---- feedback -----------------------------------------------------------------------

    def say(self, text: str) -> None:
        """Show key feedback in the status line now; it fades after a few seconds."""
        self.status_bar.message = text
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(MESSAGE_SECONDS, self._clear_message)

    def _clear_message(self) -> None:
        self.status_bar.message = ""

    # ---- actions: training ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LIVE_ACTIONS:
            return self.replay is None
        if action in REPLAY_ACTIONS:
            return self.replay is not None
        return True

    def _send(self, command) -> None:
        self.trainer.send(command)

    def _rerun(self, config: TrainConfig, what: str) -> None:
        self.requested = config
        self.paused_wanted = False
        self._send(Rerun(config))
        self.say(f"{what} · rerunning…")

    def action_toggle_batchnorm(self) -> None:
        """Flip BatchNorm and rerun with the same seed."""
        config = self.requested.replace(batchnorm=not self.requested.batchnorm)
        self._rerun(config, "BN on" if config.batchnorm else "BN off")

    def action_cycle_gain(self) -> None:
        """Next gain in 5/3, 1, 0.5, 3 and rerun."""
        config = self.requested.replace(gain=next_gain(self.requested.gain))
        self._rerun(config, f"gain {format_gain(config.gain)}")

    def action_rerun(self) -> None:
        """Start a new run with the current settings."""
        self._rerun(self.requested, "same settings")

    def action_pause(self) -> None:
        """Pause or resume training (in replay: play or pause the replay)."""
        if self.replay is not None:
            self.replay.playing = not self.replay.playing
            if self.replay.playing and self.replay.position >= self.replay.last:
                self._seek(0)
            self.status_bar.position = self.replay.describe()
            return
        run = self.view.current
        if run is not None and run.end is not None:
            self.say("the run is over · r reruns")
            return
        self.paused_wanted = not self.paused_wanted
        self._send(Pause() if self.paused_wanted else Resume())
        self.say("pausing… (n steps once)" if self.paused_wanted else "resuming…")

    def action_step(self) -> None:
        """One training step while paused."""
        if not self.paused_wanted:
            self.say("n steps once while paused: press space first")
            return
        self._send(StepOnce())
        self.say("one step…")

    def action_scale_lr(self, factor: float) -> None:
        """Multiply the learning rate live (kept for reruns)."""
        self.requested = self.requested.replace(lr=self.requested.lr * factor)
        self._send(ScaleLr(factor))
        self.say(f"lr {'×' if factor >= 1 else '÷'}{max(factor, 1 / factor):g} → {self.requested.lr:.3g}")

    def action_evaluate(self) -> None:
        """Evaluate train/val loss now."""
        self._send(Evaluate())
        self.say("evaluating train/val…")

    def action_sample(self) -> None:
        """Sample names from the model now."""
        self._send(Sample())
        self.say("sampling names…")

    async def action_quit(self) -> None:
        """Stop the trainer and leave (run_live joins the thread after the terminal is back)."""
        self.say("quitting…")
        if self.trainer is not None:
            self._send(Quit())  # the trainer starts stopping while the terminal restores
        self.exit(0)

    # ---- actions: replay ----------------------------------------------------------------

    def _seek(self, position: int) -> None:
        reset, records = self.replay.seek(position)
        if reset or records:
            self._apply(records, reset=reset, force=True)
        self.status_bar.position = self.replay.describe()

    def action_seek(self, delta: int) -> None:
        """Move the replay cursor by `delta` statistics records."""
        self.replay.playing = False
        self._seek(self.replay.position + delta)

    def action_seek_to(self, where: str) -> None:
        """Jump to the first or last statistics record."""
        self.replay.playing = False
        self._seek(0 if where == "start" else self.replay.last)

    # ---- actions: screen ----------------------------------------------------------------

    def action_help(self) -> None:
        """Show the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(replay=self.replay is not None))

    def action_show_panel(self, index: int) -> None:
        """Show panel `index`: alone in page mode, zoomed when all panels fit."""
        self.panel = index % len(self.panels)
        if self.layout_mode in ("cols2", "cols3"):
            self.zoomed = True

    def action_next_panel(self, step: int) -> None:
        """The next (or previous) panel."""
        self.panel = (self.panel + step) % len(self.panels)

    def action_zoom(self) -> None:
        """Zoom the current panel to the whole screen, or back."""
        self.zoomed = not self.zoomed

    def action_unzoom(self) -> None:
        """Back to all panels."""
        self.zoomed = False

    def action_next_map_layer(self) -> None:
        """Saturation map: the next tanh layer."""
        satmap = self.query_one(SatMapPanel)
        count = satmap.layer_count()
        if count:
            satmap.shown_layer = (satmap.shown_layer + 1) % count
            self.say(f"map: tanh layer {satmap.shown_layer + 1}/{count}")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = [
            ("Pause / resume" if self.replay is None else "Play / pause replay", "space", self.action_pause, "pause"),
            (
                "Toggle BatchNorm and rerun",
                "b: same seed, BatchNorm flipped",
                self.action_toggle_batchnorm,
                "toggle_batchnorm",
            ),
            ("Cycle gain and rerun", "g: 5/3 → 1 → 0.5 → 3", self.action_cycle_gain, "cycle_gain"),
            ("Rerun", "r: a new run with the current settings", self.action_rerun, "rerun"),
            ("Step once", "n: one step while paused", self.action_step, "step"),
            ("Learning rate ×2", "+", lambda: self.action_scale_lr(2.0), "scale_lr"),
            ("Learning rate ÷2", "-", lambda: self.action_scale_lr(0.5), "scale_lr"),
            ("Evaluate now", "e: train/val loss", self.action_evaluate, "evaluate"),
            ("Sample names", "s", self.action_sample, "sample"),
            ("Saturation map: next layer", "m", self.action_next_map_layer, "next_map_layer"),
            ("Zoom panel", "z", self.action_zoom, "zoom"),
            ("Help", "?: keys and panels", self.action_help, "help"),
        ]
        for title, help_text, callback, action in commands:
            if self.check_action(action, ()):
                yield SystemCommand(title, help_text, callback)

    # ---- signals ------------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        # SIGHUP (the SSH link dropped) and SIGTERM end the app as q does, so run_live
        # stops the trainer and the run log ends with run_end.
        loop = asyncio.get_running_loop()
        for number in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(number, lambda: self.exit(0))
            except (NotImplementedError, RuntimeError, ValueError):
                pass


def run_live(trainer, channel) -> int:
    """Run the app over a started trainer until q; stop the trainer; return an exit code."""
    app = MakemoreApp(trainer=trainer, channel=channel, handle_signals=True)
    try:
        app.run()
    finally:
        trainer.close(timeout=1.0)
    if app.return_code not in (None, 0):
        return 1
    ended = app.view.current.end if app.view.current is not None else None
    reason = ended.get("reason") if ended is not None else None
    return {"error": 1, "diverged": 3}.get(reason, 0)  # the CLI's codes: 3 = the run diverged


def run_replay(path: str | Path) -> int:
    """View a recorded run log; return an exit code (2 when the log cannot be read)."""
    try:
        feed = ReplayFeed.load(path)
    except OSError as error:
        print(f"makemore-tui: cannot read run log {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    if not feed.records:
        print(f"makemore-tui: {path} holds no run-log records", file=sys.stderr)
        return 2
    app = MakemoreApp(replay=feed, handle_signals=True)
    app.run()
    return 0 if app.return_code in (None, 0) else 1
