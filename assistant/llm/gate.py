"""One generation at a time on the in-process model, served in arrival order.

llama.cpp runs one generation per context, and two at once on 2 cores would only halve
each other's speed, so embedded generations queue here. A waiter can see how many are
ahead of it (the UI shows "model busy, N ahead") and gives up after a timeout instead of
hanging. Whoever shows the wait registers a callback for the current thread with
`waiting_shown_by`; the model code itself knows nothing about the UI.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from assistant.llm.base import BackendError

_on_wait: ContextVar[Callable[[int], None] | None] = ContextVar("on_wait", default=None)


@contextmanager
def waiting_shown_by(callback: Callable[[int], None]) -> Iterator[None]:
    """While inside, a generation that must queue calls `callback(n_ahead)` about twice a
    second from this thread (so a UI can show it, and can interrupt the wait)."""
    token = _on_wait.set(callback)
    try:
        yield
    finally:
        _on_wait.reset(token)


class FairGate:
    """A FIFO lock whose waiters know their place. `enter` returns a ticket; the holder
    passes it to `leave` (from any thread: the generation thread releases it).

    >>> gate = FairGate(); ticket = gate.enter(timeout=1); gate.waiting(); gate.leave(ticket)
    1
    """

    POLL = 0.5  # seconds between "N ahead" reports

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()  # the head holds the gate

    def waiting(self) -> int:
        """How many hold or wait for the gate now."""
        with self._cond:
            return len(self._queue)

    def enter(self, timeout: float) -> object:
        """Wait for our turn; BackendError after `timeout` seconds. The current thread's
        `waiting_shown_by` callback hears the number ahead while waiting; an exception from
        it (a UI interrupting the wait) gives the place up."""
        ticket, report = object(), _on_wait.get()
        deadline = time.monotonic() + timeout
        with self._cond:
            self._queue.append(ticket)
        try:
            while True:
                with self._cond:
                    ahead = self._queue.index(ticket)
                    if ahead == 0:
                        return ticket
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise BackendError(
                            f"the model is busy: {ahead} answer(s) ahead of yours after {timeout:g} s",
                            "ask again in a minute, or raise STUDY_LLM_TIMEOUT",
                        )
                if report is not None:
                    report(ahead)  # outside the condition: the callback may be slow or raise
                with self._cond:
                    if self._queue.index(ticket) != 0:  # checked under the lock: no wake-up is missed
                        self._cond.wait(min(self.POLL, left))
        except BaseException:
            self.leave(ticket)
            raise

    def leave(self, ticket: object) -> None:
        with self._cond:
            if ticket in self._queue:
                self._queue.remove(ticket)
                self._cond.notify_all()


#: every embedded generation in this process shares the cores, so one queue for all
GATE = FairGate()
