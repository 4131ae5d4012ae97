"""z zooms the current panel and escape goes back: a panel's key then z leaves that panel zoomed."""

from __future__ import annotations

from tests.app.helpers import live_app, run_async, wait_for_text


@run_async
async def test_a_panel_key_then_z_leaves_that_panel_zoomed():
    app, _ = live_app(respond=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for_text(pilot, app, "step 600")
        assert not app.zoomed
        await pilot.press("2", "z")
        assert app.zoomed and app.panel == 1  # not back to the grid
        await pilot.press("z")
        assert app.zoomed and app.panel == 1
        await pilot.press("escape")
        assert not app.zoomed
        await pilot.press("tab", "z")  # the next panel, zoomed by z alone
        assert app.zoomed and app.panel == 2
