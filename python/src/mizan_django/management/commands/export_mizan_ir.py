"""``manage.py export_mizan_ir``: prints the canonical IR of the project's
Mizan functions (what ``mizan generate`` runs for a ``django`` source)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mizan import _core
from mizan_django.conf import get_app


class Command(BaseCommand):  # type: ignore[misc]
    help = "Print the canonical Mizan IR (KDL) of this project's functions."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = get_app().registry.ir_text()
        except _core.RegistryError as e:
            raise CommandError(f"the Mizan functions do not form a valid registry:\n{e}") from None
        self.stdout.write(text, ending="")
