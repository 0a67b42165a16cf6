"""Every API response body is written by pydantic-core rather than `json.dumps` with Django's
encoder, which calls back into Python for each datetime (some 300 on a page of tickets)."""

from __future__ import annotations

from typing import Any

import pydantic_core
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

_ENCODER = NinjaJSONEncoder()


class JSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        # What pydantic-core cannot write itself (lazy translations, models) the usual
        # encoder turns into something it can.
        return pydantic_core.to_json(data, fallback=_ENCODER.default)


def rows_response(data: Any) -> HttpResponse:
    """A body already of its schema's shape (plain rows read for exactly the schema's fields),
    written as it is: validating it against the schema would only copy every row. A test
    compares such a body with the validated one of the same object."""
    return HttpResponse(
        pydantic_core.to_json(data, fallback=_ENCODER.default),
        content_type=JSONRenderer.media_type,
    )
