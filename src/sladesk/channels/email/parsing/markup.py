"""Sanitising HTML bodies with nh3 (the ammonia sanitiser) and rendering them as text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

from .model import MailParseError

_ALLOWED_TAGS = frozenset(
    {
        *("a", "abbr", "address", "b", "bdi", "big", "blockquote", "br", "caption", "center"),
        *("cite", "code", "col", "colgroup", "dd", "del", "details", "div", "dl", "dt", "em"),
        *("font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li"),
        *("mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong"),
        *("sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt"),
        *("u", "ul", "var"),
    }
)
# No style, class or id: CSS can overlay a fake login form or hide text from the agent.
_ALLOWED_ATTRIBUTES = {
    "*": {"dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "td": {"align", "colspan", "rowspan", "valign", "width"},
    "th": {"align", "colspan", "rowspan", "valign", "width"},
}
# cid: (RFC 2392) points at a part of the same message; other schemes, javascript: among them,
# are dropped.
_URL_SCHEMES = frozenset({"http", "https", "mailto", "cid"})
# Dropped together with their content, not just unwrapped.
_CLEAN_CONTENT_TAGS = frozenset({"script", "style", "title", "template", "noscript"})

_BLOCK_TAGS = frozenset(
    {
        *("address", "blockquote", "caption", "center", "dd", "details", "div", "dl", "dt"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "summary"),
        *("table", "tr", "ul"),
    }
)
_PARAGRAPH_TAGS = frozenset({"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "p", "table"})
_SPACES = re.compile(r"\s+")
# A tag's name and whether it closes; the rest of the tag is never scanned past the next "<",
# so the scan is linear however the markup is broken.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)")
_VOID_TAGS = frozenset(
    {
        *("area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link"),
        *("meta", "param", "source", "track", "wbr"),
    }
)
# An element of these names, opened while one of the same name is the current element, first
# closes that one (HTML's optional end tags: a list of <li> without </li> is not nested).
_IMPLIED_END_TAGS = frozenset(
    {"dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt", "tbody", "td", "tfoot"}
    | {"th", "thead", "tr", "colgroup"}
)
_EXCESS_BLANK_LINES = re.compile(r"\n{3,}")


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    """Remote images are tracking beacons that would tell the sender when an agent reads the
    ticket: only images carried in the message itself (cid:) are kept."""
    if element == "img" and attribute == "src" and not value.strip().lower().startswith("cid:"):
        return None
    return value


def markup_over_limits(
    markup: str, *, max_bytes: int, max_depth: int, max_elements: int
) -> str | None:
    """Why `markup` is too costly to sanitise, or None: a linear scan, before nh3 is called.

    The nesting is estimated the way an HTML parser nests: an end tag closes the innermost
    open element of its name and those inside it, an end tag with no open element of its name
    closes nothing, void elements never nest. It errs towards deeper (implicit closing is
    only modelled for optional end tags), which costs nothing but an attachment."""
    if len(markup) > max_bytes:
        return f"HTML body larger than {max_bytes} characters"
    stack: list[str] = []
    open_count: dict[str, int] = {}
    elements = 0
    for match in _TAG.finditer(markup):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if open_count.get(name):
                while (top := stack.pop()) != name:
                    open_count[top] -= 1
                open_count[name] -= 1
            continue
        elements += 1
        if elements > max_elements:
            return f"HTML body with more than {max_elements} elements"
        if name in _VOID_TAGS:
            continue
        if name in _IMPLIED_END_TAGS and stack and stack[-1] == name:
            continue  # closes the current one and takes its place
        stack.append(name)
        open_count[name] = open_count.get(name, 0) + 1
        if len(stack) > max_depth:
            return f"HTML elements nested deeper than {max_depth} levels"
    return None


def sanitize_html(markup: str) -> str:
    """`markup` reduced to an allow-list of tags and attributes, safe to embed in a page."""
    try:
        return nh3.clean(
            markup,
            tags=_ALLOWED_TAGS,
            clean_content_tags=_CLEAN_CONTENT_TAGS,
            attributes=_ALLOWED_ATTRIBUTES,
            attribute_filter=_keep_attribute,
            url_schemes=_URL_SCHEMES,
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    except BaseException as error:
        # A Rust panic reaches Python as pyo3's PanicException, a BaseException subclass that
        # cannot be imported by name; anything else (KeyboardInterrupt, ...) propagates.
        if type(error).__name__ != "PanicException":
            raise
        raise MailParseError("the HTML sanitiser failed on the HTML body") from error


def text_to_html(text: str) -> str:
    """A plain-text part shown within an HTML body."""
    return f"<pre>{html.escape(text)}</pre>"


def html_to_text(sanitized: str) -> str:
    """A plain-text rendering of HTML that `sanitize_html` produced.

    Quoted blocks (`<blockquote>`) get "> " line prefixes so that quoted history is recognised
    as in plain text. Only sanitised HTML is rendered: it is well-formed and comment-free, which
    keeps `HTMLParser` away from its slow paths on hostile markup.
    """
    renderer = _TextRenderer()
    renderer.feed(sanitized)
    renderer.close()
    return renderer.result()


class _TextRenderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._current: list[str] = []
        self._quote_depth = 0
        self._preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._end_line()
        elif tag in _BLOCK_TAGS:
            self._end_line(paragraph=tag in _PARAGRAPH_TAGS)
        elif tag in ("td", "th"):
            self._current.append(" ")
        if tag == "blockquote":
            self._quote_depth += 1
        elif tag == "pre":
            self._preformatted += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._end_line(paragraph=tag in _PARAGRAPH_TAGS)
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "pre":
            self._preformatted = max(0, self._preformatted - 1)

    def handle_data(self, data: str) -> None:
        if not self._preformatted:
            self._current.append(_SPACES.sub(" ", data))
            return
        lines = data.split("\n")
        for line in lines[:-1]:
            self._current.append(line)
            self._end_line(keep_empty=True)
        self._current.append(lines[-1])

    def _end_line(self, *, paragraph: bool = False, keep_empty: bool = False) -> None:
        line = "".join(self._current)
        line = line.rstrip() if self._preformatted else line.strip()
        self._current = []
        if line or keep_empty:
            self._lines.append("> " * self._quote_depth + line)
        if paragraph and self._lines and self._lines[-1]:
            self._lines.append("")

    def result(self) -> str:
        self._end_line()
        return _EXCESS_BLANK_LINES.sub("\n\n", "\n".join(self._lines)).strip("\n")
