"""The Content-Security-Policy of every page: scripts, styles, images and fonts only from
the desk itself, no inline script, no plugins, no framing, forms posting only to the desk.
A stored-XSS mistake elsewhere then cannot run. The Django admin and the API's interactive
docs style some elements inline, so only they may use inline styles."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
_INLINE_STYLES = {**_STRICT, "style-src": "'self' 'unsafe-inline'"}


def _header(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


STRICT_POLICY = _header(_STRICT)
INLINE_STYLES_POLICY = _header(_INLINE_STYLES)
INLINE_STYLE_PATHS = ("/admin/", "/api/v1/docs")


class ContentSecurityPolicyMiddleware:
    """Add the policy to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            relaxed = request.path.startswith(INLINE_STYLE_PATHS)
            response["Content-Security-Policy"] = INLINE_STYLES_POLICY if relaxed else STRICT_POLICY
        return response
