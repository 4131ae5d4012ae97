"""Helpers for the app tests: the app over a fake trainer or a recorded log, the screen as text.

The screen is read through Textual's public screenshot (`App.export_screenshot`, an SVG of
what the terminal shows, overlays and notifications included), never its internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import re

from rich.cells import cell_len

from makemore_tui.core.compare import Variant
from makemore_tui.core.config import TrainConfig
from makemore_tui.tui.app import MakemoreApp
from makemore_tui.tui.budget import RedrawBudget
from makemore_tui.tui.feed import LiveFeed
from makemore_tui.tui.replay import ReplayFeed
from tests.fake_trainer import SMALL, FakeTrainer, compare_run, filled_channel, recorded_run

FAST_HZ = 20.0  # tests poll the feed every 50 ms instead of the default 250
SVG_CELL = 20 * 0.61  # width of one cell in Rich's SVG export: char height × font aspect ratio
_TEXT = re.compile(r'<text [^>]*?x="([\d.]+)"[^>]*?clip-path="url\(#[\w-]+-line-(\d+)\)"[^>]*>(.*?)</text>')


def run_async(test):
    """Run an async test with asyncio.run: no async pytest plugin needed."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


def svg_text(svg: str) -> str:
    """The text of a Rich SVG export, line by line, each text run at its cell column."""
    lines: dict[int, str] = {}
    for x, row, content in _TEXT.findall(svg):
        line = lines.get(int(row), "")
        column = round(float(x) / SVG_CELL)
        lines[int(row)] = line + " " * max(column - cell_len(line), 0) + html.unescape(content).replace("\xa0", " ")
    return "\n".join(lines.get(row, "") for row in range(max(lines, default=-1) + 1))


def screen_text(app: MakemoreApp) -> str:
    """What the terminal shows now, as plain text (from the app's own screenshot)."""
    return svg_text(app.export_screenshot(simplify=True))


async def wait_for_text(pilot, app: MakemoreApp, text: str, timeout: float = 3.0) -> str:
    """Pause until `text` is on the screen (records arrive on a timer); return the screen.

    Raises AssertionError, quoting the screen, when `text` has not appeared within `timeout` seconds.
    """
    waited = 0.0
    while True:
        screen = screen_text(app)
        if text in screen:
            return screen
        if waited >= timeout:
            raise AssertionError(f"{text!r} not on the screen after {timeout:g} s; the screen shows:\n{screen}")
        await pilot.pause(0.1)
        waited += 0.1


def live_app(
    records: list[dict] | None = None,
    config: TrainConfig = SMALL,
    respond: bool = True,
    budget: RedrawBudget | None = None,
) -> tuple[MakemoreApp, FakeTrainer]:
    """The app over a fake trainer whose channel already holds `records` (default: run 1 to step 600)."""
    records = recorded_run(config, upto=600, end=False) if records is None else records
    channel = filled_channel(records)
    step = max((r["step"] for r in records if r.get("event") == "stats"), default=0)
    trainer = FakeTrainer(config, channel, respond=respond, step=step)
    return MakemoreApp(LiveFeed(trainer, channel), refresh_hz=FAST_HZ, budget=budget), trainer


def replay_app(records: list[dict], name: str = "run.jsonl", skipped: int = 0) -> MakemoreApp:
    """The app over a recorded run held in memory."""
    return MakemoreApp(ReplayFeed(records, name=name, skipped=skipped), refresh_hz=FAST_HZ)


# The lecture's gain comparison without BatchNorm, on the small config: (label, config) per variant.
GAINS = [
    (f"gain {name}", SMALL.replace(batchnorm=False, gain=gain))
    for name, gain in [("0.5", 0.5), ("1", 1.0), ("5/3", 5 / 3), ("3", 3.0)]
]


def compare_app(
    variants: list[tuple[str, TrainConfig]] = GAINS,
    records: list[dict] | None = None,
    respond: bool = True,
    **run,
) -> tuple[MakemoreApp, FakeTrainer]:
    """The app over a fake trainer training `variants` in lockstep; its channel holds `records`
    (default: the compare to step 600, `run` passed on to compare_run, e.g. diverge={3: 400})."""
    records = compare_run(variants, upto=600, end=False, satmap=True, **run) if records is None else records
    channel = filled_channel(records)
    step = max((r["step"] for r in records if r.get("event") == "stats"), default=0)
    trainer = FakeTrainer(channel=channel, respond=respond, step=step, variants=[Variant(*v) for v in variants])
    return MakemoreApp(LiveFeed(trainer, channel), refresh_hz=FAST_HZ), trainer


@contextlib.asynccontextmanager
async def running(made: tuple[MakemoreApp, FakeTrainer], size: tuple[int, int] = (120, 40), after: str | None = None):
    """Run the app of `made` (live_app(…) or compare_app(…)) at `size` (columns, lines); yields (app, trainer,
    pilot), once `after` is on the screen when given (wait_for_text: AssertionError quoting the screen if not)."""
    app, trainer = made
    async with app.run_test(size=size) as pilot:
        if after is not None:
            await wait_for_text(pilot, app, after)
        yield app, trainer, pilot


def palette_titles(app: MakemoreApp) -> set[str]:
    """The titles of the command palette's entries on the screen shown."""
    return {command.title for command in app.get_system_commands(app.screen)}


def small_multiples(lines: list[str], header: re.Pattern) -> list[tuple[str, str, list[str]]]:
    """A compare panel's small multiples in its text `lines`: (letter, header, chart rows) of each, cut at the
    columns where the variants' headers start. A header line holds `header` matches, group 1 each variant's
    letter; the chart rows run down to the next header, a hint (⚠) or a blank line."""
    found = []
    for row, line in enumerate(lines):
        heads = [(m.group(1), m.start(1)) for m in header.finditer(line)]
        if not heads or "⚠" in line:
            continue
        below = []
        for chart in lines[row + 1 :]:
            if header.search(chart) or "⚠" in chart or not chart.strip():
                break
            below.append(chart)
        for k, (letter, left) in enumerate(heads):
            stop = heads[k + 1][1] if k + 1 < len(heads) else len(line)
            found.append((letter, line[left:stop], [chart[left:stop] for chart in below]))
    return found


async def run_from_palette(pilot, typed: str) -> None:
    """Open the command palette (ctrl+p), type `typed`, and run the entry it finds first."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*typed)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()
