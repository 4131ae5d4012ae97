"""The bounded, latest-wins channel that carries records from the trainer to its viewer."""

from __future__ import annotations

import threading
from collections import deque

from makemore_tui.core.records import DROPPABLE


class RecordChannel:
    """A thread-safe queue of plain-data records that never blocks its producer.

    When it holds `maxsize` records, putting one more drops the oldest droppable record
    (stats, progress): the viewer shows the latest state, and the run log keeps them all.
    Lifecycle records (run start/end, eval, samples, errors) are never dropped.
    """

    def __init__(self, maxsize: int = 64):
        self.maxsize = maxsize
        self.dropped = 0  # droppable records discarded so far
        self._items: deque[dict] = deque()
        self._ready = threading.Condition(threading.Lock())

    def put(self, record: dict) -> None:
        """Add a record; when full, make room by dropping the oldest droppable one."""
        with self._ready:
            if len(self._items) >= self.maxsize:
                self._drop_oldest_droppable()
            self._items.append(record)
            self._ready.notify()

    def _drop_oldest_droppable(self) -> None:
        for i, item in enumerate(self._items):
            if item.get("event") in DROPPABLE:
                del self._items[i]
                self.dropped += 1
                return

    def drain(self) -> list[dict]:
        """Take every waiting record, oldest first, without blocking."""
        with self._ready:
            items = list(self._items)
            self._items.clear()
        return items

    def get(self, timeout: float | None = None) -> dict | None:
        """Take the oldest record, waiting up to `timeout` seconds; None if none came."""
        with self._ready:
            if not self._items and not self._ready.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)
