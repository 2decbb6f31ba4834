"""``python -m mizan_fastapi export-ir MODULE``: prints the canonical IR of
the Mizan functions a FastAPI application's module registers (what
``mizan generate`` runs for a ``fastapi`` source).

The registry is ``MODULE.registry`` (or ``MODULE.mizan.registry``) when the
module defines one, else ``mizan.default_registry`` (``@mizan.client``).
Errors go to stderr with exit status 1.
"""

from __future__ import annotations

import importlib
import os
import sys

from mizan import Mizan, Registry, _core, default_registry


def find_registry(module_name: str) -> Registry:
    sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    for candidate in (getattr(module, "registry", None), getattr(getattr(module, "mizan", None), "registry", None)):
        if isinstance(candidate, Registry):
            return candidate
        if isinstance(candidate, Mizan):
            return candidate.registry
    return default_registry


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "export-ir":
        print("usage: python -m mizan_fastapi export-ir MODULE", file=sys.stderr)
        return 2
    try:
        text = find_registry(argv[1]).ir_text()
    except _core.RegistryError as e:
        print(f"error: the Mizan functions of `{argv[1]}` do not form a valid registry:\n{e}", file=sys.stderr)
        return 1
    except Exception as e:  # an import-time DefinitionError, ImportError, ...
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
