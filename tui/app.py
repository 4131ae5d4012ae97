"""The terminal app: polls its feed (a live trainer or a recorded log) on a timer, keys act on it.

Render budget (DESIGN §5): every millisecond this thread holds the GIL is taken from the
trainer thread. So records are polled on a timer (never per record), each panel redraws
only when its part of the view changed and only while shown, at most once per interval of
the redraw budget (tui/budget.py), and plots are numpy-built braille, not plotext. The app
never calls into the trainer except through the feed's `send`, which only enqueues.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Container
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from makemore_tui.core.commands import Evaluate, Quit, Rerun, Sample, ScaleLr, StepOnce
from makemore_tui.core.compare import with_changes
from makemore_tui.core.config import TrainConfig
from makemore_tui.core.hints import FLAGS, KEYS
from makemore_tui.core.records import EndReason, ErrorKind, Event, ExitCode, problem
from makemore_tui.core.text import printable
from makemore_tui.tui.actions import REPLACED, ExperimentKeys, PanelKeys, ReplayKeys, ScreenTools
from makemore_tui.tui.budget import RedrawBudget
from makemore_tui.tui.compare_keys import CompareActions
from makemore_tui.tui.feed import Batch, Feed, FeedCommand, LiveFeed, Seek, SeekTo, StopTraining, TogglePause
from makemore_tui.tui.keys import BINDINGS, KeyRules
from makemore_tui.tui.lifecycle import Lifecycle
from makemore_tui.tui.panels import GRIDS, PANELS, Layout
from makemore_tui.tui.registry import Run, find
from makemore_tui.tui.replay import ReplayFeed
from makemore_tui.tui.state import STATS, STATUS, ViewState
from makemore_tui.tui.terminal import repaint_on_resume
from makemore_tui.tui.widgets.pagebar import PageBar
from makemore_tui.tui.widgets.palette import Colours
from makemore_tui.tui.widgets.panel import Panel
from makemore_tui.tui.widgets.status import StatusBar

REFRESH_HZ = 4.0  # feed polls per second: lifecycle answers show within 250 ms
# Records that answer a key (b/g/r/q, space, e, s) or end something: shown at once.
ANSWER_EVENTS = frozenset(
    {
        Event.RUN_START,
        Event.RUN_END,
        Event.VARIANT_END,
        Event.STATE,
        Event.EVAL,
        Event.SAMPLES,
        Event.ERROR,
        Event.LOG_ERROR,
        Event.WARNING,
    }
)
MIN_SIZE = (60, 16)  # below this the app says "terminal too small"
MESSAGE_SECONDS = 6.0
STOP_CONFIRM_SECONDS = 3.0  # X, then X again within this: stop a followed log's training
# Key feedback that its answer replaces: `e`'s "evaluating…" goes when the eval arrives.
# the record that answers a key: its "…ing" feedback goes when that record comes
ANSWERED_BY = {Evaluate: Event.EVAL, Sample: Event.SAMPLES, TogglePause: Event.STATE, StepOnce: Event.STATS}


def layout_for(width: int, height: int) -> Layout:
    """How panels are arranged at a terminal size."""
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        return Layout.TOO_SMALL
    if width >= 150 and height >= 54:
        return Layout.TALL
    if width >= 150 and height >= 40:
        return Layout.COLS3
    if width >= 100 and height >= 36:
        return Layout.COLS2
    return Layout.PAGES


class MakemoreApp(KeyRules, CompareActions, ExperimentKeys, ReplayKeys, ScreenTools, PanelKeys, App[int]):
    """makemore part 3 on screen: the lecture's plots of a run, live or recorded, driven by keys."""

    CSS_PATH = "app.tcss"
    TITLE = "makemore-tui"
    BINDINGS = BINDINGS

    panel = reactive(0)  # the current panel: shown alone in page mode, highlighted otherwise
    zoomed = reactive(False)
    layout_mode = reactive(Layout.PAGES)

    def __init__(
        self,
        feed: Feed,
        *,
        refresh_hz: float = REFRESH_HZ,
        budget: RedrawBudget | None = None,
        lifecycle: Lifecycle | None = None,
    ):
        super().__init__()
        self.feed = feed
        self.refresh_hz = refresh_hz
        self.budget = budget or RedrawBudget()
        self.lifecycle = lifecycle  # the process's signals and quit deadlines (tui/lifecycle.py); None in tests
        # a replay has no training keys: its hints name the flags that make each fix on a new run
        self.view = ViewState(fix_style=FLAGS if feed.recording else KEYS)
        self.ticks = 0
        self._main: Screen | None = None
        self._message_timer = None
        self._awaiting: str | None = None  # the event that answers the key whose feedback is shown
        self._greeted = False  # the first run_start has been announced (after it, run starts replace messages)
        self._stop_asked = 0.0  # when X was pressed once (a second X within STOP_CONFIRM_SECONDS stops)
        self._run_keys: tuple[tuple, Run] | None = None  # (what the Run was made of, the Run the keys read: KeyRules)

    # ---- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.status_bar = StatusBar(self.view, recording=self.feed.recording, id="status")
        self.page_bar = PageBar(self.view, PANELS, id="pagebar")
        self.panels: list[Panel] = [spec.make(self.view, live=not self.feed.recording) for spec in PANELS]
        yield self.status_bar
        yield self.page_bar
        with Container(id="panels"):
            yield from self.panels
        yield Static(id="too-small")
        yield Footer(compact=True)
        yield Colours()

    def on_mount(self) -> None:
        self._main = self.screen
        repaint_on_resume(self)  # ctrl+z then fg: the whole frame comes back (tui/terminal.py)
        self._apply_layout(self.size.width, self.size.height)
        self.watch_panel(self.panel)
        if self.feed.greeting:
            self.say(self.feed.greeting)
        # What is waiting shows at the first refresh, not a tick later (after it, so that a
        # notification raised by an early error finds the screen ready).
        self.call_after_refresh(self._tick)
        self.set_interval(1 / self.refresh_hz, self._tick)
        if self.lifecycle is not None:
            self._install_signal_handlers()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width, event.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        self.layout_mode = layout_for(width, height)
        self.fit_footer(width)
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
        screen.set_class(mode == Layout.TOO_SMALL, "-too-small")
        screen.set_class(mode == Layout.TALL and not self.zoomed, "-tall")
        screen.set_class(mode == Layout.COLS3 and not self.zoomed, "-cols3")
        screen.set_class(mode == Layout.COLS2 and not self.zoomed, "-cols2")
        screen.set_class(mode == Layout.PAGES or self.zoomed, "-pages")
        for widget, spec in zip(getattr(self, "panels", []), PANELS):
            widget.set_class(self._off_grid(spec), "-off-grid")

    def _off_grid(self, spec) -> bool:
        """True when panels are in a grid that has no cell for this one (its key zooms it)."""
        return not self.zoomed and self.layout_mode in GRIDS and self.layout_mode not in spec.grids

    def watch_panel(self, panel: int) -> None:
        for i, widget in enumerate(getattr(self, "panels", [])):
            widget.set_class(i == panel, "-current")
        if hasattr(self, "page_bar"):
            self.page_bar.current = panel

    # ---- records in ---------------------------------------------------------------------

    def _tick(self) -> None:
        """Timer: take what the feed has since the last tick and redraw the parts it changed."""
        self.ticks += 1
        self.budget.measure()
        self._mark(self.view.release_asked())  # asked-for samples held long enough make way
        self._take(self.feed.poll())

    def _take(self, batch: Batch, force: bool = False) -> None:
        """Fold a batch into the view and redraw what changed (`force`: now, whatever the budget)."""
        if batch.records or batch.reset:
            changed = self.view.reset() if batch.reset else set()
            changed |= self.view.apply(batch.records)
            for record in batch.records:
                force = self._answer(record) or force
            run = self.view.current
            # A recording has no trainer to leave the CPU to; while paused only `n` makes data.
            force = force or not self.feed.shares_cpu or (run is not None and run.paused)
            self._mark(changed)
        for widget in self.budget.due(force):
            if not widget.display:
                continue  # hidden: a panel's cache key sees the new data when it is shown
            if isinstance(widget, Panel):
                widget.repaint_changes()
            else:
                widget.refresh()
        self.status_bar.position = self.feed.describe()

    def _mark(self, changed: set[str]) -> None:
        if changed & {STATUS, STATS}:
            self.budget.mark(self.status_bar)
        if STATS in changed:
            self.budget.mark(self.page_bar)
        for panel in self.panels:
            if panel.PART in changed or STATS in changed or panel.ALSO & changed:
                self.budget.mark(panel)

    def _answer(self, record: dict) -> bool:
        """Say what a lifecycle record means; True when it answers a key (show it at once)."""
        event = record.get("event") if isinstance(record, dict) else None
        awaited = event is not None and event == self._awaiting
        if (event not in ANSWER_EVENTS and not awaited) or problem(record) is not None:
            return False
        keys = self.refusal(find("rerun")) is None  # announcements name the keys that rerun
        if awaited:
            self._awaiting = None
            self._answered(record)
        if event == Event.RUN_START and keys:
            # the first run's start keeps the feed's greeting up (a note the user must see), not "run 1 started"
            self.say(self.feed.greeting if self.feed.greeting and not self._greeted else self._started(record))
            self._greeted = True
        elif event == Event.RUN_END and keys:
            self._announce_end(record)
        elif event in (Event.ERROR, Event.LOG_ERROR) and record["message"]:
            # Faults outside a run's lifecycle: the trainer keeps going, the user must know.
            self.notify(record["message"], severity="error", timeout=10)
        elif event == Event.WARNING and record["message"] and not record.get("printed") and not self.feed.recording:
            # a --model note (no activation layer found, …) or a library's warning, as it happens; what the file
            # printed stays in the run log (never on the screen)
            self.notify(printable(record["message"]), severity="warning", timeout=10)
        return True

    def _announce_end(self, end: dict) -> None:
        reason = end["reason"]
        if reason in (EndReason.DIVERGED, EndReason.ERROR):
            detail = f": {end['message']}" if end.get("message") else ""
            self.notify(f"run {end['run']} {reason}{detail}\n{self._after_failure(end)}", severity="error", timeout=10)
        elif reason == EndReason.FINISHED:
            self.say(f"run {end['run']} finished · r reruns")

    def _after_failure(self, end: dict) -> str:
        """What to do after a run that failed: fix the --model file (its error, or a pass of its code that raised)
        and press r, which loads it again; else the keys that change the setup here."""
        model = self.feed.config.model if self.feed.config is not None else None
        if model and end["reason"] == EndReason.ERROR and end.get("kind") != ErrorKind.OUT_OF_MEMORY:
            return f"fix {printable(os.path.basename(model))} and press r (r loads it again)"
        keys = "/".join(entry.key for entry in map(find, ("toggle_batchnorm", "cycle_gain")) if not self.refusal(entry))
        return f"r reruns, {keys} change the setup and rerun" if keys else "r reruns"

    # ---- feedback -----------------------------------------------------------------------

    def say(self, text: str) -> None:
        """Show key feedback in the status line now; it fades after a few seconds."""
        if not text:
            return
        self.status_bar.message = text
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(MESSAGE_SECONDS, self._clear_message)

    def _clear_message(self) -> None:
        self.status_bar.message = ""

    def _answered(self, record: dict) -> None:
        """The key's answer came: its "…ing" feedback goes (an eval says its losses instead)."""
        run = self.view.current
        single = run is None or not run.compare
        if record.get("event") == Event.EVAL and single and record.get("train") is not None:
            val = record.get("val")
            val_text = f"{val:.4f}" if isinstance(val, (int, float)) else "–"
            self.say(f"eval at step {record.get('step', 0):,}: train {record['train']:.4f} · val {val_text}")
        elif record.get("event") == Event.STATE and record.get("paused") is True:
            self.say("paused · n steps once, space resumes")
        else:
            self._clear_message()

    # ---- actions ------------------------------------------------------------------------

    def _send(self, command: FeedCommand, what: str = "") -> None:
        """Hand the feed a command, say its feedback (after `what`), show what it changed at once."""
        feedback = self.feed.send(command)
        self._awaiting = ANSWERED_BY.get(type(command))
        self.say(f"{what} · {feedback}" if what else feedback)
        self._take(self.feed.poll(), force=True)

    def _rerun(self, config: TrainConfig, what: str) -> None:
        """Rerun with what `config` changes from the feed's config, applied to every variant of a
        compare (the registry refuses a key on the compared field); a paused run reruns paused."""
        before = self.feed.config.to_dict()
        changes = {name: value for name, value in config.to_dict().items() if value != before[name]}
        variants = with_changes(self.feed.variants, **changes)  # a config it refuses: said as any ConfigError
        self._send(Rerun(variants=tuple(variants), paused=self._keep_paused()), what)

    def action_rerun(self) -> None:
        """Start a new run with the current settings."""
        self._rerun(self.feed.config, "same settings")

    def action_pause(self, kind: str = "") -> None:
        """Pause or resume training (a replay: play or pause it); `kind` names the binding's feed."""
        self._send(TogglePause())

    def action_step(self) -> None:
        """One training step while paused."""
        self._send(StepOnce())

    def action_stop_training(self) -> None:
        """Ask a followed log's writer to stop its training: X, then X again within STOP_CONFIRM_SECONDS."""
        now = time.monotonic()
        if now - self._stop_asked > STOP_CONFIRM_SECONDS:
            self._stop_asked = now
            self.say("X again to stop the training (it ends for good; q only leaves the viewer)")
            return
        self._stop_asked = 0.0
        self._send(StopTraining())

    def action_scale_lr(self, factor: float) -> None:
        """Multiply the learning rate live (kept for reruns)."""
        self._send(ScaleLr(factor))

    def action_evaluate(self) -> None:
        """Evaluate train/val loss now."""
        self._send(Evaluate())

    def action_sample(self) -> None:
        """Sample names from the model now."""
        self._send(Sample())

    def action_seek(self, delta: int) -> None:
        """Move the replay cursor by `delta` statistics records."""
        self._send(Seek(delta))

    def action_seek_to(self, where: str) -> None:
        """Jump to the first or last statistics record."""
        self._send(SeekTo(where))

    async def action_quit(self) -> None:
        """Stop the feed and leave (run_app closes it after the terminal is back)."""
        self._quit()

    def _quit(self) -> None:
        """Start the quit's clock, tell the feed (a trainer begins its final eval now, cut to the quit's
        deadline, while the terminal is given back) and leave."""
        deadline = None
        if self.lifecycle is not None:
            self.lifecycle.quitting()
            deadline = self.lifecycle.eval_deadline
        try:
            self.say(self.feed.send(Quit(deadline)) or "quitting…")
        finally:
            self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's Keys and Screenshot are replaced (tui/actions.py ScreenTools says why).
        yield from (command for command in super().get_system_commands(screen) if command.title not in REPLACED)
        yield from self.screen_commands(screen)
        yield from self.palette_commands()

    # ---- signals ------------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        # SIGHUP (the SSH link dropped) and SIGTERM end the app as q does. The handlers are the
        # lifecycle's, the process's from main's start to its end; never the loop's own
        # (add_signal_handler): closing the loop resets them to the default, so a signal in the
        # wind-down would kill the process before the run log has its run_end.
        loop = asyncio.get_running_loop()

        def quit_soon() -> None:  # inside the signal handler: only schedule
            try:
                loop.call_soon_threadsafe(self._quit)
            except RuntimeError:
                pass  # the loop has closed: the app is already leaving

        self.lifecycle.route(quit_soon)
        if self.lifecycle.signalled:
            self._quit()  # a signal came while the app was starting


