"""Pushes (SPEC §3.1): every successful call that invalidates or merges,
delivered to the ``/ws/`` connections that may see it, and across
processes through Redis pub/sub.

What each connection receives is computed by the core
(``Engine.push_frame``: the caller's own view, or the view of others —
no client id, merges into personal contexts turned into invalidations —
restricted to the contexts the connection may read and watches). The bus
speaks the Rust adapter's format on the same channel (``mizan:push``,
``{"origin", "caller"?, "push"}``), so Python and Rust processes on one
Redis push to each other's clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry import Principal
    from .runtime import Mizan

log = logging.getLogger("mizan.push")

#: The pub/sub channel every Mizan process of an application shares.
PUSH_CHANNEL = "mizan:push"
#: Frames one connection may have queued before it is dropped.
QUEUE = 256


@dataclass(eq=False)
class Subscriber:
    """One connection's audience and queue."""

    principal: Principal | None
    watch: set[str] | None = None
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(QUEUE))
    dropped: bool = False


class PushHub:
    """Local subscribers, and the Redis bus when configured."""

    def __init__(self, app: Mizan, redis_url: str | None):
        self.app = app
        self.redis_url = redis_url
        self.subscribers: set[Subscriber] = set()
        self.origin = f"py-{os.getpid()}-{time.time_ns():x}"
        self._outbox: asyncio.Queue[str] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if self.redis_url and not self._tasks:
            self._outbox = asyncio.Queue(4096)
            self._tasks = [asyncio.create_task(self._publisher()), asyncio.create_task(self._subscriber())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    def subscribe(self, principal: Principal | None) -> Subscriber:
        sub = Subscriber(principal)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def publish(self, push: dict[str, Any], caller: str | None) -> None:
        """Delivers locally (in the background) and sends to other processes."""
        task = asyncio.ensure_future(self.deliver(push, caller))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        if self._outbox is not None:
            message: dict[str, Any] = {"origin": self.origin, "push": push}
            if caller is not None:
                message["caller"] = caller
            try:
                self._outbox.put_nowait(json.dumps(message, ensure_ascii=False))
            except asyncio.QueueFull:
                log.warning("push bus queue full: a push was not sent to other processes")

    async def deliver(self, push: dict[str, Any], caller: str | None) -> None:
        text = json.dumps(push, ensure_ascii=False)
        contexts = {e if isinstance(e, str) else e["context"] for e in push.get("invalidate", [])}
        contexts |= {m["context"] for m in push.get("merge", [])}
        readable_by: dict[tuple[str, bool, bool, tuple[str, ...]] | None, set[str]] = {}
        for sub in list(self.subscribers):
            p = sub.principal
            who = None if p is None else (p.id, p.staff, p.superuser, p.perms)
            if who not in readable_by:
                readable_by[who] = {c for c in contexts if await self.app.may_read(c, p)}
            own = (p.id if p else None) == caller
            frame = self.app.engine.push_frame(text, own, readable_by[who], sub.watch)
            if frame is None:
                continue
            try:
                sub.queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("push subscriber dropped: its queue is full (slow consumer)")
                sub.dropped = True
                self.subscribers.discard(sub)

    async def _publisher(self) -> None:
        import redis.asyncio as redis

        assert self._outbox is not None and self.redis_url is not None
        conn = redis.Redis.from_url(self.redis_url, socket_timeout=0.5, socket_connect_timeout=1.0)
        down = False
        while True:
            text = await self._outbox.get()
            try:
                await conn.publish(PUSH_CHANNEL, text)
                if down:
                    log.warning("push bus: publishing to Redis again")
                down = False
            except Exception as e:
                if not down:
                    log.warning("push bus: cannot publish to Redis (%s); pushes stay local", e)
                down = True

    async def _subscriber(self) -> None:
        import redis.asyncio as redis

        assert self.redis_url is not None
        backoff = 0.1
        down = False
        while True:
            conn = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1.0)
            try:
                pubsub = conn.pubsub()
                await pubsub.subscribe(PUSH_CHANNEL)
                if down:
                    log.warning("push bus: subscribed to Redis again")
                down, backoff = False, 0.1
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        envelope = json.loads(message["data"])
                        if envelope.get("origin") == self.origin:
                            continue
                        await self.deliver(envelope["push"], envelope.get("caller"))
                    except (ValueError, KeyError, TypeError) as e:
                        log.warning("push bus: ignored a malformed message (%s)", e)
            except asyncio.CancelledError:
                await conn.aclose()
                raise
            except Exception as e:
                if not down:
                    log.warning("push bus: Redis subscription lost (%s); retrying", e)
                down = True
            try:
                await conn.aclose()
            except Exception:
                pass
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
