"""Full garbage collections while the process is quiet: the workstation between key
presses, the standalone server between bursts of requests.

CPython collects its oldest generation on its own schedule: after every ten collections of
the middle one, whatever the program is doing, and a full collection stops everything
until it is done.
- In the workstation that generation holds what was loaded after the first frame (a long
  thread's blocks and drawn lines, the state synced since): a full collection walked some
  125,000 objects, 60-80 ms on this project's benchmark machine, and it landed inside a
  key press about one time in three when a 1,000-message conversation was opened.
- In the server it holds the open streams and what start-up left after its freeze: under
  200 posts a second to 500 SSE subscribers, one came about two seconds into the load
  (22-27 ms, every stream late by as much), then every fifteen seconds or so.

`IdleCollector` keeps the young collections as they are (a millisecond or two) and takes
the full ones off CPython's schedule: `tick()`, called a few times a second, runs the full
collection that would have been due once no activity (a key or mouse event; for the
server, any allocation worth a young collection) has been seen for `idle` seconds. The
garbage is the same, collected a little later; if the process is never quiet, a due
collection runs anyway after `longest` seconds, so memory stays bounded.
`collect_when_quiet` is the server's ticker (a thread).
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Callable

NEVER = 1_000_000_000  # a third threshold CPython never reaches: no automatic full collection
FULL_EVERY = 10  # middle-generation collections per full one (CPython's default third threshold)


class IdleCollector:
    def __init__(self, *, idle: float = 1.0, longest: float = 120.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle = idle
        self.longest = longest
        self.clock = clock
        self.full_collections = 0  # run by tick()
        self._saved: tuple[int, int, int] | None = None
        self._last_activity = clock()
        self._last_full = clock()
        self._middle_at_full = self._middle_collections()

    @staticmethod
    def _middle_collections() -> int:
        return gc.get_stats()[1]["collections"]

    @property
    def installed(self) -> bool:
        return self._saved is not None

    def install(self) -> None:
        """Take full collections off CPython's schedule (undone by `uninstall`)."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, _ = self._saved
            gc.set_threshold(young, middle, NEVER)
            self._middle_at_full = self._middle_collections()
            self._last_full = self.clock()

    def uninstall(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def activity_seen(self) -> None:
        self._last_activity = self.clock()

    def due(self) -> bool:
        """A full collection is owed (CPython would have run one by now)."""
        return self._middle_collections() - self._middle_at_full >= FULL_EVERY

    def tick(self) -> bool:
        """Run the owed full collection if nothing happened for `idle` seconds, or if it
        has waited `longest`. True if one ran."""
        if self._saved is None or not gc.isenabled() or not self.due():
            return False
        now = self.clock()
        if now - self._last_activity < self.idle and now - self._last_full < self.longest:
            return False
        gc.collect()
        self.full_collections += 1
        self._middle_at_full = self._middle_collections()
        self._last_full = self.clock()
        return True


def young_collections() -> int:
    return gc.get_stats()[0]["collections"]


def collect_when_quiet(collector: IdleCollector, stop: threading.Event, period: float = 0.25) -> None:
    """Tick `collector` every `period` seconds until `stop` is set, counting as activity
    any young collection since the last tick (a process that allocates is working: a
    server taking requests, writing to its streams). Run in a thread of its own."""
    seen = young_collections()
    while not stop.wait(period):
        now = young_collections()
        if now != seen:
            seen = now
            collector.activity_seen()
        collector.tick()
