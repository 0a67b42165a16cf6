"""Stand-in parsers for tests of the parsing child. The child imports them by name and has
no Django, so this module imports nothing of the desk but the pure parser."""

from __future__ import annotations

import os
import re
import signal
import socket

from sladesk.channels.email.parsing import InboundMessage, parse


def endless_parse(raw: bytes, **options: object) -> None:
    """A parser stuck on hostile input."""
    while True:
        pass


def crashing_parse(raw: bytes, **options: object) -> None:
    """A parse that takes its process down, as a native crash or the OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


def held_parse(raw: bytes, **options: object) -> InboundMessage:
    """Tell the test (on the port in the message's X-Hold-Port) that the parse has begun,
    wait until it lets go, then parse for real."""
    found = re.search(rb"X-Hold-Port: (\d+)", raw)
    if found is None:
        raise ValueError("no X-Hold-Port header")
    with socket.create_connection(("127.0.0.1", int(found.group(1)))) as held:
        held.sendall(b"parsing")
        held.recv(1)
    return parse(raw, **options)  # type: ignore[arg-type]  # the parser's own keywords
