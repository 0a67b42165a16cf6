"""Signed webhook POSTs against a real HTTP server on loopback, and the SSRF guard."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from sladesk.webhooks.signing import SIGNATURE_HEADER, sign, verify
from sladesk.webhooks.transport import WebhookRefused, post


class Recorder(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # the stdlib's naming
        length = int(self.headers["Content-Length"])
        Recorder.received.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    Recorder.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook?x=1"
    server.shutdown()
    server.server_close()


def test_a_signed_post_reaches_an_allowed_private_target(receiver: str) -> None:
    body = b'{"event": "ticket.created"}'
    signature = sign(body, secret="s3cret", timestamp=1_800_000_000)
    delivery = post(
        receiver,
        body,
        {SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
        allow_private=True,
    )
    assert delivery.status == 204
    path, headers, received = Recorder.received[0]
    assert (path, received) == ("/hook?x=1", body)
    assert verify(received, headers[SIGNATURE_HEADER], secret="s3cret", now=1_800_000_100)


def test_loopback_and_private_targets_are_refused_unless_allowed(receiver: str) -> None:
    for url in (
        receiver,
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
    ):
        with pytest.raises(WebhookRefused):
            post(url, b"{}", {})
    assert Recorder.received == []


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "http:///nohost"])
def test_only_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(WebhookRefused):
        post(url, b"{}", {}, allow_private=True)


def test_a_tampered_or_stale_signature_does_not_verify() -> None:
    header = sign(b"payload", secret="k", timestamp=1000)
    assert verify(b"payload", header, secret="k", now=1100)
    assert not verify(b"payload!", header, secret="k", now=1100)
    assert not verify(b"payload", header, secret="other", now=1100)
    assert not verify(b"payload", header, secret="k", now=5000)
    assert not verify(b"payload", "garbage", secret="k", now=1000)
