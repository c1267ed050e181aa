"""The workstation collects its oldest generation between key presses (advisor_console/idle_gc.py)."""

from __future__ import annotations

import gc


from advisor_console.idle_gc import NEVER


async def test_the_workstation_installs_it_counts_keys_as_input_and_restores_on_exit(thresholds):
    from snapshot_app import make_app
    from tui_helpers import wait_until

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.collector.installed, what="the collector installed after the first frame")
        assert gc.get_threshold()[2] == NEVER
        before = app.collector._last_activity
        await pilot.press("down")
        assert app.collector._last_activity > before
    assert gc.get_threshold() == thresholds
