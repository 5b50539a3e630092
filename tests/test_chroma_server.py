"""Client/server mode against a real `chroma run` on loopback."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import run_study

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("chroma run did not start")
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_and_search_through_chroma_server(chroma_server, tmp_path):
    local = tmp_path / "unused-local-index"
    first = run_study(["ingest", "--json"], local, STUDY_CHROMA_URL=chroma_server)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 100
    again = run_study(["ingest", "--json"], local, STUDY_CHROMA_URL=chroma_server)
    assert json.loads(again.stdout)["unchanged"] == 100
    cache = tmp_path / "user-cache"
    found = run_study(
        ["search", "--json", "explain GQA vs MQA"], local, STUDY_CHROMA_URL=chroma_server, XDG_CACHE_HOME=str(cache)
    )
    assert json.loads(found.stdout)["results"][0]["id"] == "Q38"
    assert not local.exists()  # server mode writes no index folder locally
    assert list((cache / "study-assistant" / "vectors").glob("phrasings-*.npy"))  # only the user's cache


def test_unreachable_server_is_a_clear_error(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    result = run_study(["search", "GQA"], tmp_path, STUDY_CHROMA_URL=url)
    assert result.returncode == 2
    assert f"Chroma server at {url} is not reachable" in result.stderr and "chroma run" in result.stderr
