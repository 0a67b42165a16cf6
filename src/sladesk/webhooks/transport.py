"""POSTing a webhook with an SSRF guard checked at connect time (pure; no Django import).

The host name is resolved once, every address is checked (no loopback, private, link-local,
multicast or reserved address unless the administrator allowed private targets), and the
connection goes to the checked address itself, so a DNS answer that changes between the
check and the connection (rebinding) cannot redirect it. TLS still verifies the name."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


class WebhookRefused(Exception):
    """The target may not be called (scheme, address); not worth retrying."""


@dataclass(frozen=True)
class Delivery:
    status: int
    body: bytes


def _allowed(address: str, *, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address)
    if allow_private:
        return not (ip.is_multicast or ip.is_unspecified)
    return ip.is_global


def resolve_checked(host: str, port: int, *, allow_private: bool) -> str:
    """One address of `host` that may be called, or WebhookRefused."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConnectionError(f"cannot resolve {host}: {error}") from error
    addresses = [str(answer[4][0]) for answer in answers]
    if not addresses or not all(_allowed(a, allow_private=allow_private) for a in addresses):
        raise WebhookRefused(f"{host} resolves to an address that may not be called")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]  # set by HTTPSConnection


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool = False,
    timeout: float = 10.0,
) -> Delivery:
    """POST `body` to `url`; redirects are not followed (a redirect could point anywhere)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("only http and https URLs with a host can be called")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_checked(parts.hostname, port, allow_private=allow_private)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Delivery(response.status, response.read(64 * 1024))
    finally:
        connection.close()
