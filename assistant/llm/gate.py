"""One generation at a time on the in-process model, served in arrival order.

llama.cpp runs one generation per context, and two at once on 2 cores would only halve
each other's speed, so embedded generations queue here. A waiter can see how many are
ahead of it (the UI shows "model busy, N ahead") and gives up after a timeout instead of
hanging. Whoever reads a stream can watch it from the current thread with `watched_by`:
how many are ahead while it waits, and a beat per token while it streams (a UI uses the
beat to notice a Stop click between sentences); the model code knows nothing about the UI.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from assistant.llm.base import BackendError


@dataclass(frozen=True)
class _Watch:
    on_wait: Callable[[int], None] | None = None
    on_token: Callable[[], None] | None = None


_watch: ContextVar[_Watch] = ContextVar("watch", default=_Watch())


@contextmanager
def watched_by(on_wait: Callable[[int], None] | None = None, on_token: Callable[[], None] | None = None):
    """While inside, streams read on this thread call `on_wait(n_ahead)` about twice a
    second while queued and `on_token()` for each token; either may raise to interrupt."""
    token = _watch.set(_Watch(on_wait, on_token))
    try:
        yield
    finally:
        _watch.reset(token)


def token_heard() -> None:
    """Backends call this as each token reaches the reader."""
    beat = _watch.get().on_token
    if beat is not None:
        beat()


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
        `watched_by` hears the number ahead while waiting; an exception from it (a UI
        interrupting the wait) gives the place up."""
        ticket, report = object(), _watch.get().on_wait
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

