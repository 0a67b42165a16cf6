"""The inbound e-mail parser: raw bytes in, an `InboundMessage` or a `MailParseError` out.

Pure Python (the stdlib `email` package, nh3 for HTML); no Django.
"""

from .authentication import SenderAuthentication, sender_authentication
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
    "SenderAuthentication",
    "content_hash",
    "parse",
    "peek_message_id",
    "sender_authentication",
]
