"""Full garbage collections while the advisor is not typing.

CPython collects its oldest generation on its own schedule: after every ten collections of
the middle one, whatever the app is doing. In the workstation that generation holds what
was loaded after the first frame (a long thread's blocks and drawn lines, the state synced
since): a full collection walked some 125,000 objects, 60-80 ms on this project's
benchmark machine, and it landed inside a key press about one time in three when a
1,000-message conversation was opened (the frame after `enter` took 90-120 ms instead of
20-40).

`IdleCollector` keeps the young collections as they are (a millisecond or two) and takes
the full ones off CPython's schedule: `tick()`, called a few times a second, runs the full
collection that would have been due once no key or mouse event has arrived for `idle`
seconds. The garbage is the same, collected a little later; if the advisor never pauses,
a due collection runs anyway after `longest` seconds, so memory stays bounded.
"""

from __future__ import annotations

import gc
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
        self._last_input = clock()
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

    def input_seen(self) -> None:
        self._last_input = self.clock()

    def due(self) -> bool:
        """A full collection is owed (CPython would have run one by now)."""
        return self._middle_collections() - self._middle_at_full >= FULL_EVERY

    def tick(self) -> bool:
        """Run the owed full collection if the advisor is idle, or if it has waited too
        long. True if one ran."""
        if self._saved is None or not gc.isenabled() or not self.due():
            return False
        now = self.clock()
        if now - self._last_input < self.idle and now - self._last_full < self.longest:
            return False
        gc.collect()
        self.full_collections += 1
        self._middle_at_full = self._middle_collections()
        self._last_full = self.clock()
        return True
