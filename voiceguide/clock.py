"""Clocks and the input events they deliver.

The session never reads the time itself: it is given a clock. :class:`MonotonicClock` is the
real one; :class:`VirtualClock` jumps straight to the next due moment, so a 30-second hold
runs in a millisecond under test and in ``simulate``.
"""

from __future__ import annotations

import queue
import time
from typing import Protocol

from voiceguide.events import InputEnded, InputEvent


class Clock(Protocol):
    """A source of time that can also wait for the next input event."""

    def now(self) -> float: ...

    def wait(self, events: queue.SimpleQueue[InputEvent], deadline: float | None) -> InputEvent | None:
        """Return the next event, or None once the clock reaches ``deadline`` without one."""
        ...


class MonotonicClock:
    """Real time, for live sessions."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, events: queue.SimpleQueue[InputEvent], deadline: float | None) -> InputEvent | None:
        try:
            return events.get(timeout=None if deadline is None else max(0.0, deadline - self.now()))
        except queue.Empty:
            return None


class VirtualClock:
    """Time that only moves when waited on: to the next event, or to the deadline, whichever is first.

    Events must arrive in time order and the stream must finish with :class:`InputEnded`.
    A pending deadline is always run out before ``InputEnded`` is delivered.
    """

    def __init__(self, start: float = 0.0):
        self.t = start
        self._held: InputEvent | None = None

    def now(self) -> float:
        return self.t

    def wait(self, events: queue.SimpleQueue[InputEvent], deadline: float | None) -> InputEvent | None:
        event = self._held if self._held is not None else events.get()
        self._held = None
        if deadline is None or (not isinstance(event, InputEnded) and event.t <= deadline):
            self.t = max(self.t, event.t)
            return event
        self._held = event
        self.t = max(self.t, deadline)
        return None
