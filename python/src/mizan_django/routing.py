"""``/ws/`` through Django Channels (ASGI only; under WSGI, HTTP works and
pushes need an ASGI server such as daphne)::

    application = ProtocolTypeRouter({
        "http": get_asgi_application(),
        "websocket": URLRouter(mizan_django.routing.websocket_urlpatterns("api/mizan/")),
    })
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path

from mizan import MizanError, Principal
from mizan.origin import OriginPolicy
from mizan.socket import UNAUTHORIZED_CLOSE, Session

from .conf import get_started_app


class MizanConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """One ``/ws/`` connection: frames in and out of a :class:`mizan.socket.Session`."""

    session: Session | None = None

    async def connect(self) -> None:
        app = await get_started_app()
        raw = self.scope.get("headers", [])
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
        origins = [v.decode("latin-1") for k, v in raw if k.lower() == b"origin"]
        try:
            OriginPolicy(app.settings.allowed_origins).check(origins, headers)
        except MizanError:
            await self.close()  # before accept: the server answers 403
            return
        if len(app.hub.subscribers) >= app.settings.max_connections:
            await self.close()
            return
        await self.accept()
        try:
            principal = await app.identify(headers)
        except MizanError:
            await self.close(code=UNAUTHORIZED_CLOSE)
            return
        user = self.scope.get("user")
        if principal is None and "x-mizan-token" not in headers and user is not None and user.is_authenticated:
            principal = Principal(str(user.pk), bool(user.is_staff), bool(user.is_superuser))

        async def close(code: int) -> None:
            # Servers built on autobahn (daphne) refuse to send reserved
            # codes from the application: 1009 (too big) goes out as 4009,
            # 1008 (policy) as 4008.
            await self.close(code=code if code == 1000 or 3000 <= code <= 4999 else 4000 + code % 1000)

        async def send(text: str) -> None:
            await self.send(text_data=text)

        self.session = Session(app, principal, send, close, self.scope)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None:
            return
        if text_data is None:
            await self.session.receive_bytes()
        else:
            await self.session.receive(text_data)

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            self.session.stop()


def websocket_urlpatterns(prefix: str = "api/mizan/") -> list[Any]:
    """The ``/ws/`` route under ``prefix`` (the HTTP routes' mount point)."""
    return [path(f"{prefix}ws/", MizanConsumer.as_asgi())]
