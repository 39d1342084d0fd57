"""Heartbeats for long synchronous activities: progress in the UI, a dead worker seen quickly.

Training a model is one blocking call that can run for many minutes (the distilled route
fine-tunes a transformer). Without heartbeats a worker that dies mid-training is noticed only
when the start-to-close timeout runs out. `ProgressHeartbeat` sends the latest progress note
as heartbeat details from a daemon thread, every quarter of the activity's heartbeat timeout,
so Temporal retries on another worker within that timeout and the UI shows how far it got.
The thread runs in a copy of the activity's context: sync activities find their context in
contextvars, which a new thread does not inherit. A training step that hangs while its worker
stays alive is still caught by the start-to-close timeout, not by this.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from types import TracebackType

from temporalio import activity

MIN_INTERVAL_SECONDS = 0.2
log = logging.getLogger(__name__)


class ProgressHeartbeat:
    """`with ProgressHeartbeat() as progress:` then `progress.note("step 3 of 9")`."""

    def __init__(self) -> None:
        self._latest = "started"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_activity = activity.in_activity()  # called directly (tests, scripts): log only

    def note(self, message: str) -> None:
        """Record progress: logged now, sent with this and every following heartbeat."""
        self._latest = str(message)
        if self._in_activity:
            activity.logger.info("progress: %s", self._latest)
            activity.heartbeat(self._latest)
        else:
            log.info("progress: %s", self._latest)

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            activity.heartbeat(self._latest)

    def __enter__(self) -> ProgressHeartbeat:
        if not self._in_activity:
            return self
        timeout = activity.info().heartbeat_timeout
        activity.heartbeat(self._latest)
        if timeout:
            interval = max(timeout.total_seconds() / 4, MIN_INTERVAL_SECONDS)
            context = contextvars.copy_context()
            self._thread = threading.Thread(
                target=context.run, args=(self._beat, interval), daemon=True, name="heartbeat"
            )
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