def run_app(feed: Feed, lifecycle: Lifecycle | None = None) -> int:
    """Run the app over `feed` until q (or SIGHUP/SIGTERM, routed by `lifecycle`); ask the feed to stop;
    return the process exit code (130 after a signal)."""
    app = MakemoreApp(feed, lifecycle=lifecycle)
    if lifecycle is not None:
        lifecycle.screen = lifecycle.app_ran = True
    try:
        app.run()
    finally:
        if lifecycle is not None:
            lifecycle.route(None)  # from here a signal is only noted: the run log is being closed
            lifecycle.screen = False
            lifecycle.quitting()  # whatever ended the app, the way out is timed from now
        feed.close()
    if app.return_code not in (None, 0):
        return ExitCode.FAILURE
    if lifecycle is not None and lifecycle.signalled:
        return ExitCode.INTERRUPTED
    return feed.exit_code()


def run_live(trainer, channel, lifecycle: Lifecycle | None = None) -> int:
    """The app over a started trainer and its channel (see run_app)."""
    return run_app(LiveFeed(trainer, channel), lifecycle)


def run_replay(path: str | Path, lifecycle: Lifecycle | None = None) -> int:
    """View a recorded run log; return an exit code (2 when the log cannot be read)."""
    try:
        feed = ReplayFeed.load(path)
    except OSError as error:
        print(f"makemore-tui: cannot read run log {printable(str(path))}: {error.strerror or error}", file=sys.stderr)
        return ExitCode.USAGE
    if not feed.records:
        skipped = f" ({feed.skipped} malformed line{'s' if feed.skipped > 1 else ''} skipped)" if feed.skipped else ""
        print(f"makemore-tui: {printable(str(path))} holds no run-log records{skipped}", file=sys.stderr)
        return ExitCode.USAGE
    return run_app(feed, lifecycle)
