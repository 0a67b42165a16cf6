"""Installing the shipped classification schemes."""

from __future__ import annotations

from django.db import transaction

from sladesk.tickets.builtin_schemes import MATRIX, SCHEMES
from sladesk.tickets.models import ClassificationScheme, PriorityMatrixCell, Severity, TicketClass


def scheme_install_builtin(*, code: str) -> ClassificationScheme:
    """Create or update a shipped scheme by its code; idempotent."""
    spec = SCHEMES[code]
    with transaction.atomic():
        scheme, _created = ClassificationScheme.objects.update_or_create(
            code=code, defaults={"name": spec["name"], "description": spec["description"]}
        )
        classes: dict[str, TicketClass] = {}
        for position, item in enumerate(spec["classes"]):
            classes[item["code"]], _created = TicketClass.objects.update_or_create(
                scheme=scheme,
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "responsibility": item["responsibility"],
                    "default_priority": item["priority"],
                    "position": position,
                },
            )
        for item in spec["classes"]:
            for level in item.get("severities", []):
                severity, _created = Severity.objects.update_or_create(
                    ticket_class=classes[item["code"]],
                    level=level["level"],
                    defaults={"name": level["name"]},
                )
                severity.reclassify_to.set([classes[c] for c in level.get("reclassify_to", [])])
        for (impact, urgency), priority in MATRIX.items():
            PriorityMatrixCell.objects.update_or_create(
                scheme=scheme, impact=impact, urgency=urgency, defaults={"priority": priority}
            )
    return scheme
