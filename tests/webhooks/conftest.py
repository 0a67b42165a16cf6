"""A real HTTP endpoint on loopback that records what it receives and answers as told."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)  # status codes to give, then 204
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the stdlib's naming
            length = int(self.headers["Content-Length"])
            state.received.append((self.path, dict(self.headers), self.rfile.read(length)))
            self.send_response(state.answers.pop(0) if state.answers else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # stdlib signature
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook?x=1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
