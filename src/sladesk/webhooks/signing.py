"""Signing outbound webhook payloads (pure; no Django import).

Receivers check `X-Sladesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` computed over
`"<t>." + body` with the subscription's secret, and refuse old timestamps (replay)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Sladesk-Signature"
# The same on every attempt of one delivery: a receiver drops the ids it has seen.
DELIVERY_HEADER = "X-Sladesk-Delivery"


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(body: bytes, header: str, *, secret: str, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(body, secret=secret, timestamp=timestamp)
    return hmac.compare_digest(expected, header)
