"""Process and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import sladesk


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "version": sladesk.__version__})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; `details` tells what does not stop the desk from
    serving but needs an operator (notifications that failed or keep failing, last 24 h)."""
    from sladesk.notifications.health import failing_notifications_by_channel

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        failures = failing_notifications_by_channel()
    except DatabaseError as error:
        return JsonResponse({"status": "unavailable", "database": str(error)}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "details": {
                "notifications": {"failed": failures.failed, "retrying": failures.retrying}
            },
        }
    )
