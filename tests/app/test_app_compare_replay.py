"""A compare's run log replays as the live app shows it: one position per stats tick, every variant."""

from __future__ import annotations

from makemore_tui.tui.replay import ReplayFeed
from tests.app.helpers import GAINS, replay_app, run_async, screen_text, wait_for_text
from tests.fake_trainer import compare_run


def test_a_compare_logs_positions_are_its_stats_ticks():
    records = compare_run(GAINS, diverge={3: 400})
    feed = ReplayFeed(records)
    assert feed.count == 11  # steps 0, 100, …, 1000: one position each, however many variants
    assert len([r for r in records if r["event"] == "stats"]) == 4 * 5 + 3 * 6  # d froze after step 400
    batch = feed.poll()  # opened at the end: everything
    assert batch.records == records
    starts = feed._stats_at
    assert [records[i]["step"] for i in starts] == list(range(0, 1001, 100))
    assert all(records[i]["variant"] == 0 for i in starts)


@run_async
async def test_a_compare_replays_with_every_variant_and_moves_a_tick_at_a_time():
    app = replay_app(compare_run(GAINS, diverge={3: 400}), name="compare.jsonl")
    async with app.run_test(size=(120, 40)) as pilot:
        text = await wait_for_text(pilot, app, "record 11/11")
        for label in ("a gain 0.5", "b gain 1", "c gain 5/3", "d gain 3"):
            assert label in text
        assert "d ✖ diverged at step 401" in text
        await pilot.press("home")
        text = await wait_for_text(pilot, app, "record 1/11")
        assert "step 0/1,000" in text
        assert all(variant.stats["step"] == 0 for variant in app.view.current.variants)
        assert "diverged" not in screen_text(app)  # not yet, at step 0
        await pilot.press("right")
        await wait_for_text(pilot, app, "record 2/11")
        assert [variant.stats["step"] for variant in app.view.current.variants] == [100] * 4
