"""A loopback server whose every reply is an error carrying hostile Markdown and HTML:
what a compromised or malicious model server could send back. It answers Ollama's
paths (500 with {"error": ...}) and OpenAI's (500 with {"error": {"message": ...}})."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTILE = ("model crashed ![beacon](http://evil.example/b.png?c=1) <img src=x onerror=alert(1)> "
           "[click me](http://evil.example/phish) see http://evil.example/log")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        error = {"message": HOSTILE, "type": "server_error"} if self.path.startswith("/v1") else HOSTILE
        body = json.dumps({"error": error}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.host = f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
