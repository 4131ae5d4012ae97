"""The render budget: data repaints back off while the UI thread is over its CPU share."""

from __future__ import annotations

import time

from tests.conftest_app import live_app, run_async, screen_text
from tui.app import REDRAW_INTERVAL, UI_CPU_BUDGET


@run_async
async def test_repaints_slow_down_over_budget_and_speed_up_under_it():
    app, _ = live_app(respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.redraw_interval == REDRAW_INTERVAL[0]
        # Pretend this thread used a third of a core over the last three seconds.
        app._budget_window = (time.monotonic() - 3.0, time.thread_time() - 1.0)
        app._keep_to_budget()
        assert app.redraw_interval == REDRAW_INTERVAL[0] * 1.5
        for _ in range(10):
            app._budget_window = (time.monotonic() - 3.0, time.thread_time() - 1.0)
            app._keep_to_budget()
        assert app.redraw_interval == REDRAW_INTERVAL[1]  # capped
        for _ in range(10):
            # An idle window: well under half the budget.
            app._budget_window = (time.monotonic() - 100.0, time.thread_time() - UI_CPU_BUDGET)
            app._keep_to_budget()
        assert app.redraw_interval == REDRAW_INTERVAL[0]


@run_async
async def test_keys_repaint_at_once_whatever_the_interval():
    app, _ = live_app(respond=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.redraw_interval = REDRAW_INTERVAL[1]
        await pilot.press("m")
        await pilot.pause()
        assert "L2 2/5" in screen_text(app)
