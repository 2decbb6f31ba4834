"""Mizan for Django: add ``"mizan_django"`` to ``INSTALLED_APPS``, point
``settings.MIZAN`` at the registry, and mount the routes::

    MIZAN = {"REGISTRY": "myapp.api:registry", "MWT_KEYS": {"default": ...},
             "CACHE_SECRET": ..., "REDIS_URL": ..., "ALLOWED_ORIGINS": [...]}
    urlpatterns = [path("api/mizan/", include("mizan_django.urls"))]

HTTP (``/session/`` with a real CSRF token, ``/call/``, ``/ctx/<name>/``)
works under WSGI and ASGI; ``/ws/`` (calls, fetches and pushes) needs ASGI
through Django Channels (:func:`mizan_django.routing.websocket_urlpatterns`).
The Django user is the principal (``id``, ``is_staff``, ``is_superuser``,
permissions → ``pkey``) unless an ``X-Mizan-Token`` or an application
authenticator identifies the caller; calls under session auth need the CSRF
token, calls under MWT do not. ``manage.py export_mizan_ir`` prints the IR.
"""
