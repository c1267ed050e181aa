"""Full garbage collections wait for a quiet moment (idle_gc.py): a pause in the typing in
the workstation, in the work of the standalone server."""

from __future__ import annotations

import gc

from advisor_console.idle_gc import FULL_EVERY, NEVER, IdleCollector, collect_when_quiet


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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
        collector.activity_seen()
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
    collector.activity_seen()
    assert not collector.tick()
    clock.now += 0.2
    collector.activity_seen()
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


def test_the_servers_ticker_waits_while_the_process_allocates_and_collects_once_quiet(thresholds):
    """`collect_when_quiet` (the standalone server's thread) counts young collections as
    work: while they keep coming the owed full collection waits; once they stop it runs."""
    import threading
    import time

    collector = IdleCollector(idle=0.3, longest=120.0)
    collector.install()
    _owe_a_full_collection()
    stop = threading.Event()
    ticker = threading.Thread(target=collect_when_quiet, args=(collector, stop, 0.05), daemon=True)
    ticker.start()
    try:
        busy_until = time.monotonic() + 0.8
        while time.monotonic() < busy_until:  # work: containers kept, then dropped
            [[] for _ in range(3000)]  # containers made, then dropped: young collections
            time.sleep(0.005)
        assert collector.full_collections == 0 and collector.due()
        deadline = time.monotonic() + 5
        while collector.full_collections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert collector.full_collections == 1 and not collector.due()
    finally:
        stop.set()
        ticker.join(2)


def test_the_standalone_server_waits_for_quiet_to_collect_and_gives_the_schedule_back(thresholds, monkeypatch):
    """`serve_forever` (what `advisor-console serve` runs) takes full collections off
    CPython's schedule while it serves, with its ticker thread running, and puts them back
    when it stops."""
    import threading

    from advisor_console.server import runner

    seen = {}

    def run(self, sockets=None):  # stands in for uvicorn's loop: look, then stop
        seen["threshold"] = gc.get_threshold()[2]
        seen["ticker"] = any(t.name == "advisor-console-gc" and t.is_alive() for t in threading.enumerate())

    monkeypatch.setattr(runner._Server, "run", run)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the test process is not the server's
    runner.serve_forever(None, "127.0.0.1", 0, "warning")
    assert seen == {"threshold": NEVER, "ticker": True}
    assert gc.get_threshold() == thresholds
