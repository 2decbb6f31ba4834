"""The one :class:`mizan.Mizan` of a Django project, built from
``settings.MIZAN`` on first use.

Keys: ``REGISTRY`` (``"module:attribute"``, or a module whose ``registry``
is used; default ``mizan.default_registry``), ``MWT_KEYS`` (kid → secret)
or ``MWT_SECRET``, ``MWT_AUDIENCE``, ``AUTHENTICATORS`` (callables or
dotted paths), ``CACHE_SECRET``, ``REDIS_URL``, ``BODY_LIMIT``,
``ALLOWED_ORIGINS``, ``MAX_CONNECTIONS``, ``STATE`` (a dict, or a dotted
path to a callable returning one).
"""

from __future__ import annotations

import importlib
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

from mizan import Mizan, Registry, Settings, default_registry

_app: Mizan | None = None


def _registry(spec: Any) -> Registry:
    if spec is None:
        return default_registry
    if isinstance(spec, Registry):
        return spec
    module_name, _, attribute = str(spec).partition(":")
    module = importlib.import_module(module_name)
    found = getattr(module, attribute or "registry", None)
    if isinstance(found, Registry):
        return found
    raise TypeError(f"settings.MIZAN['REGISTRY'] = {spec!r} is not a mizan.Registry")


def _callable(spec: Any) -> Any:
    return import_string(spec) if isinstance(spec, str) else spec


async def _run_sync(function: Any, **kwargs: Any) -> Any:
    return await sync_to_async(function, thread_sensitive=True)(**kwargs)


def get_app() -> Mizan:
    """The project's :class:`~mizan.Mizan` (built once)."""
    global _app
    if _app is None:
        config: dict[str, Any] = dict(getattr(settings, "MIZAN", {}))
        keys = config.get("MWT_KEYS")
        if keys is None and config.get("MWT_SECRET"):
            keys = {"default": config["MWT_SECRET"]}
        state = _callable(config.get("STATE", {}))
        _app = Mizan(
            _registry(config.get("REGISTRY")),
            Settings(
                mwt_keys=keys,
                mwt_audience=config.get("MWT_AUDIENCE", "mizan"),
                authenticators=[_callable(a) for a in config.get("AUTHENTICATORS", [])],
                cache_secret=config.get("CACHE_SECRET"),
                redis_url=config.get("REDIS_URL"),
                body_limit=int(config.get("BODY_LIMIT", 1024 * 1024)),
                allowed_origins=list(config.get("ALLOWED_ORIGINS", [])),
                max_connections=int(config.get("MAX_CONNECTIONS", 10_000)),
                run_sync=_run_sync,
                state=state() if callable(state) else dict(state),
            ),
        )
    return _app


async def get_started_app() -> Mizan:
    """The app, with its background tasks (the Redis push bus) running on
    this event loop."""
    app = get_app()
    await app.start()
    return app
