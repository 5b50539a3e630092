"""The app in a real browser: Debian's chromium driven by Playwright against `study ui`.

Skipped only when chromium is not installed (`.ci/run` installs it, so CI runs these).
The hostile-output test answers through `tests/fake_ollama.py` (see there why a fake).
One server on the default settings serves most tests (each browser context is a new
learner session); two more run where the configuration must differ.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, STUDY, _study_env
from tests.fake_ollama import FakeOllama

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed: `apt-get install chromium` (.ci/run does)"
)
ARTIFACTS = ROOT / "artifacts"
ANSWER_TIMEOUT = 180_000  # ms; generous: CI machines are shared


@contextmanager
def running_app(index: Path, **env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The server's log goes to a file: a pipe nobody reads fills up and blocks the server.
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    proc = subprocess.Popen([str(STUDY), "ui", "--port", str(port)], env=_study_env(index, env),
                            stdout=subprocess.DEVNULL, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    try:
        while not healthy(url):
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"`study ui` did not come up: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def new_session(browser, url: str):
    """A new browser context: its own cookies, so its own learner session."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
    return page


@contextmanager
def browser_page(url: str):
    with chromium() as browser:
        yield new_session(browser, url)


@pytest.fixture(scope="module")
def app_url(shipped_index, tmp_path_factory):
    """`study ui` on the default settings, shared by this module's tests."""
    progress = tmp_path_factory.mktemp("browser_progress")
    with running_app(shipped_index, STUDY_PROGRESS_DIR=str(progress)) as url:
        yield url, progress


def ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")


def answer_card(page, number: int):
    """The source card of the page's latest answer: it appears once the answer is complete."""
    card = page.get_by_test_id("stChatMessage").last.get_by_test_id("stExpander").filter(has_text=f"Q{number} ·")
    card.wait_for(timeout=ANSWER_TIMEOUT)
    return card


def messages(page, role: str) -> list[str]:
    """The text of the page's user or assistant messages, by their avatar's test id."""
    avatar = {"user": "stChatMessageAvatarUser", "assistant": "stChatMessageAvatarAssistant"}[role]
    found = page.get_by_test_id("stChatMessage").filter(has=page.get_by_test_id(avatar))
    return [m.get_by_test_id("stChatMessageContent").inner_text().strip() for m in found.all()]


def test_chat_answer_with_source_card_in_chromium(app_url):
    url, _ = app_url
    with browser_page(url) as page:
        ask(page, "explain GQA vs MQA")
        card = answer_card(page, 38)
        answer = page.get_by_test_id("stChatMessage").last
        assert "Q38" in answer.inner_text()
        card.locator("summary").click()
        details = card.get_by_test_id("stExpanderDetails")
        details.wait_for(state="visible", timeout=10_000)
        assert "GQA" in details.inner_text()
        page.wait_for_timeout(500)  # let the card finish opening before the screenshot
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_gqa_vs_mqa.png"), full_page=True)


def test_coverage_badges_in_chromium(app_url):
    """What the guide covers only in part, or not at all, is marked on the answer itself."""
    url, _ = app_url
    with browser_page(url) as page:
        ask(page, "explain temperature")
        answer_card(page, 11)
        ask(page, "and how does top-p differ?")
        page.get_by_text("The guide does not cover top-p").wait_for(timeout=ANSWER_TIMEOUT)
        answer_card(page, 11)
        assert "Partly covered" in page.get_by_test_id("stChatMessage").last.inner_text()
        ask(page, "how long should a canary release run before the full rollout?")
        page.get_by_text('The guide does not answer "how long should a canary release run').wait_for(timeout=ANSWER_TIMEOUT)
        answer_card(page, 77)
        assert "Partly covered" in page.get_by_test_id("stChatMessage").last.inner_text()
        ask(page, "what were Apple's Q3 earnings?")
        page.get_by_text("The guide does not cover \"what were Apple's Q3 earnings?\"").wait_for(timeout=ANSWER_TIMEOUT)
        # The badge comes with the finished answer, after the streamed text.
        page.get_by_test_id("stChatMessage").last.get_by_text("Not in the guide").wait_for(timeout=ANSWER_TIMEOUT)
        assert page.get_by_text("Deploy", exact=True).count() == 0  # a learner's page, not a developer's
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_coverage.png"), full_page=True)


