"""Helpers for the app tests: build the app over the fake trainer, read the screen as text."""

from __future__ import annotations

import asyncio
import functools
import io

from rich.console import Console

from core.config import TrainConfig
from tests.fake_trainer import SMALL, FakeTrainer, filled_channel, recorded_run
from tui.app import MakemoreApp

FAST_HZ = 20.0  # tests drain the channel every 50 ms instead of the default 250


def run_async(test):
    """Run an async test with asyncio.run: no async pytest plugin needed."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


def screen_text(app: MakemoreApp) -> str:
    """What the terminal shows now, as plain text (the same render a screenshot takes)."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, color_system=None, legacy_windows=False
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def wait_for_text(pilot, app: MakemoreApp, text: str, timeout: float = 3.0) -> str:
    """Pause until `text` is on the screen (records arrive on a timer); return the screen."""
    waited = 0.0
    while True:
        screen = screen_text(app)
        if text in screen or waited >= timeout:
            return screen
        await pilot.pause(0.05)
        waited += 0.05


def live_app(
    records: list[dict] | None = None, config: TrainConfig = SMALL, respond: bool = True
) -> tuple[MakemoreApp, FakeTrainer]:
    """The app over a fake trainer whose channel already holds `records` (default: run 1 to step 600)."""
    records = recorded_run(config, upto=600, end=False) if records is None else records
    channel = filled_channel(records)
    step = max((r["step"] for r in records if r.get("event") == "stats"), default=0)
    trainer = FakeTrainer(config, channel, respond=respond, step=step)
    return MakemoreApp(trainer=trainer, channel=channel, refresh_hz=FAST_HZ), trainer
