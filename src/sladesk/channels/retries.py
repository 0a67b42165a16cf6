"""What mail and alert intake share once something is stored: a failed attempt at
processing a pending row is counted on it, the row quarantined after `MAX_PROCESS_ATTEMPTS`,
and the worker retries what is still pending."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from sladesk.channels.choices import InboundStatus
from sladesk.channels.models import InboundAlert, InboundMail

logger = logging.getLogger(__name__)

MAX_PROCESS_ATTEMPTS = 5
Inbound = type[InboundMail] | type[InboundAlert]


def failure_count(model: Inbound, pk: int, error: Exception, *, counted: bool = False) -> None:
    """Count a failed attempt on the pending row, with the error as its reason; `counted`
    when the attempt was counted as it began (mail intake), so it only records the error."""
    try:
        with transaction.atomic():
            row = model.objects.select_for_update().filter(pk=pk).first()
            if row is None or row.status != InboundStatus.PENDING:
                return
            row.attempts += 0 if counted else 1
            row.reason = f"{type(error).__name__}: {error}"[:2000]
            if row.attempts >= MAX_PROCESS_ATTEMPTS:
                row.status = InboundStatus.QUARANTINED
            row.save(update_fields=["attempts", "reason", "status"])
    except Exception:  # the database itself is down: the row stays pending
        logger.exception("could not record the failure of %s %s", model.__name__, pk)


def pending_process(model: Inbound, process: Callable[[int], object], *, limit: int) -> int:
    """Run `process` on the oldest pending rows; returns how many went through."""
    done = 0
    pending = model.objects.filter(status=InboundStatus.PENDING).order_by("id")
    for pk in pending.values_list("pk", flat=True)[:limit]:
        try:
            process(pk)
        except Exception:  # counted on the row; the next one may well succeed
            logger.warning("%s %s still pending", model.__name__, pk)
            continue
        done += 1
    return done
