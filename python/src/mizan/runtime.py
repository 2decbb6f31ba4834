"""The transport-independent server (what both framework adapters run):
identify the caller, call a function or fetch a context with auth and
privacy checked before any body runs, validate arguments per field, turn
any other failure into an ``INTERNAL_ERROR`` that leaks nothing, and after
a successful mutation purge the origin cache and push.

Resolution, the header, cache keys and tokens come from the Rust core
(:mod:`mizan._core`); nothing here re-implements them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic

from . import _core
from .cache import OriginCache
from .errors import MizanError
from .push import PushHub
from .registry import Function, Principal, Registry, Request
from .shapes import Upload

log = logging.getLogger("mizan")

#: Default request body limit (bytes), as the Rust adapter's.
DEFAULT_BODY_LIMIT = 1024 * 1024

#: An application authenticator: the request headers (lower-case names) →
#: a principal, ``None`` when its credential is absent; raise
#: ``MizanError.unauthorized`` to reject (no fallback to anything else).
Authenticator = Callable[[Mapping[str, str]], "Principal | None | Awaitable[Principal | None]"]


@dataclass
class Settings:
    """How one application is served."""

    mwt_keys: Mapping[str, str] | None = None
    mwt_audience: str = "mizan"
    authenticators: Sequence[Authenticator] = ()
    cache_secret: str | None = None
    redis_url: str | None = None
    body_limit: int = DEFAULT_BODY_LIMIT
    allowed_origins: Sequence[str] = ()
    max_connections: int = 10_000
    #: Runs a plain ``def`` handler off the event loop (default: a worker
    #: thread; Django passes ``sync_to_async`` so the ORM is safe).
    run_sync: Callable[..., Awaitable[Any]] | None = None
    max_ttl: int = 7 * 24 * 3600
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    """A response: status, JSON body bytes and extra headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(error: MizanError) -> Reply:
    return Reply(error.status, json.dumps(error.envelope(), ensure_ascii=False, separators=(",", ":")).encode())


