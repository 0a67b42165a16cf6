"""`sladesk manage knowledge_reindex`: rebuild the search entry of every article (after a
restore of the database without its search tables, or a change of the configurations)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from sladesk.knowledge.search import reindex_all


class Command(BaseCommand):
    help = "Rebuild the knowledge base's search index."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            count = reindex_all()
        self.stderr.write(f"{count} articles indexed")