FOUR = {"explain GQA vs MQA": 38, "what is LoRA?": 63, "what is RLHF?": 17, "what does temperature do when sampling?": 11}


def test_four_learners_ask_at_once(app_url):
    url, _ = app_url
    with chromium() as browser:
        pages = {question: new_session(browser, url) for question in FOUR}
        for question, page in pages.items():
            page.get_by_test_id("stChatInputTextArea").fill(question)
        for page in pages.values():  # all four sent within milliseconds
            page.get_by_test_id("stChatInputTextArea").press("Enter")
        for question, page in pages.items():
            answer_card(page, FOUR[question])
        for question, page in pages.items():
            assert messages(page, "user") == [question]  # its own question, once
            (answer,) = messages(page, "assistant")
            assert f"Q{FOUR[question]}" in answer  # cited, as a [Q..] badge and its card
            others = {f"Q{n} ·" for q, n in FOUR.items() if q != question}
            assert not [o for o in others if o in answer]  # nobody else's answer mixed in
            assert page.get_by_test_id("stException").count() == 0
        assert healthy(url)
        late = new_session(browser, url)  # the app still serves a new learner
        ask(late, "explain GQA vs MQA")
        answer_card(late, 38)


def test_bad_browser_input_gets_one_line_each_and_loses_nothing(app_url):
    url, progress = app_url
    with browser_page(url) as page:
        sidebar = page.get_by_test_id("stSidebar")
        learner = sidebar.get_by_label("Learner", exact=True)
        learner.fill("bob smith")
        learner.press("Enter")
        refused = sidebar.get_by_test_id("stAlertContentError")
        refused.wait_for(timeout=30_000)
        assert "profile name 'bob smith' is not usable" in refused.inner_text()
        learner.fill("bob")
        learner.press("Enter")
        sidebar.get_by_text("New learner bob").wait_for(timeout=30_000)

        box = page.get_by_test_id("stChatInputTextArea")
        long = "why " * 500 + "x"  # 2,001 characters
        ask(page, long)
        page.get_by_text("the question is 2,001 characters long").wait_for(timeout=30_000)
        page.wait_for_function("n => document.querySelector('[data-testid=stChatInputTextArea]').value.length === n",
                               arg=len(long), timeout=30_000)  # back in the box, not sent
        assert messages(page, "user") == []

        ask(page, "what is\u202e LoRA? <img src=x onerror=alert(1)> ![x](http://evil.example/a.png)")
        answer_card(page, 63)
        page.get_by_text("Removed invisible control characters").wait_for(timeout=10_000)
        page.get_by_text("Your question contains HTML, a link or an image").wait_for(timeout=10_000)
        assert page.locator("[onerror]").count() == 0 and "evil.example/a.png" not in page.eval_on_selector_all(
            "img", "els => els.map(e => e.src).join(' ')")
        assert "<img src=x onerror=alert(1)>" in messages(page, "user")[0]  # shown as typed, as text

        ask(page, "what is RLHF?")
        box.press("Enter")  # a rapid second Enter: the box is empty and disabled while answering
        answer_card(page, 17)
        ask(page, "what is RLHF?")  # the same question again right after its answer
        page.get_by_text("You sent the same question twice: it is answered once.").wait_for(timeout=30_000)
        assert [m for m in messages(page, "user") if m == "what is RLHF?"] == ["what is RLHF?"]
        assert page.get_by_test_id("stException").count() == 0
    assert not (progress / "bob smith.sqlite3").exists()


def practise_as(page, learner: str) -> None:
    """Name the learner in the sidebar (a new one), then open Practice."""
    box = page.get_by_test_id("stSidebar").get_by_label("Learner", exact=True)
    box.fill(learner)
    box.press("Enter")
    page.get_by_text(f"New learner {learner}").wait_for(timeout=30_000)
    page.get_by_test_id("stSidebar").get_by_text("Practice", exact=True).click()


