"""A loopback HTTP server replaying recorded real BAN responses (tests/fixtures/ban/).

The only fake this project allows: the BAN web service is outside this machine. A request whose
``q`` and ``postcode`` were recorded gets the recorded response; any other request gets the
recorded "no result" response, which is what the real service answers for an unknown address.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlparse

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "ban" / "responses.json").read_text())["recorded"]
NO_RESULT = next(r["response"] for r in RECORDED if not r["response"]["features"])


def _key(q: str | None, postcode: str | None, citycode: str | None) -> tuple[str, str, str]:
    return (" ".join((q or "").upper().split()), postcode or "", citycode or "")


class _Handler(BaseHTTPRequestHandler):
    calls: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).calls.append(params)
        if url.path != "/search":
            self.send_error(404)
            return
        wanted = _key(params.get("q"), params.get("postcode"), params.get("citycode"))
        body = next((r["response"] for r in RECORDED
                     if _key(r["request"]["q"], r["request"].get("postcode"), r["request"].get("citycode")) == wanted),
                    NO_RESULT)
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep test output quiet
        pass


@contextmanager
def ban_server() -> Iterator[tuple[str, list[dict]]]:
    """Yields (base URL, list of received query parameters)."""
    handler = type("Handler", (_Handler,), {"calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.calls
    finally:
        server.shutdown()
        server.server_close()
