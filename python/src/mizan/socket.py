"""The ``/ws/`` protocol of SPEC §3.1, independent of the framework: calls,
fetches, ``watch``, the ``auth`` frame and pushes over one connection.
Each adapter only moves frames: it hands received text to
:meth:`Session.receive` and gives the session a ``send`` and a ``close``.

A malformed frame gets a ``BAD_REQUEST`` reply (``id`` null if it had
none) and the connection stays open; an invalid token closes it with 4401.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .errors import MizanError
from .registry import Principal, Request

if TYPE_CHECKING:
    from .runtime import Mizan

log = logging.getLogger("mizan.socket")

#: Close code of an invalid token.
UNAUTHORIZED_CLOSE = 4401
#: Close code of a frame over the body limit.
TOO_BIG_CLOSE = 1009


def _frame_error(id_: Any, error: MizanError) -> str:
    return json.dumps({"id": id_, **error.envelope()}, ensure_ascii=False)


class Session:
    """One WebSocket connection's state."""

    def __init__(
        self,
        app: Mizan,
        principal: Principal | None,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
        raw: Any = None,
    ):
        self.app = app
        self.send = send
        self.close = close
        self.raw = raw
        self.sub = app.hub.subscribe(principal)
        self.tasks: set[asyncio.Task[None]] = set()
        self.closed = False
        self.pusher = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        while True:
            frame = await self.sub.queue.get()
            if frame is None:
                return
            try:
                await self.send(frame)
            except Exception:
                return

    def stop(self) -> None:
        """The connection ended: no more pushes, pending answers dropped."""
        self.closed = True
        self.app.hub.unsubscribe(self.sub)
        self.pusher.cancel()
        for task in self.tasks:
            task.cancel()

    async def _close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            await self.close(code)

    async def receive_bytes(self) -> None:
        await self.send(_frame_error(None, MizanError.bad_request("frames are JSON text")))

    async def receive(self, text: str) -> None:
        if len(text.encode()) > self.app.settings.body_limit:
            await self._close(TOO_BIG_CLOSE)
            return
        try:
            frame = json.loads(text)
        except (ValueError, RecursionError):
            await self.send(_frame_error(None, MizanError.bad_request("malformed frame: not JSON")))
            return
        if not isinstance(frame, dict):
            await self.send(_frame_error(None, MizanError.bad_request("malformed frame: not an object")))
            return
        op = frame.get("op")
        if op == "auth":
            token = frame.get("token")
            try:
                if not isinstance(token, str):
                    raise MizanError.unauthorized("the auth frame needs a token")
                self.sub.principal = self.app.verify_token(token)
            except MizanError:
                await self._close(UNAUTHORIZED_CLOSE)
                return
            await self.send('{"op":"auth","ok":true}')
        elif op == "watch":
            contexts = frame.get("contexts")
            if isinstance(contexts, list) and all(isinstance(c, str) for c in contexts):
                self.sub.watch = set(contexts)
            else:
                error = MizanError.bad_request("malformed watch frame: `contexts` must list names")
                await self.send(_frame_error(frame.get("id"), error))
        elif op in ("call", "fetch"):
            if "id" not in frame:
                await self.send(_frame_error(None, MizanError.bad_request(f"malformed {op} frame: no `id`")))
                return
            task = asyncio.create_task(self._answer(frame))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        else:
            error = MizanError.bad_request(f"malformed frame: unknown op {op!r}")
            await self.send(_frame_error(frame.get("id"), error))
        if self.sub.dropped:
            await self._close(1008)

    async def _answer(self, frame: dict[str, Any]) -> None:
        id_ = frame.get("id")
        client = frame.get("client")
        req = Request(self.sub.principal, "ws", self.app.settings.state, client if isinstance(client, str) else None, self.raw)
        try:
            if frame.get("op") == "call":
                name, args = frame.get("fn"), frame.get("args", {})
                if not isinstance(name, str) or not isinstance(args, dict):
                    raise MizanError.bad_request("malformed call frame: `fn` must be a string and `args` an object")
                reply = await self.app.call(req, name, args)
                if reply.status != 200:
                    await self.send(json.dumps({"id": id_, **json.loads(reply.body)}, ensure_ascii=False))
                else:
                    await self.send('{"id":' + json.dumps(id_) + "," + reply.body.decode()[1:])
            else:
                context, params = frame.get("context"), frame.get("params", {})
                if not isinstance(context, str) or not isinstance(params, dict):
                    raise MizanError.bad_request("malformed fetch frame: `context` must be a string and `params` an object")
                body, _ = await self.app.fetch(req, context, params)
                await self.send('{"id":' + json.dumps(id_) + ',"result":' + body.decode() + "}")
        except MizanError as e:
            await self.send(_frame_error(id_, e))
        except Exception:
            error = MizanError.internal()
            log.exception("socket frame failed (request %s)", (error.details or {}).get("request_id"))
            await self.send(_frame_error(id_, error))
