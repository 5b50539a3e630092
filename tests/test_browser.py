"""The app in a real browser: Debian's chromium driven by Playwright against `study ui`.

Skipped only when chromium is not installed (`.ci/run` installs it, so CI runs these).
The hostile-output test answers through `tests/fake_ollama.py` (see there why a fake).
"""

from __future__ import annotations

import socket
import subprocess
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


@contextmanager
def running_app(index: Path, **env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(STUDY), "ui", "--port", str(port)], env=_study_env(index, env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    try:
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"`study ui` did not come up: {proc.stderr.read()[-2000:] if proc.poll() is not None else 'timeout'}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 1000})
        finally:
            browser.close()


def ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=120_000)
    box.fill(question)
    box.press("Enter")


def test_chat_answer_with_source_card_in_chromium(shipped_index):
    with running_app(shipped_index) as url, browser_page() as page:
        page.goto(url)
        ask(page, "explain GQA vs MQA")
        card = page.get_by_test_id("stExpander").filter(has_text="Q38 ·")
        card.wait_for(timeout=180_000)  # appears once the answer is complete and verified
        answer = page.get_by_test_id("stChatMessage").last
        assert "Q38" in answer.inner_text()
        card.locator("summary").click()
        details = card.get_by_test_id("stExpanderDetails")
        details.wait_for(state="visible", timeout=10_000)
        assert "GQA" in details.inner_text()
        page.wait_for_timeout(500)  # let the card finish opening before the screenshot
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_gqa_vs_mqa.png"), full_page=True)


def test_hostile_model_output_does_not_render(shipped_index):
    reply = ("Grouped-query attention shares key and value heads across groups of query heads [Q38]. "
             "![x](http://evil.example/a.png) <img src=x onerror=alert(1)> <script>alert(2)</script>")
    with FakeOllama(reply) as server, running_app(
        shipped_index, STUDY_LLM_BACKEND="ollama", STUDY_OLLAMA_HOST=server.host, STUDY_LLM_MODEL="fake"
    ) as url, browser_page() as page:
        page.goto(url)
        ask(page, "explain GQA vs MQA")
        page.get_by_test_id("stExpander").filter(has_text="Q38 ·").wait_for(timeout=120_000)
        sources = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src') || '')")
        assert not [s for s in sources if s.startswith(("http:", "https:", "//")) and "127.0.0.1" not in s]
        assert page.locator("[onerror]").count() == 0
        assert "evil.example" not in page.content()
        assert "Grouped-query attention shares" in page.get_by_test_id("stChatMessage").last.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hostile_output.png"), full_page=True)


def test_practice_round_in_chromium(shipped_index, tmp_path):
    with running_app(shipped_index, STUDY_PROGRESS_DIR=str(tmp_path / "progress")) as url, browser_page() as page:
        page.goto(url)
        page.get_by_test_id("stSidebar").get_by_text("Practice", exact=True).click()
        page.get_by_text("Practice: mock interview").wait_for(timeout=60_000)
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
    assert (tmp_path / "progress" / "default.sqlite3").exists()  # the grade was recorded
