"""The redraw budget: data repaints back off while the UI thread is over its CPU share; keys don't wait."""

from __future__ import annotations

from makemore_tui.tui.budget import BUDGET_WINDOW, REDRAW_INTERVAL, UI_CPU_BUDGET, RedrawBudget
from tests.app.helpers import live_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import SMALL, stats_record


class Clocks:
    """A wall clock and a thread CPU clock that move only when told."""

    def __init__(self):
        self.wall = 100.0
        self.cpu = 5.0

    def spend(self, seconds: float, share: float) -> None:
        """`seconds` pass, this thread busy for `share` of them."""
        self.wall += seconds
        self.cpu += seconds * share


def budget_on(clocks: Clocks) -> RedrawBudget:
    return RedrawBudget(wall=lambda: clocks.wall, cpu=lambda: clocks.cpu)


def test_over_budget_it_backs_off_to_the_cap_and_under_it_comes_back():
    clocks = Clocks()
    budget = budget_on(clocks)
    assert budget.interval == REDRAW_INTERVAL[0]
    clocks.spend(BUDGET_WINDOW / 2, share=0.5)
    assert budget.measure() is None and budget.interval == REDRAW_INTERVAL[0]  # the window is not over yet
    clocks.spend(BUDGET_WINDOW, share=0.5)
    assert budget.measure() is not None and budget.interval > REDRAW_INTERVAL[0]
    for _ in range(20):
        clocks.spend(BUDGET_WINDOW, share=3 * UI_CPU_BUDGET)
        budget.measure()
    assert budget.interval == REDRAW_INTERVAL[1]  # capped
    clocks.spend(BUDGET_WINDOW, share=0.75 * UI_CPU_BUDGET)  # under budget, not under half of it: hold
    budget.measure()
    assert budget.interval == REDRAW_INTERVAL[1]
    for _ in range(20):
        clocks.spend(BUDGET_WINDOW, share=UI_CPU_BUDGET / 4)
        budget.measure()
    assert budget.interval == REDRAW_INTERVAL[0]  # floored


def test_a_widget_repaints_at_most_once_per_interval_unless_forced():
    clocks = Clocks()
    budget = budget_on(clocks)
    budget.mark("loss")
    assert budget.due() == ["loss"]  # never painted: at once
    budget.mark("loss")
    clocks.spend(budget.interval / 2, share=0.0)
    assert budget.due() == []  # painted half an interval ago: it waits
    assert budget.due(force=True) == ["loss"]  # a key: whatever the interval
    assert budget.due(force=True) == []  # handed out once
    budget.mark("loss")
    clocks.spend(budget.interval, share=0.0)
    assert budget.due() == ["loss"]


@run_async
async def test_keys_repaint_at_once_whatever_the_interval():
    # An interval of an hour: data alone never repaints a panel after the first frame.
    app, trainer = live_app(budget=RedrawBudget(intervals=(3600.0, 3600.0)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_text(pilot, app, "run 1 (BN on · gain 5/3)")
        # New data without a key waits for the interval: step 700's L1 saturation stays off screen.
        record = stats_record(1, 700, SMALL)
        record["layers"][0]["saturated_pct"] = 42.42
        trainer.channel.put(record)
        await pilot.pause(0.3)
        assert "42.4%" not in screen_text(app)
        # b: the trainer's answer (a new run) repaints the loss panel at once.
        await pilot.press("b")
        await wait_for_text(pilot, app, "run 2 (BN off)", timeout=1.0)