class Mizan:
    """One application's registry served with its settings."""

    def __init__(self, registry: Registry, settings: Settings | None = None):
        self.registry = registry
        self.settings = settings or Settings()
        s = self.settings
        self.engine = _core.Engine(registry.ir_text(), s.cache_secret, s.max_ttl)
        self.keys = _core.KeyRing(dict(s.mwt_keys)) if s.mwt_keys else None
        self.cache = OriginCache(self.engine, s.redis_url) if s.cache_secret else None
        self.hub = PushHub(self, s.redis_url)
        contexts = {f.context for f in registry.functions.values() if f.context}
        self._members = {c: registry.context_members(c) for c in contexts}
        self._context_params: dict[str, set[str]] = {
            c: {p[0] for f in members for p in f.params} for c, members in self._members.items()
        }

    async def start(self) -> None:
        """Starts the background tasks (the Redis push bus); idempotent."""
        await self.hub.start()

    async def stop(self) -> None:
        await self.hub.stop()
        if self.cache is not None:
            await self.cache.close()

    # -- identity -------------------------------------------------------------

    async def identify(self, headers: Mapping[str, str]) -> Principal | None:
        """MWT first (present and invalid: 401, no fallback), then the
        application's authenticators in order; the first that is not absent
        decides."""
        token = headers.get("x-mizan-token")
        if token is not None:
            return self.verify_token(token)
        for authenticate in self.settings.authenticators:
            found = authenticate(headers)
            if asyncio.iscoroutine(found):
                found = await found
            if found is not None:
                return found  # type: ignore[return-value]
        return None

    def verify_token(self, token: str) -> Principal:
        if self.keys is None:
            raise MizanError.unauthorized("tokens are not accepted here")
        try:
            claims = json.loads(self.keys.verify(token, self.settings.mwt_audience))
        except _core.TokenRejected as e:
            log.info("token rejected: %s", e.args[1] if len(e.args) > 1 else e)
            raise MizanError.unauthorized("invalid token") from None
        return Principal(
            id=claims["sub"],
            staff=bool(claims.get("staff")),
            superuser=bool(claims.get("superuser")),
            perms=tuple(claims.get("perms", ())),
        )

    # -- auth -------------------------------------------------------------------

    async def _allowed(self, f: Function, req: Request) -> bool:
        if f.auth is None:
            return True
        p = req.principal
        if p is None:
            if req.origin != "internal":
                raise MizanError.unauthorized()
            return True
        if f.auth == "required":
            return True
        if f.auth == "staff":
            return p.staff or p.superuser
        if f.auth == "superuser":
            return p.superuser
        assert f.predicate is not None
        ok = f.predicate(req)
        if asyncio.iscoroutine(ok):
            ok = await ok
        return bool(ok)

    async def may_read(self, context: str, principal: Principal | None) -> bool:
        """Whether a client ``principal`` may fetch ``context`` (push filtering)."""
        members = self._members.get(context)
        if not members:
            return False
        req = Request(principal, "http", self.settings.state)
        for f in members:
            if f.private:
                return False
            try:
                if not await self._allowed(f, req):
                    return False
            except MizanError:
                return False
        return True

    # -- calls -------------------------------------------------------------------

    async def call(
        self, req: Request, name: str, args: dict[str, Any], uploads: Mapping[str, Upload] | None = None
    ) -> Reply:
        """Calls ``name``; the reply is the SPEC body, or its error envelope."""
        try:
            body, header, resolution = await self._call(req, name, args, uploads or {})
        except MizanError as e:
            return error_reply(e)
        headers = {"x-mizan-invalidate": header} if header else {}
        if resolution is not None:
            await self.commit(name, req, resolution)
        return Reply(200, body.encode(), headers)

    async def call_internal(self, name: str, args: dict[str, Any] | None = None) -> Reply:
        """A server-side call (a webhook route, a cron job): private
        functions allowed, auth passed."""
        return await self.call(Request(None, "internal", self.settings.state), name, args or {})

    async def _call(
        self, req: Request, name: str, args: dict[str, Any], uploads: Mapping[str, Upload]
    ) -> tuple[str, str | None, str | None]:
        f = self.registry.functions.get(name)
        if f is None:
            raise MizanError.not_found(f"no function `{name}`")
        if f.private and req.origin != "internal":
            raise MizanError.forbidden(f"`{name}` cannot be called by clients")
        if not await self._allowed(f, req):
            raise MizanError.forbidden(f"not allowed to call `{name}`")
        args_text = json_text(args, "call envelope")
        result = await self._run(f, req, args, args_text, uploads)
        try:
            return self.engine.call_response(name, args_text, result)
        except ValueError:
            log.exception("cannot resolve the call of `%s`", name)
            raise MizanError.internal() from None

    async def _run(
        self,
        f: Function,
        req: Request,
        args: Mapping[str, Any],
        args_text: str | None,
        uploads: Mapping[str, Upload],
    ) -> str:
        """Validates, runs the handler, returns its result as JSON text."""
        kwargs = self._validate(f, args, args_text, uploads)
        if f.wants_request:
            kwargs[f.wants_request] = req
        try:
            if f.is_async:
                value = await f.handler(**kwargs)
            else:
                run_sync = self.settings.run_sync
                if run_sync is None:
                    value = await asyncio.to_thread(f.handler, **kwargs)
                else:
                    value = await run_sync(f.handler, **kwargs)
            return f.result_adapter.dump_json(value, by_alias=True).decode()
        except MizanError as e:
            if e.code == "INTERNAL_ERROR":
                sealed = MizanError.internal()
                log.error("`%s` failed (request %s): %s", f.name, sealed.details, e.message)
                raise sealed from None
            raise
        except Exception:
            sealed = MizanError.internal()
            log.exception("`%s` failed (request %s)", f.name, (sealed.details or {}).get("request_id"))
            raise sealed from None

    def _validate(
        self, f: Function, args: Mapping[str, Any], args_text: str | None, uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        fields: dict[str, list[str]] = {}
        plain = {k: v for k, v in args.items() if k not in f.upload_params}
        kwargs: dict[str, Any] = {}
        for name in f.upload_params:
            value = uploads.get(name, args.get(name))
            if value is None:
                if any(p[0] == name and p[3] for p in f.params):
                    fields[name] = ["this argument is required"]
                continue
            if isinstance(value, Upload):
                kwargs[name] = value
                continue
            upload = _upload_from_json(value)
            if upload is None:
                fields[name] = ['invalid type: expected {"filename", "content_type", "base64"}']
            else:
                kwargs[name] = upload
        try:
            text = args_text if not f.upload_params and args_text is not None else json_text(plain, "arguments")
            model = f.args_model.model_validate_json(text)
        except pydantic.ValidationError as e:
            for err in e.errors(include_url=False):
                loc = err["loc"]
                key = str(loc[0]) if loc else "args"
                if err["type"] == "missing":
                    message = "this argument is required"
                elif err["type"] == "extra_forbidden":
                    message = "unknown argument"
                else:
                    where = ".".join(str(p) for p in loc[1:])
                    message = f"invalid type: {err['msg']}" + (f" (at {where})" if where else "")
                fields.setdefault(key, []).append(message)
        else:
            for name in f.args_model.model_fields:
                kwargs[name] = getattr(model, name)
        if fields:
            raise MizanError.validation(fields)
        return kwargs

    # -- fetches -----------------------------------------------------------------

    def coerce_query(self, context: str, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """Query-string values as the context params' types (the core's
        coercion); a bad value is a ``VALIDATION_ERROR``."""
        try:
            return json.loads(self.engine.coerce_query(context, list(pairs)))  # type: ignore[no-any-return]
        except _core.UnknownName:
            raise MizanError.not_found(f"no context `{context}`") from None
        except _core.QueryInvalid as e:
            raise MizanError.validation(json.loads(e.args[1])) from None

    async def fetch(self, req: Request, context: str, params: dict[str, Any]) -> tuple[bytes, str | None]:
        """The bundle of ``context`` and the cache verdict (``HIT``/``MISS``,
        ``None`` without a cache). Auth before the lookup."""
        members = self._members.get(context)
        if not members:
            raise MizanError.not_found(f"no context `{context}`")
        known = self._context_params[context]
        unknown = {k: ["unknown context param"] for k in params if k not in known}
        if unknown:
            raise MizanError.validation(unknown)
        for f in members:
            if f.private and req.origin != "internal":
                raise MizanError.forbidden(f"context `{context}` cannot be fetched by clients")
            if not await self._allowed(f, req):
                raise MizanError.forbidden(f"not allowed to fetch context `{context}`")
        user = req.principal.id if req.principal else None
        ticket = None
        if self.cache is not None:
            params_text = json_text(params, "context params")
            hit, ticket = await self.cache.lookup(context, params_text, user)
            if hit is not None:
                return hit, "HIT"
        results = await asyncio.gather(
            *(
                self._run(f, req, {k: v for k, v in params.items() if k in f.py_names}, None, {})
                for f in members
            ),
            return_exceptions=True,
        )
        parts = []
        for f, result in sorted(zip(members, results), key=lambda pair: pair[0].name):
            if isinstance(result, BaseException):
                if isinstance(result, MizanError):
                    raise result
                raise result
            parts.append(f"{json.dumps(f.name)}:{result}")
        body = ("{" + ",".join(parts) + "}").encode()
        if self.cache is None:
            return body, None
        if ticket is not None:
            await self.cache.store(ticket, body)
        return body, "MISS"

    # -- after a mutation -------------------------------------------------------------

    async def commit(self, name: str | None, req: Request, resolution: str) -> None:
        """Purge first, then push (what every successful mutation runs)."""
        if self.cache is not None:
            await self.cache.purge(resolution)
        push = json.loads(resolution)
        if not push.get("merge"):
            push.pop("merge", None)
        if name is not None:
            push["fn"] = name
        if req.client:
            push["client"] = req.client
        self.hub.publish(push, req.principal.id if req.principal else None)

    async def publish(self, invalidate: list[Any]) -> None:
        """Announces a change made outside Mizan (purges and pushes it)."""
        resolution = json.dumps({"invalidate": invalidate, "merge": []})
        await self.commit(None, Request(None, "internal", self.settings.state), resolution)


def _upload_from_json(value: Any) -> Upload | None:
    if not isinstance(value, dict):
        return None
    filename, content_type, data = value.get("filename"), value.get("content_type"), value.get("base64")
    if not (isinstance(filename, str) and isinstance(content_type, str) and isinstance(data, str)):
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    return Upload(filename, content_type, raw)


def parse_call_envelope(body: bytes) -> tuple[str, dict[str, Any], str | None]:
    """``{"fn", "args"?, "client"?}`` → its parts; anything else is a
    ``BAD_REQUEST`` whose message names the call envelope."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise MizanError.bad_request(f"malformed call envelope: {e}") from None
    if not isinstance(envelope, dict):
        raise MizanError.bad_request("malformed call envelope: expected a JSON object")
    name = envelope.get("fn")
    if not isinstance(name, str):
        raise MizanError.bad_request("malformed call envelope: `fn` must be a string")
    args = envelope.get("args", {})
    if not isinstance(args, dict):
        raise MizanError.bad_request("malformed call envelope: `args` must be an object")
    client = envelope.get("client")
    return name, args, client if isinstance(client, str) else None


def call_media(content_type: str | None) -> str:
    """``"json"`` or ``"multipart"``; any other body is a 415 (a browser
    cannot send JSON cross-site without a CORS preflight, but it can send
    ``text/plain``)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        return "json"
    if media == "multipart/form-data":
        return "multipart"
    raise MizanError.bad_request(
        "`POST /call/` takes `Content-Type: application/json` (or `multipart/form-data` for uploads)", status=415
    )


def json_text(value: Any, what: str) -> str:
    """``value`` as JSON text the core can take: lone surrogates (which
    ``json`` lets through from ``\\ud800`` escapes) are a ``BAD_REQUEST``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MizanError.bad_request(f"malformed {what}: a string holds a lone surrogate (invalid Unicode)") from None
    return text


def valid_client_id(value: str) -> bool:
    """A client id (as the Rust runtime's): 1–64 of ``A-Z a-z 0-9 - _ . :``."""
    return 0 < len(value) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_.:") for c in value)
