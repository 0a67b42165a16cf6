"""Every API response body is written by pydantic-core rather than `json.dumps` with Django's
encoder, which calls back into Python for each datetime (some 300 on a page of tickets)."""

from __future__ import annotations

from typing import Any

import pydantic_core
from django.http import HttpRequest
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

_ENCODER = NinjaJSONEncoder()


class JSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        # What pydantic-core cannot write itself (lazy translations, models) the usual
        # encoder turns into something it can.
        return pydantic_core.to_json(data, fallback=_ENCODER.default)
