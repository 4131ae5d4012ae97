"""A run log that any thread can seal at any moment and still leave whole: the last run ends with `run_end`.

The trainer writes a run's `run_end` itself. When a quit's time limit runs out first (a step or a
setup that did not return in time), the process's way out (tui/lifecycle.py) seals the log instead:
`seal` writes the run_end the trainer could not, for the run the log holds open, and refuses every
later write, so nothing lands after it however late the trainer comes back.
"""

from __future__ import annotations

import threading

from makemore_tui.core.records import EndReason, Event
from makemore_tui.core.runlog import RunLog

SEALED_MESSAGE = "the run log was sealed: the trainer did not stop within the quit's time limit"


class SealableLog:
    """Wraps a RunLog (the same `path`, `write`, `close`) and follows which run it holds open.

    `write` raises ValueError once the log is sealed or closed, as a closed RunLog does (the trainer
    stops writing and goes on, core/trainer.py `_emit`). Thread-safe: one lock around every write.
    """

    def __init__(self, run_log: RunLog):
        self.run_log = run_log
        self.path = run_log.path
        self.sealed = False  # no record is written any more
        self._lock = threading.Lock()
        self._open: dict | None = None  # {"run", "step"} of a run_start not yet closed by its run_end

    def write(self, record: dict) -> None:
        """Write one record (RunLog.write); ValueError once sealed."""
        with self._lock:
            if self.sealed:
                raise ValueError("the run log is sealed")
            self.run_log.write(record)
            self._follow(record)

    @property
    def run_open(self) -> bool:
        """True while a run_start has been written and its run_end not yet."""
        return self._open is not None

    def _follow(self, record: dict) -> None:
        event, step = record.get("event"), record.get("step")
        if event == Event.RUN_START:
            self._open = {"run": record.get("run"), "step": 0}
        elif event == Event.RUN_END:
            self._open = None
        elif self._open is not None and isinstance(step, int):
            # a stats record's step is the index of the step measured; elsewhere it counts steps done
            self._open["step"] = max(self._open["step"], step + 1 if event == Event.STATS else step)

    def seal(self, message: str = SEALED_MESSAGE, timeout: float = 0.2) -> bool:
        """End the open run with a `run_end` (reason stopped, its eval and samples `skipped`) and close the log.

        Waits at most `timeout` s for a write in progress (a reader of a FIFO that stopped reading);
        returns False when it could not take the log in that time (nothing was written then).
        """
        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            if self.sealed:
                return True
            self.sealed = True
            if self._open is not None:
                self.run_log.write(
                    {
                        "event": Event.RUN_END,
                        **self._open,
                        "reason": EndReason.STOPPED,
                        "message": message,
                        "skipped": [Event.EVAL.value, Event.SAMPLES.value],
                    }
                )
            self.run_log.close()
            return True
        except (OSError, ValueError):
            return True  # the log broke or was closed before: nothing more can be written
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the log, sealing it first when a run is still open (its trainer has not written run_end)."""
        self.seal()

    def __enter__(self) -> SealableLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
