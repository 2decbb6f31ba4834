"""The origin cache of context bundles (SPEC §6) for the Python adapters.

Keys, generation keys, TTLs, fingerprints, purge targets and the stored
entry format all come from the core (``Engine.cache_slot``, ``purges``,
``encode_entry``/``decode_entry``, ``REDIS_WRITE_SCRIPT``), so a Python
process and a Rust process on the same Redis read and purge each other's
entries. Only the I/O is here: Redis through ``redis.asyncio``, or a
bounded in-process map.

**Failures err towards a miss.** A backend error never fails a request: it
is served uncached. A purge that fails stays pending; while a context has
one, its reads bypass the cache and first retry it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from . import _core

log = logging.getLogger("mizan.cache")

#: How long generations are remembered (as the Rust backends).
GENERATION_TTL_MS = 8 * 24 * 3600 * 1000


class Backend(Protocol):
    async def read(self, key: str, context_gen: str, instance_gen: str) -> tuple[bytes | None, int, int]: ...

    async def write(
        self, key: str, context_gen: str, instance_gen: str, seen: tuple[int, int], entry: bytes, ttl_ms: int
    ) -> bool: ...

    async def bump(self, generation_key: str, unlink: str | None) -> None: ...

    async def close(self) -> None: ...


class MemoryBackend:
    """Entries and generations in this process (bounded, LRU)."""

    def __init__(self, max_entries: int = 10_000):
        self.entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self.generations: dict[str, int] = {}
        self.max_entries = max_entries

    async def read(self, key: str, context_gen: str, instance_gen: str) -> tuple[bytes | None, int, int]:
        found = self.entries.get(key)
        entry = None
        if found is not None:
            if found[1] > time.monotonic():
                entry = found[0]
                self.entries.move_to_end(key)
            else:
                del self.entries[key]
        return entry, self.generations.get(context_gen, 0), self.generations.get(instance_gen, 0)

    async def write(
        self, key: str, context_gen: str, instance_gen: str, seen: tuple[int, int], entry: bytes, ttl_ms: int
    ) -> bool:
        current = (self.generations.get(context_gen, 0), self.generations.get(instance_gen, 0))
        if current != seen or ttl_ms <= 0:
            return False
        self.entries[key] = (entry, time.monotonic() + ttl_ms / 1000)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return True

    async def bump(self, generation_key: str, unlink: str | None) -> None:
        self.generations[generation_key] = self.generations.get(generation_key, 0) + 1
        if unlink is not None:
            self.entries.pop(unlink, None)

    async def close(self) -> None:
        return None


class RedisBackend:
    """Entries and generations in Redis, written exactly as the Rust
    ``RedisCache`` writes them (same keys, same script)."""

    def __init__(self, url: str):
        import redis.asyncio as redis

        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=1.0)
        self.script = self.redis.register_script(_core.REDIS_WRITE_SCRIPT)
        self.down_until = 0.0

    def _check(self) -> None:
        if time.monotonic() < self.down_until:
            raise ConnectionError("redis is down (backing off)")

    def _failed(self) -> None:
        self.down_until = time.monotonic() + 1.0

    async def read(self, key: str, context_gen: str, instance_gen: str) -> tuple[bytes | None, int, int]:
        self._check()
        try:
            entry, c, i = await self.redis.mget([key, context_gen, instance_gen])
        except Exception:
            self._failed()
            raise
        return entry, int(c or 0), int(i or 0)

    async def write(
        self, key: str, context_gen: str, instance_gen: str, seen: tuple[int, int], entry: bytes, ttl_ms: int
    ) -> bool:
        self._check()
        try:
            stored = await self.script(keys=[key, context_gen, instance_gen], args=[seen[0], seen[1], entry, ttl_ms])
        except Exception:
            self._failed()
            raise
        return bool(stored == 1)

    async def bump(self, generation_key: str, unlink: str | None) -> None:
        self._check()
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.incr(generation_key)
            pipe.pexpire(generation_key, GENERATION_TTL_MS)
            if unlink is not None:
                pipe.unlink(unlink)
            await pipe.execute()
        except Exception:
            self._failed()
            raise

    async def close(self) -> None:
        await self.redis.aclose()


@dataclass
class Ticket:
    """What a miss needs to store its answer."""

    key: str
    context: str
    context_gen: str
    instance_gen: str
    seen: tuple[int, int]
    ttl_ms: int
    fingerprint: str


class OriginCache:
    """The origin cache of one application (keys from the core)."""

    def __init__(self, engine: Any, redis_url: str | None):
        self.engine = engine
        self.backend: Backend = RedisBackend(redis_url) if redis_url else MemoryBackend()
        self.pending: dict[str, list[tuple[str, str | None]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.down = False

    def _failed(self, op: str, context: str, error: BaseException) -> None:
        if not self.down:
            log.warning("origin cache %s of `%s` failed (%s); serving uncached until it recovers", op, context, error)
        self.down = True

    def _up(self) -> None:
        if self.down:
            log.warning("origin cache recovered")
        self.down = False

    async def lookup(self, context: str, params_json: str, user: str | None) -> tuple[bytes | None, Ticket | None]:
        """``(body, None)`` on a hit, ``(None, ticket)`` on a miss, ``(None,
        None)`` when bypassed."""
        slot = self.engine.cache_slot(context, params_json, user)
        if slot is None:
            return None, None
        if context in self.pending and not await self._retry(context):
            return None, None
        key, instance_gen, context_gen, ttl_ms, fingerprint = slot
        try:
            entry, c, i = await self.backend.read(key, context_gen, instance_gen)
            self._up()
        except Exception as e:
            self._failed("read", context, e)
            return None, None
        if entry is not None:
            body = self.engine.decode_entry(entry, fingerprint, c, i)
            if body is not None:
                return body, None
        return None, Ticket(key, context, context_gen, instance_gen, (c, i), ttl_ms, fingerprint)

    async def store(self, ticket: Ticket, body: bytes) -> None:
        if ticket.context in self.pending:
            return
        entry = self.engine.encode_entry(ticket.fingerprint, ticket.seen[0], ticket.seen[1], body)
        try:
            await self.backend.write(
                ticket.key, ticket.context_gen, ticket.instance_gen, ticket.seen, entry, ticket.ttl_ms
            )
            self._up()
        except Exception as e:
            self._failed("write", ticket.context, e)

    async def purge(self, resolution: str) -> None:
        """Purges what a resolution (JSON) invalidated or merged."""
        contexts = []
        for context, generation_key, unlink in self.engine.purges(resolution):
            todo = self.pending.setdefault(context, [])
            if (generation_key, unlink) not in todo and not any(u is None and g == generation_key for g, u in todo):
                if unlink is None:
                    todo.clear()
                todo.append((generation_key, unlink))
            if context not in contexts:
                contexts.append(context)
        for context in contexts:
            await self._retry(context)

    async def _retry(self, context: str) -> bool:
        """Runs the pending purges of ``context`` (one retrier at a time);
        returns whether none is left."""
        lock = self._locks.setdefault(context, asyncio.Lock())
        async with lock:
            todo = self.pending.get(context, [])
            while todo:
                generation_key, unlink = todo[0]
                try:
                    await self.backend.bump(generation_key, unlink)
                    self._up()
                except Exception as e:
                    self._failed("purge", context, e)
                    return False
                todo.pop(0)
            self.pending.pop(context, None)
            return True

    async def close(self) -> None:
        await self.backend.close()
