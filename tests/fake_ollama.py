"""A loopback HTTP server that speaks the slice of Ollama's protocol the client uses.

A fake, and only here: Ollama cannot be installed on this machine or on CI. It follows
Ollama's documented wire format: POST /api/chat streams NDJSON message chunks ending in
{"done": true}; an unknown model is a 404 with {"error": "model ... not found"}; a
failure during generation arrives as an {"error": ...} line inside a 200 stream.
Behaviour is picked by model name: "missing" (404), "broken" (error mid-stream),
"slow" (stalls past any short client timeout); anything else answers `reply`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "FakeOllama"

    def log_message(self, *args):  # keep test output clean
        pass

    def _json(self, status: int, obj: dict) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append((self.path, body))
        model = body.get("model", "")
        if model == "missing":
            return self._json(404, {"error": f"model '{model}' not found, try pulling it first"})
        if self.path == "/api/show":
            return self._json(200, {"modelfile": "", "parameters": "", "template": "{{ .Prompt }}",
                                    "details": {"family": "fake", "format": "gguf"}, "model_info": {},
                                    "modified_at": "2026-01-01T00:00:00Z", "capabilities": ["completion"]})
        if self.path != "/api/chat":
            return self._json(404, {"error": "not found"})
        if model == "slow":
            time.sleep(3)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = self.server.reply.split(" ")
        cut = len(words) // 2 if model == "broken" else len(words)
        for i, word in enumerate(words[:cut]):
            self._chunk({"model": model, "created_at": "2026-01-01T00:00:00Z",
                         "message": {"role": "assistant", "content": word if i == 0 else " " + word}, "done": False})
        if model == "broken":
            self._chunk({"error": "llama runner process has terminated: signal: killed"})
        else:
            self._chunk({"model": model, "created_at": "2026-01-01T00:00:00Z",
                         "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"})
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, obj: dict) -> None:
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class FakeOllama(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, reply: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply = reply
        self.requests: list[tuple[str, dict]] = []
        self.host = f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
