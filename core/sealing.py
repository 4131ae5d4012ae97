"""A run log that any thread can seal at any moment and still leave whole: the last run ends with `run_end`.

The trainer writes a run's `run_end` itself. When a quit's time limit runs out first (a step or a
setup that did not return in time), the process's way out (tui/lifecycle.py) seals the log instead:
`seal` writes the run_end the trainer could not, for the run the log holds open, and refuses every
later write, so nothing lands after it however late the trainer comes back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from makemore_tui.core.records import EndReason, Event
from makemore_tui.core.runlog import RunLog

SEALED_MESSAGE = "the run log was sealed: the trainer did not stop within the quit's time limit"


@dataclass(frozen=True)
class LogStop:
    """Where a run log stopped because a write failed (a full disk): it holds everything before that record."""

    run: int  # the run the lost record belonged to
    step: int  # that record's step (a stats record's: the step measured)
    reason: str  # the OS's words, e.g. "No space left on device"

    def describe(self) -> str:
        """`it stopped at step 1200 of run 1 (No space left on device)`"""
        return f"it stopped at step {self.step:,} of run {self.run} ({self.reason})"


class SealableLog:
    """Wraps a RunLog (the same `path`, `write`, `close`) and follows which run it holds open.

    `write` raises ValueError once the log is sealed or closed, as a closed RunLog does (the trainer
    stops writing and goes on, core/trainer.py `_emit`). Thread-safe: one lock around every write.
    """

    def __init__(self, run_log: RunLog):
        self.run_log = run_log
        self.path = run_log.path
        self.last_run = run_log.last_run  # the log's last run number when opened (RunLog.last_run)
        self.sealed = False  # no record is written any more
        self.stopped: LogStop | None = None  # set when a write failed (disk full): the log is incomplete
        self._lock = threading.Lock()
        self._open: dict | None = None  # {"run", "step"} of a run_start not yet closed by its run_end

    def write(self, record: dict) -> None:
        """Write one record (RunLog.write); ValueError once sealed."""
        with self._lock:
            if self.sealed:
                raise ValueError("the run log is sealed")
            try:
                self.run_log.write(record)
            except OSError as error:
                self._stop(record, error)
                raise
            self._follow(record)

    @property
    def run_open(self) -> bool:
        """True while a run_start has been written and its run_end not yet."""
        return self._open is not None

    def _stop(self, record: dict, error: OSError) -> None:
        """The log is cut (its last line may be torn): remember where, and write nothing more, not even a seal."""
        run = record.get("run") if isinstance(record.get("run"), int) else self.last_run
        step = record.get("step") if isinstance(record.get("step"), int) else (self._open or {}).get("step", 0)
        self.stopped = LogStop(run, step, error.strerror or str(error))
        self.sealed = True
        self._open = None
        try:
            self.run_log.close()
        except OSError:
            pass  # the close's flush met the same full disk: nothing more to save

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
                return True  # sealed before, or stopped by a failed write (closed then)
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
