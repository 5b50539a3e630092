"""The embedded model shared by concurrent learners: one generation at a time, in arrival
order, the gate always released, interrupted streams harmless. Real Gemma 3 270M in-process."""

from __future__ import annotations

import threading
import time
from contextlib import closing

import pytest

from assistant.llm.base import BackendError
from assistant.llm.embedded import EmbeddedLLM
from assistant.llm.gate import FairGate, watched_by
from assistant.runtime import LLAMA

PROMPT = [{"role": "system", "content": "Answer."},
          {"role": "user", "content": "List the numbers from 1 to 60, comma separated."}]
TOKENS = 24


@pytest.fixture(scope="module")
def llm():
    model = EmbeddedLLM(models=LLAMA)  # the process's shared models and gate, as the UI uses them
    model.complete(PROMPT, max_tokens=4)  # load it, and its first-call numerics, once
    return model


def wait_until_free(seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while LLAMA.gate.waiting() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert LLAMA.gate.waiting() == 0, "the gate was never released"


def test_a_stream_stopped_midway_frees_the_model_and_the_next_answer_is_whole(llm):
    whole = llm.complete(PROMPT, max_tokens=TOKENS)
    with closing(llm.stream(PROMPT, max_tokens=TOKENS, temperature=0.0)) as deltas:  # the UI's Stop
        shown = "".join(next(deltas) for _ in range(3))
    assert shown.strip() and whole.startswith(shown)  # what was shown before Stop is the answer's start
    wait_until_free()
    abandoned = llm.stream(PROMPT, max_tokens=TOKENS, temperature=0.0)  # a reader that vanishes
    next(abandoned)
    wait_until_free()  # generation ran to its end on its own thread and let go, unclosed
    assert llm.complete(PROMPT, max_tokens=TOKENS) == whole  # asked again: the same whole answer
    abandoned.close()


def test_a_stop_heard_between_tokens_releases_the_gate(llm):
    beats: list[int] = []

    def beat() -> None:  # the UI's per-token call, where Streamlit raises a Stop click
        beats.append(1)
        if len(beats) == 3:
            raise KeyError("Stop clicked")

    with watched_by(on_token=beat), pytest.raises(KeyError):
        llm.complete(PROMPT, max_tokens=TOKENS)
    wait_until_free()


def test_a_waiting_learner_hears_how_many_are_ahead(llm):
    first_text = threading.Event()
    results: dict[str, str] = {}

    def first() -> None:
        text = ""
        for delta in llm.stream(PROMPT, max_tokens=2 * TOKENS, temperature=0.0):  # long enough to queue behind
            first_text.set()
            text += delta
        results["first"] = text

    def second(heard: list[int]) -> None:
        with watched_by(on_wait=heard.append):
            results["second"] = llm.complete(PROMPT, max_tokens=TOKENS)

    heard: list[int] = []
    a = threading.Thread(target=first)
    a.start()
    assert first_text.wait(60)
    b = threading.Thread(target=second, args=(heard,))
    b.start()
    a.join(60)
    b.join(60)
    assert heard and set(heard) == {1}  # "model busy, 1 ahead"
    wait_until_free()
    # Both learners got whole answers, each the one it gets with the model to itself.
    assert results["first"] == llm.complete(PROMPT, max_tokens=2 * TOKENS)
    assert results["second"] == llm.complete(PROMPT, max_tokens=TOKENS)


def test_counting_tokens_never_queues_for_the_model(llm):
    counted: list[int] = []
    ticket = LLAMA.gate.enter(timeout=1)  # as if another learner's answer were being written
    try:
        counter = threading.Thread(target=lambda: counted.append(llm.count_tokens("Grouped-query attention")))
        counter.start()
        counter.join(30)
        assert len(counted) == 1  # done while the model was busy: a separate tokenizer
    finally:
        LLAMA.gate.leave(ticket)
    assert counted[0] == llm.count_tokens("Grouped-query attention") > 1  # the same count as with the model free


def test_the_gate_serves_in_arrival_order_and_times_out():
    gate = FairGate()
    holder = gate.enter(timeout=1)
    order: list[str] = []

    def waiter(name: str) -> None:
        ticket = gate.enter(timeout=10)
        order.append(name)
        gate.leave(ticket)

    threads = []
    for name in "abc":
        threads.append(threading.Thread(target=waiter, args=(name,)))
        threads[-1].start()
        while gate.waiting() < len(threads) + 1:  # each in line before the next arrives
            time.sleep(0.005)
    with pytest.raises(BackendError, match=r"the model is busy: 4 answer\(s\) ahead of yours after 0.2 s: ask again"):
        gate.enter(timeout=0.2)
    gate.leave(holder)
    for t in threads:
        t.join(5)
    assert order == ["a", "b", "c"] and gate.waiting() == 0  # the one that gave up left no ticket behind


def test_a_wait_interrupted_by_the_page_gives_up_its_place():
    gate = FairGate()
    holder = gate.enter(timeout=1)

    def interrupt(ahead: int) -> None:
        raise KeyError("rerun")  # the page reran while the learner waited

    with watched_by(on_wait=interrupt), pytest.raises(KeyError):
        gate.enter(timeout=10)
    assert gate.waiting() == 1  # only the holder
    gate.leave(holder)
