"""File names for attachments that are safe to store and to offer for download."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

# Without the system's mime.types files, so that names do not depend on the machine.
_MIME_TYPES = mimetypes.MimeTypes(filenames=())
_MAX_NAME_BYTES = 200  # well below the 255-byte limit of common file systems
_MAX_EXTENSION_CHARS = 16
# Characters Windows refuses in file names; a download keeps its name on the agent's machine.
_RESERVED_CHARACTERS = re.compile(r'[<>:"|?*]')
_RESERVED_DEVICE_NAMES = re.compile(r"(?:con|prn|aux|nul|com\d|lpt\d)(?:\..*)?", re.IGNORECASE)


def safe_filename(candidate: str | None, *, ordinal: int, content_type: str) -> str:
    """A name derived from the sender's `candidate`, or `attachment-<ordinal><ext>` when
    nothing usable remains.

    The result has no directory part, no control, format (bidi override) or unassigned
    characters, no leading dot, is NFC-normalised and at most 200 bytes of UTF-8.
    """
    name = unicodedata.normalize("NFC", candidate or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = _RESERVED_CHARACTERS.sub("_", name)
    # Leading dots hide files or climb directories; Windows drops trailing dots and spaces,
    # which would change the extension it sees.
    name = name.strip().lstrip(".").strip().rstrip(". ")
    if _RESERVED_DEVICE_NAMES.fullmatch(name):
        name = f"_{name}"
    name = _truncate(name)
    if not name:
        extension = _MIME_TYPES.guess_extension(content_type) or ".bin"
        name = f"attachment-{ordinal}{extension}"
    return name


def _truncate(name: str) -> str:
    """`name` cut to the byte limit, keeping a short extension."""
    if len(name.encode("utf-8")) <= _MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > _MAX_EXTENSION_CHARS:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(". ")
    return f"{stem}{suffix}" if stem else ""