def test_practice_round_in_chromium(app_url):
    url, progress = app_url
    with browser_page(url) as page:
        practise_as(page, "pia")
        page.get_by_text("Practice: one question at a time").wait_for(timeout=60_000)
        page.get_by_text("Q1.", exact=True).wait_for(timeout=60_000)  # nothing reviewed: Q1 first
        page.get_by_label("Your answer").fill(
            "Generative models learn the data distribution and create new samples, while discriminative models "
            "learn the boundary between classes to classify inputs"
        )
        page.get_by_role("button", name="Grade my answer").click()
        score = page.get_by_test_id("stMetric").filter(has_text="Score")
        score.wait_for(timeout=60_000)
        assert "/100" in score.inner_text()
        page.get_by_text("The guide's answer:").click()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "practice_round.png"), full_page=True)
        page.get_by_role("button", name="Next question").click()
        page.get_by_text("Q2.", exact=True).wait_for(timeout=60_000)
        # Mastery, read at a glance: the review in words, and nothing to scroll sideways.
        page.get_by_test_id("stSidebar").get_by_text("Mastery", exact=True).click()
        table = page.get_by_test_id("stDataFrame").last
        table.wait_for(timeout=60_000)
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1_000)  # let the charts and the table lay out
        page.screenshot(path=str(ARTIFACTS / "mastery.png"), full_page=True)
        wide = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert wide[0] <= wide[1], wide
        # Any element of the table that scrolls sideways (the grid's own scroller included).
        sideways = table.evaluate("el => Array.from(el.querySelectorAll('*')).filter(e => e.scrollWidth > e.clientWidth"
                                  " && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)).length")
        assert sideways == 0
    with sqlite3.connect(progress / "pia.sqlite3") as db:  # the grade was recorded, in pia's own file
        assert db.execute("SELECT question FROM reviews").fetchall() == [(1,)]


def answer_interview(page, turn: int, text: str) -> None:
    """Answer the interview's n-th question in its own form: while the page reruns, the last
    question's box is still on screen, and words typed into it are lost with it."""
    box = page.locator(f".st-key-interview_answer_{turn} textarea")
    box.fill(text)
    page.get_by_test_id("stForm").filter(has=box).get_by_role("button", name="Submit answer").click()


def test_mock_interview_in_chromium(app_url):
    """A timed round: the countdown moves while the learner reads, each answer brings a
    follow-up, and the summary is shown, downloadable and saved in the learner's file."""
    url, progress = app_url
    with browser_page(url) as page:
        practise_as(page, "ivy")
        page.get_by_text("Mock interview", exact=True).click()
        count = page.get_by_label("Questions", exact=True)
        count.wait_for(timeout=60_000)
        count.fill("1")
        count.press("Enter")
        page.get_by_role("button", name="Start the interview").click()
        page.get_by_text("Question 1 of 1").wait_for(timeout=60_000)
        clock = page.get_by_test_id("stProgress")
        clock.wait_for(timeout=30_000)
        before = clock.inner_text()
        page.wait_for_timeout(2_500)
        assert before.endswith("left") and clock.inner_text() != before  # the countdown moves
        answer_interview(page, 1, "Generative models create new content; discriminative ones classify.")
        page.get_by_text("follow-up to Q1").wait_for(timeout=60_000)
        answer_interview(page, 2, "Training data, a model architecture and an inference pipeline.")
        page.get_by_role("button", name="Download the summary (Markdown)").wait_for(timeout=60_000)
        assert "/100" in page.get_by_test_id("stMetric").filter(has_text="Score").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "mock_interview.png"), full_page=True)
        assert page.get_by_test_id("stException").count() == 0
    with sqlite3.connect(progress / "ivy.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM interviews").fetchone() == (1,)
        assert db.execute("SELECT count(*), min(mode) FROM reviews").fetchone() == (2, "interview")


def test_hostile_model_output_does_not_render(shipped_index):
    reply = ("Grouped-query attention shares key and value heads across groups of query heads [Q38]. "
             "![x](http://evil.example/a.png) <img src=x onerror=alert(1)> <script>alert(2)</script>")
    with FakeOllama(reply) as server, running_app(
        shipped_index, STUDY_LLM_BACKEND="ollama", STUDY_OLLAMA_HOST=server.host, STUDY_LLM_MODEL="fake"
    ) as url, browser_page(url) as page:
        ask(page, "explain GQA vs MQA")
        answer_card(page, 38)
        sources = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src') || '')")
        assert not [s for s in sources if s.startswith(("http:", "https:", "//")) and "127.0.0.1" not in s]
        assert page.locator("[onerror]").count() == 0
        assert "evil.example" not in page.content()
        assert "Grouped-query attention shares" in page.get_by_test_id("stChatMessage").last.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hostile_output.png"), full_page=True)


LONG = "walk me through how attention works, step by step, in detail"


