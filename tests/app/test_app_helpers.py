"""The app tests' own helpers: a wait that times out fails the test and shows what was on the screen."""

from __future__ import annotations

import pytest

from tests.app.helpers import live_app, run_async, wait_for_text


@run_async
async def test_wait_for_text_raises_with_the_screen_on_timeout():
    app, _ = live_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert "step 600" in await wait_for_text(pilot, app, "step 600")  # there: returns the screen
        with pytest.raises(AssertionError) as info:
            await wait_for_text(pilot, app, "no such text", timeout=0.3)
    message = str(info.value)
    assert "'no such text' not on the screen after 0.3 s" in message
    assert "step 600" in message  # the screen it saw, to debug from
