"""The inbound e-mail parser: raw bytes in, an `InboundMessage` or a `MailParseError` out.

Pure Python (the stdlib `email` package, nh3 for HTML); no Django.
"""

from .model import (
    DEFAULT_LIMITS,
    Address,
    Attachment,
    HeadersOfInterest,
    InboundMessage,
    MailParseError,
    MessageRejected,
    ParseLimits,
)
from .parser import content_hash, parse, peek_message_id

__all__ = [
    "DEFAULT_LIMITS",
    "Address",
    "Attachment",
    "HeadersOfInterest",
    "InboundMessage",
    "MailParseError",
    "MessageRejected",
    "ParseLimits",
    "content_hash",
    "parse",
    "peek_message_id",
]
