"""Full garbage collections wait for a pause in the typing (tui/idle_gc.py)."""

from __future__ import annotations

import gc

import pytest

from advisor_console.tui.idle_gc import FULL_EVERY, NEVER, IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    enabled = gc.isenabled()
    gc.enable()
    yield saved
    gc.set_threshold(*saved)
    if not enabled:
        gc.disable()


def _owe_a_full_collection() -> None:
    for _ in range(FULL_EVERY):
        gc.collect(1)


def test_install_takes_full_collections_off_cpythons_schedule_and_uninstall_gives_them_back(thresholds):
    collector = IdleCollector()
    collector.install()
    assert gc.get_threshold() == (thresholds[0], thresholds[1], NEVER)
    collector.install()  # twice is harmless: the saved thresholds are the original ones
    collector.uninstall()
    assert gc.get_threshold() == thresholds


def test_an_owed_collection_waits_while_keys_arrive_and_runs_once_idle(thresholds):
    clock = Clock()
    collector = IdleCollector(idle=1.0, longest=120.0, clock=clock)
    collector.install()
    assert not collector.due() and not collector.tick()  # nothing owed yet
    _owe_a_full_collection()
    assert collector.due()
    full_before = gc.get_stats()[2]["collections"]
    for _ in range(5):  # typing: a key every 0.3 s
        clock.now += 0.3
        collector.input_seen()
        assert not collector.tick()
    assert gc.get_stats()[2]["collections"] == full_before
    clock.now += 1.0  # a pause
    assert collector.tick()
    assert gc.get_stats()[2]["collections"] == full_before + 1
    assert collector.full_collections == 1 and not collector.due()
    assert not collector.tick()  # paid: nothing owed until ten more middle collections


def test_a_collection_owed_too_long_runs_even_while_typing(thresholds):
    clock = Clock()
    collector = IdleCollector(idle=1.0, longest=120.0, clock=clock)
    collector.install()
    _owe_a_full_collection()
    clock.now += 119.9
    collector.input_seen()
    assert not collector.tick()
    clock.now += 0.2
    collector.input_seen()
    assert collector.tick()


def test_garbage_cycles_are_still_freed(thresholds):
    class Node:
        pass

    clock = Clock()
    collector = IdleCollector(idle=1.0, clock=clock)
    collector.install()
    gc.collect()
    node = Node()
    node.me = node  # a cycle: only the collector frees it
    import weakref

    alive = weakref.ref(node)
    del node
    for _ in range(FULL_EVERY):  # old enough to sit in the oldest generation
        gc.collect(1)
    clock.now += 2.0
    assert collector.tick()
    assert alive() is None


def test_not_installed_or_collector_off_means_no_collection(thresholds):
    clock = Clock()
    collector = IdleCollector(clock=clock)
    _owe_a_full_collection()
    clock.now += 10
    assert not collector.tick()  # not installed
    collector.install()
    _owe_a_full_collection()
    gc.disable()
    clock.now += 10
    assert not collector.tick()  # the collector is off (a start, before the first frame)


async def test_the_workstation_installs_it_counts_keys_as_input_and_restores_on_exit(thresholds):
    from snapshot_app import make_app
    from tui_helpers import wait_until

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.collector.installed, what="the collector installed after the first frame")
        assert gc.get_threshold()[2] == NEVER
        before = app.collector._last_input
        await pilot.press("down")
        assert app.collector._last_input > before
    assert gc.get_threshold() == thresholds
