"""Signed webhook POSTs against a real HTTP server on loopback, and the SSRF guard."""

from __future__ import annotations

import pytest

from sladesk.webhooks.signing import SIGNATURE_HEADER, sign, verify
from sladesk.webhooks.transport import WebhookRefused, post
from tests.webhooks.conftest import Receiver


def test_a_signed_post_reaches_an_allowed_private_target(receiver: Receiver) -> None:
    body = b'{"event": "ticket.created"}'
    signature = sign(body, secret="s3cret", timestamp=1_800_000_000)
    delivery = post(
        receiver.url,
        body,
        {SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
        allow_private=True,
    )
    assert delivery.status == 204
    path, headers, received = receiver.received[0]
    assert (path, received) == ("/hook?x=1", body)
    assert verify(received, headers[SIGNATURE_HEADER], secret="s3cret", now=1_800_000_100)


def test_loopback_and_private_targets_are_refused_unless_allowed(receiver: Receiver) -> None:
    for url in (
        receiver.url,
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
    ):
        with pytest.raises(WebhookRefused):
            post(url, b"{}", {})
    assert receiver.received == []


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
