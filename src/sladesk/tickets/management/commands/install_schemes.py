from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sladesk.tickets.builtin_schemes import SCHEMES
from sladesk.tickets.services.schemes import scheme_install_builtin


class Command(BaseCommand):
    help = "Install or update the shipped classification schemes (request classes, categories A-E)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help=f"any of {', '.join(SCHEMES)}; default: all")

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = set(options["codes"]) - set(SCHEMES)
        if unknown:
            raise CommandError(f"Unknown scheme(s): {', '.join(sorted(unknown))}")
        for code in options["codes"] or list(SCHEMES):
            scheme = scheme_install_builtin(code=code)
            self.stdout.write(f"{scheme.code}: {scheme.classes.count()} classes")
