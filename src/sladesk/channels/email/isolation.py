"""Parsing untrusted mail in a child process that is killed at the time limit.

A signal cannot interrupt native code (the HTML sanitiser is Rust) and a thread cannot be
stopped at all: only a process can be. A child is a fresh interpreter running this module
(never a fork of a process holding database connections and threads; multiprocessing's
'spawn' and 'forkserver' would also re-import the caller's main module in every child),
talking over a socket pair, and it is kept for the next message: measured on a development
machine, starting one costs about 150 ms, each later message nothing more than the round trip
of its bytes. A child that ran out of time is killed and replaced. No Django here.
"""

from __future__ import annotations

import atexit
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .parsing import DEFAULT_LIMITS, InboundMessage, MailParseError, MessageRejected, ParseLimits
from .parsing import parse as parse_message

Parser = Callable[..., InboundMessage]
_START_SECONDS = 60.0  # bounded wait for a new child to say it is ready
_MAX_IDLE = 4  # children kept for reuse (one a thread that parses at the same time)


class ParserCrashed(Exception):
    """The parsing process ended without an answer (killed, out of memory, a native crash).

    Not a `MailParseError`: the message is retried and quarantined after a few attempts."""


def _serve(connection: Connection) -> None:
    """The child: answer ("ok", message) or ("error", reason, rejected) for each request."""
    sys.path[:] = connection.recv()  # the parent's: the parser is imported as it is there
    connection.send(("ready",))
    while True:
        try:
            parser, raw, limits, seconds = connection.recv()
        except EOFError:  # the parent went away
            return
        _cpu_limit(seconds)
        try:
            answer: tuple[Any, ...] = ("ok", parser(raw, limits=limits))
        except MailParseError as error:
            answer = ("error", error.reason, isinstance(error, MessageRejected))
        connection.send(answer)


def _cpu_limit(seconds: float) -> None:
    """End this child by itself (SIGXCPU) once it spends `seconds` more CPU, with a margin:
    should the parent die while a parse is stuck, the orphan does not run on for minutes."""
    if seconds <= 0:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(spent + 2 * seconds + 5)
    resource.setrlimit(
        resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
    )


class _Child:
    def __init__(self) -> None:
        parent, child = socket.socketpair()
        with child:
            self.process = subprocess.Popen(  # noqa: S603  # our own interpreter and module
                [sys.executable, "-m", __name__, str(child.fileno())],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
            )
        self.connection = Connection(parent.detach())
        self.connection.send(list(sys.path))
        if not self.connection.poll(_START_SECONDS) or self.connection.recv() != ("ready",):
            self.stop()
            raise ParserCrashed("the parsing process did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self.connection.close()


_idle: list[_Child] = []
_lock = threading.Lock()


def _take() -> _Child:
    with _lock:
        while _idle:
            child = _idle.pop()
            if child.alive():
                return child
            child.stop()
    return _Child()


def _give_back(child: _Child) -> None:
    with _lock:
        if len(_idle) < _MAX_IDLE:
            _idle.append(child)
            return
    child.stop()


def parse_isolated(
    raw: bytes,
    *,
    limits: ParseLimits = DEFAULT_LIMITS,
    seconds: float,
    parser: Parser = parse_message,
) -> InboundMessage:
    """`parser(raw, limits=limits)` in a child process, killed after `seconds` (none when 0).

    Raises what the parser raises (`MailParseError`), `MessageRejected` when the time ran
    out, and `ParserCrashed` when the child died. `parser` must be importable by name (the
    child unpickles it); it is `parse` but in tests."""
    child = _take()
    try:
        child.connection.send((parser, raw, limits, seconds))
        answered = child.connection.poll(seconds if seconds > 0 else None)
        answer = child.connection.recv() if answered else None
    except (EOFError, OSError) as error:
        child.stop()
        raise ParserCrashed(
            f"the parsing process ended (exit code {child.process.returncode})"
        ) from error
    except BaseException:
        child.stop()  # interrupted while the child works: it cannot be reused
        raise
    if answer is None:
        child.stop()
        raise MessageRejected(f"parsing took longer than {seconds:g} s")
    _give_back(child)
    if answer[0] == "ok":
        message: InboundMessage = answer[1]
        return message
    _, reason, rejected = answer
    raise (MessageRejected if rejected else MailParseError)(reason)


@atexit.register
def shutdown() -> None:
    """Stop the idle children (at exit; they would also end on their own when this process
    goes, seeing their socket closed)."""
    with _lock:
        children = list(_idle)
        _idle.clear()
    for child in children:
        child.stop()


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