def test_busy_model_queue_and_stop_keep_everything(shipped_index):
    """The embedded model writing (generative mode): a second learner waits with a visible
    place in line; Stop ends the first answer at once and keeps its text and question."""
    with running_app(shipped_index, STUDY_ANSWER_MODE="generative") as url, chromium() as browser:
        first, second = new_session(browser, url), new_session(browser, url)
        # A question Gemma answers at length (6-9 s of writing, measured): a short answer could
        # finish before the second learner's question reaches the queue.
        ask(first, LONG)
        stop = first.locator(".st-key-stop_answer button")
        stop.wait_for(timeout=60_000)
        # Stop shows before retrieval and the prompt are done; asked at once, the second
        # question can reach the model's queue first (seen). Two seconds puts it well
        # inside the first answer's writing.
        first.wait_for_timeout(2_000)
        ask(second, "what is LoRA?")
        second.get_by_text("Model busy, 1 ahead of you").wait_for(timeout=60_000)
        stop.click()
        first.get_by_text("Stopped: the answer above is incomplete").wait_for(timeout=30_000)
        answer_card(second, 63)  # the model was freed for the learner in line
        assert messages(first, "user") == [LONG]
        ask(first, "what is RLHF?")  # the stopped turn stays in the history
        answer_card(first, 17)
        assert messages(first, "user") == [LONG, "what is RLHF?"]
        assert "Stopped: the answer above is incomplete" in messages(first, "assistant")[0]
        ARTIFACTS.mkdir(exist_ok=True)
        first.screenshot(path=str(ARTIFACTS / "stopped_answer.png"), full_page=True)


def saved(page, turns: int) -> None:
    """Wait until `turns` answers are complete: each saved answer gets its verdict buttons
    (a count that stale elements of the previous run cannot reach)."""
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=stChatMessage] button[aria-label=\"Thumbs down\"]').length >= n",
        arg=turns, timeout=ANSWER_TIMEOUT)


def test_a_saved_chat_survives_reload_and_restart_and_takes_a_verdict_in_chromium(shipped_index, tmp_path):
    """Ask, ask a follow-up, reload: both turns are back and a third question follows them.
    Restart the server: the chat is listed and opens. A thumbs-down with a reason is stored
    and comes out of `study feedback export`."""
    progress = tmp_path / "progress"
    env = {"STUDY_PROGRESS_DIR": str(progress)}
    first = ["explain GQA vs MQA", "and which one uses less VRAM?"]
    with running_app(shipped_index, **env) as url, chromium() as browser:
        page = new_session(browser, url)
        ask(page, first[0])
        answer_card(page, 38)
        ask(page, first[1])
        saved(page, 2)
        page.wait_for_url("**chat=*", timeout=30_000)
        page.reload()
        page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stChatMessageAvatarUser]').length >= 2",
                               timeout=60_000)
        assert messages(page, "user") == first
        ask(page, "and what does MHA use?")  # a follow-up only in the restored context
        saved(page, 3)
        assert "Q38" in messages(page, "assistant")[-1]
        chat_url = page.url

        page.locator('button[aria-label="Thumbs down"]').nth(1).click()  # the answer to first[1]
        answer = page.get_by_test_id("stChatMessage").filter(has=page.get_by_test_id("stForm"))
        answer.get_by_role("button", name="Send").wait_for(timeout=30_000)
        answer.get_by_test_id("stTextInputRootElement").locator("input").fill("it does not say how much less")
        answer.get_by_role("button", name="Send").click()
        page.get_by_text("Thanks: marked as not good").wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "saved_chats.png"), full_page=True)

    with running_app(shipped_index, **env) as url, chromium() as browser:  # a restarted server
        page = new_session(browser, url)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("button", name=first[0]).click()
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stChatMessageAvatarUser]').length >= 3",
                               timeout=60_000)
        assert messages(page, "user") == [*first, "and what does MHA use?"]
        assert page.url.split("chat=")[1][:16] == chat_url.split("chat=")[1][:16]

    exported = subprocess.run([str(STUDY), "feedback", "export"], env=_study_env(shipped_index, env),
                              capture_output=True, text=True, timeout=120, check=True).stdout
    import json

    (record,) = [json.loads(line) for line in exported.splitlines()]
    assert (record["query"], record["verdict"], record["reason"], record["note"]) == (
        first[1], "bad", "wrong-question", "it does not say how much less")
