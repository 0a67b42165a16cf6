"""Article bodies: Markdown rendered to HTML and sanitised (pure: no Django).

Raw HTML in the Markdown is escaped, not passed through; what the renderer makes is then
cleaned by nh3 (ammonia) against a short list of tags, attributes and URL schemes, so a
script, an event handler or a `javascript:` link never reaches a page."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"style"},
    "th": {"style"},
    "ol": {"start"},
}
SCHEMES = {"http", "https", "mailto"}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def render(body: str) -> str:
    """The body as safe HTML."""
    return nh3.clean(
        _renderer.render(body),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def plain(body: str) -> str:
    """The body's words without markup (for search snippets and suggestions)."""
    return html.unescape(nh3.clean(_renderer.render(body), tags=set())).strip()
