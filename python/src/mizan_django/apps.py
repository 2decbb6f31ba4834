from __future__ import annotations

from django.apps import AppConfig


class MizanConfig(AppConfig):  # type: ignore[misc]
    """The ``mizan_django`` app (routes, the ``export_mizan_ir`` command)."""

    name = "mizan_django"
    verbose_name = "Mizan"
