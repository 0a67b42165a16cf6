"""What every API request goes through: rate limits, idempotent POSTs, and problem+json
for every error, including those raised outside django-ninja (unknown routes, CSRF)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from sladesk.api.models import IdempotencyRecord
from sladesk.core import ratelimit

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
PROBLEM_TYPE = "https://sladesk.example/problems/"
Handler = Callable[[HttpRequest], HttpResponse]


def problem_response(status: int, code: str, title: str, detail: str) -> HttpResponse:
    body = {"type": PROBLEM_TYPE + code, "title": title, "status": status, "detail": detail}
    return HttpResponse(json.dumps(body), status=status, content_type="application/problem+json")


def _owner(request: HttpRequest) -> str:
    """Whose request this is, without knowing yet whether the credentials are valid."""
    credentials = request.headers.get("Authorization") or request.COOKIES.get("sessionid", "")
    return hashlib.sha256(credentials.encode()).hexdigest()


def _carries_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query or "\x00" in request.path:
        return True
    if request.content_type == "application/json":
        return b"\\u0000" in request.body or b"\x00" in request.body
    return False


def _unreadable_body(request: HttpRequest) -> HttpResponse | None:
    """Read the body (and a form's fields and files) before anything else, so that a body
    too large, too many fields or files, or a broken multipart boundary is a problem+json
    answer with its reason and one warning line in the log, not Django's HTML page and a
    traceback."""
    try:
        if request.content_type == "multipart/form-data":
            request.FILES  # noqa: B018  # parses the fields and the files
        else:
            request.body  # noqa: B018  # reads it, within DATA_UPLOAD_MAX_MEMORY_SIZE
    except RequestDataTooBig:
        status, detail = (
            413,
            _("The request body is larger than %(limit)d bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        )
    except TooManyFilesSent:
        status, detail = (
            400,
            _("Too many files in one request: at most %(limit)d.")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
        )
    except TooManyFieldsSent:
        status, detail = 400, _("Too many fields in one request.")
    except MultiPartParserError:
        status, detail = 400, _("The multipart body is malformed (its boundary or its parts).")
    else:
        return None
    logger.warning("%s %s refused: %s", request.method, request.path, detail)
    return problem_response(status, "invalid", _("Invalid request"), detail)


class ApiMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limited = self._rate_limited(request)
        if limited is not None:
            return limited
        refused = _unreadable_body(request)
        if refused is not None:
            return refused
        if _carries_nul(request):
            # PostgreSQL text cannot hold NUL; refuse it here rather than fail on write.
            return problem_response(
                400, "invalid", _("Invalid request"), _("Text must not contain NUL characters.")
            )
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key:
            response = self._idempotent(request, key)
        else:
            response = self.get_response(request)
        return self._as_problem(response)

    @staticmethod
    def _as_problem(response: HttpResponse) -> HttpResponse:
        """Errors that did not come from our handlers (unknown route, CSRF, method) get the
        same problem+json shape as the others."""
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            "application/problem+json"
        ):
            return response
        detail = response.reason_phrase
        if response.get("Content-Type", "").startswith("application/json"):
            with contextlib.suppress(ValueError, AttributeError):
                detail = str(json.loads(response.content).get("detail", detail))
        converted = problem_response(response.status_code, "http", response.reason_phrase, detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                converted[header] = response[header]
        return converted

    def _rate_limited(self, request: HttpRequest) -> HttpResponse | None:
        """A sliding minute per credentials and per client address (counted in each
        process's memory unless SLADESK_REDIS_URL names a shared cache)."""
        buckets = [(f"ip:{request.META.get('REMOTE_ADDR', '')}", settings.SLADESK_API_RATE_PER_IP)]
        if request.headers.get("Authorization") or request.COOKIES.get("sessionid"):
            buckets.append((f"who:{_owner(request)}", settings.SLADESK_API_RATE_PER_TOKEN))
        for bucket, limit in buckets:
            if ratelimit.hit(bucket, window=60) > limit:
                response = problem_response(
                    429,
                    "rate_limited",
                    _("Too many requests"),
                    _("Slow down: at most %(limit)d requests a minute.") % {"limit": limit},
                )
                response["Retry-After"] = str(ratelimit.wait_for(bucket, window=60, most=limit))
                return response
        return None

    def _idempotent(self, request: HttpRequest, key: str) -> HttpResponse:
        """The first response for (credentials, key) is stored in the same transaction as
        the work it reports; a retry gets that response back instead of a second effect."""
        if len(key) > 200:
            return problem_response(
                400, "invalid", _("Invalid request"), _("The Idempotency-Key is too long.")
            )
        owner = _owner(request)
        request_hash = hashlib.sha256(
            f"{request.method} {request.path}".encode() + b"\0" + request.body
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner, key=key, request_hash=request_hash
                )
                response = self.get_response(request)
                if response.status_code >= 500 or response.status_code == 429:
                    transaction.set_rollback(True)  # nothing happened; a retry may run again
                    return response
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
                return response
        except IntegrityError:
            first = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if first is None or first.status_code == 0:
            return problem_response(
                409, "conflict", _("Conflict"), _("A request with this key is in progress.")
            )
        if first.request_hash != request_hash:
            return problem_response(
                422,
                "idempotency_key_reused",
                _("Idempotency-Key reused"),
                _("This Idempotency-Key was used for a different request."),
            )
        replay = HttpResponse(
            bytes(first.body), status=first.status_code, content_type=first.content_type
        )
        replay["Idempotent-Replayed"] = "true"
        return replay
