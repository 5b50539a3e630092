"""Client/server mode against a real `chroma run` on loopback, and each way a server can
fail us named in its own one-line error."""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.core.errors import StudyError
from assistant.core.settings import Settings
from assistant.store.chroma import GuideStore
from tests.conftest import call_study, run_study
from tests.test_bad_input import assert_one_line_error

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


def test_unreachable_server_during_ingest_is_the_same_clear_error(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    result = call_study(["ingest"], tmp_path, STUDY_CHROMA_URL=url)
    assert_one_line_error(result, f"Chroma server at {url} is not reachable", "chroma run")


class RefusingServer:
    """A loopback HTTP server that refuses requests the way a Chroma server with token
    auth (or the proxy doing auth in front of one) does, and records the headers it got.

    Why not a real `chroma run` with auth: chromadb 1.5.9's `chroma run` (the Rust server)
    has no authentication; started with CHROMA_SERVER_AUTHN_PROVIDER/CREDENTIALS set it
    still answers every request without a token (checked), and Chroma's 1.x docs secure it
    with a proxy (Envoy) instead. So this plays the refusing side; the client side (chromadb's
    HttpClient, its TokenAuthClientProvider, our error mapping) is the real code.

    `admitted`: {path: JSON} answered 200 (the real server's set-up answers, so the client
    is created and the refusal comes at the first collection call); everything else gets
    `status` with `body`.
    """

    def __init__(self, status: int, body: str, content_type: str, admitted: dict | None = None):
        self.headers: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                owner.headers.append({k.lower(): v for k, v in self.headers.items()})
                path = self.path.split("?")[0]
                if admitted and path in admitted:
                    code, text, kind = 200, json.dumps(admitted[path]), "application/json"
                else:
                    code, text, kind = status, body, content_type
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


CHROMA_401 = json.dumps({"error": "AuthorizationError", "message": "Unauthorized"})
TOKEN_ENV = {
    "CHROMA_CLIENT_AUTH_PROVIDER": "chromadb.auth.token_authn.TokenAuthClientProvider",
    "CHROMA_CLIENT_AUTH_CREDENTIALS": "wrong-token",
}


@pytest.fixture
def refusing():
    servers = []

    def start(*args, **kwargs):
        servers.append(RefusingServer(*args, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_server_that_wants_credentials_says_so(refusing, tmp_path):
    server = refusing(401, CHROMA_401, "application/json")
    result = call_study(["search", "GQA"], tmp_path, STUDY_CHROMA_URL=server.url)
    assert_one_line_error(
        result, f"Chroma server at {server.url} requires credentials (HTTP 401)", "CHROMA_CLIENT_AUTH_CREDENTIALS"
    )
    assert "study ingest" not in result.stderr


def test_wrong_token_is_refused_by_name(refusing, tmp_path):
    server = refusing(403, "Forbidden", "text/plain")  # a proxy's plain answer, not Chroma's JSON
    result = call_study(["ingest"], tmp_path, STUDY_CHROMA_URL=server.url, **TOKEN_ENV)
    assert_one_line_error(
        result, f"Chroma server at {server.url} refused the credentials sent (HTTP 403)", "CHROMA_CLIENT_AUTH_CREDENTIALS"
    )
    assert server.headers and server.headers[0]["authorization"] == "Bearer wrong-token"


def test_exists_does_not_read_a_refusal_as_no_index(chroma_server, refusing, tmp_path):
    """The client is let in (the real server's own set-up answers), then the collection
    call is refused: `exists()` must say so, not "run `study ingest` first"."""
    paths = ["/api/v2/auth/identity", "/api/v2/tenants/default_tenant",
             "/api/v2/tenants/default_tenant/databases/default_database"]
    admitted = {p: json.loads(urllib.request.urlopen(chroma_server + p, timeout=10).read()) for p in paths}
    server = refusing(401, CHROMA_401, "application/json", admitted=admitted)
    store = GuideStore(Settings(chroma_url=server.url))
    with pytest.raises(StudyError, match=r"requires credentials \(HTTP 401\)"):
        store.exists()
    for command in (["search", "GQA"], ["ingest"]):
        result = call_study(command, tmp_path, STUDY_CHROMA_URL=server.url)
        assert_one_line_error(result, "requires credentials (HTTP 401)")
        assert "study ingest" not in result.stderr and "writing the index" not in result.stderr


def _server_collection(url: str, name: str, metadata: dict):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
    return client.get_or_create_collection(name, metadata=metadata)


def test_index_from_another_embedding_model_on_server(chroma_server, tmp_path):
    _server_collection(chroma_server, "guide-e5", {"embed_model": "intfloat/e5-small-v2", "embed_dim": 384})
    env = {"STUDY_CHROMA_URL": chroma_server, "STUDY_COLLECTION": "guide-e5"}
    search = call_study(["search", "GQA"], tmp_path, **env)
    assert_one_line_error(search, "was built with intfloat/e5-small-v2", "STUDY_EMBED_MODEL=intfloat/e5-small-v2")
    ingest = call_study(["ingest"], tmp_path, **env)
    assert_one_line_error(ingest, "was built with intfloat/e5-small-v2", "--rebuild")


def test_collection_written_by_something_else(chroma_server, tmp_path):
    foreign = _server_collection(chroma_server, "notes", {"embed_model": "all-MiniLM-L6-v2", "embed_dim": 384})
    foreign.upsert(ids=["note-1"], embeddings=[[0.05] * 384], documents=["my own notes"])
    result = call_study(["search", "GQA"], tmp_path, STUDY_CHROMA_URL=chroma_server, STUDY_COLLECTION="notes")
    assert_one_line_error(result, "holds row note-1 that `study ingest` did not write", "STUDY_COLLECTION")
