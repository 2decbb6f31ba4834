"""Mizan for FastAPI: ``router(app)`` serves SPEC §3 at the base it is
mounted under::

    mizan = Mizan(registry, Settings(mwt_keys={"default": SECRET}, ...))
    api = FastAPI(lifespan=mizan_fastapi.lifespan(mizan))
    api.include_router(mizan_fastapi.router(mizan), prefix="/api/mizan")

``GET /session/``, ``POST /call/`` (JSON or multipart uploads),
``GET /ctx/{name}/`` and the ``/ws/`` WebSocket (calls, fetches, watch,
pushes). Invariant: **the adapter moves envelopes** — identity, auth,
validation, resolution, header, keys and pushes are :class:`mizan.Mizan`'s
and the core's; nothing is re-implemented here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from mizan import Mizan, MizanError, Request as MizanRequest, Upload
from mizan.origin import OriginPolicy
from mizan.runtime import Reply, call_media, error_reply, parse_call_envelope, valid_client_id
from mizan.socket import UNAUTHORIZED_CLOSE, Session

log = logging.getLogger("mizan.fastapi")

__all__ = ["lifespan", "router"]

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _response(reply: Reply) -> Response:
    headers = {"cache-control": "no-store", **reply.headers}
    return Response(content=reply.body, status_code=reply.status, media_type="application/json", headers=headers)


def _error(error: MizanError, headers: dict[str, str] | None = None) -> Response:
    reply = error_reply(error)
    reply.headers.update(headers or {})
    return _response(reply)


def lifespan(app: Mizan) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that starts and stops the app's background tasks."""

    @contextlib.asynccontextmanager
    async def run(_: FastAPI) -> AsyncIterator[None]:
        await app.start()
        try:
            yield
        finally:
            await app.stop()

    return run


async def _read_body(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 ``BAD_REQUEST`` past ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > limit:
            raise MizanError.bad_request(f"the request body exceeds the limit of {limit} bytes", status=413)
        # The server stops at the declared length: read it at once.
        return await request.body()
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise MizanError.bad_request(f"the request body exceeds the limit of {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _multipart(request: Request, body: bytes) -> tuple[str, dict[str, Any], str | None, dict[str, Upload]]:
    request._body = body  # form() reads the buffered body
    try:
        form = await request.form(max_part_size=len(body) + 1)
    except Exception as e:
        raise MizanError.bad_request(f"malformed multipart call: {e}") from None
    envelope = form.get("envelope")
    if envelope is None:
        raise MizanError.bad_request("a multipart call needs an `envelope` part (the call envelope)")
    text = envelope if isinstance(envelope, str) else (await envelope.read()).decode("utf-8", "replace")
    name, args, client = parse_call_envelope(text.encode())
    uploads: dict[str, Upload] = {}
    for key, value in form.multi_items():
        if key == "envelope" or isinstance(value, str):
            continue
        data = await value.read()
        uploads[key] = Upload(value.filename or "", value.content_type or "application/octet-stream", data)
    return name, args, client, uploads


Handler = Callable[..., Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    """Whatever escapes a route is an ``INTERNAL_ERROR`` envelope (logged
    under its request id), never a bare 500 or a traceback."""

    @functools.wraps(handler)
    async def run(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except Exception:
            error = MizanError.internal()
            log.exception("request failed (request %s)", (error.details or {}).get("request_id"))
            return _error(error)

    return run


async def _deny(socket: WebSocket, error: MizanError) -> None:
    """Refuses an upgrade with the error's status and envelope (or a plain
    close, which the server answers with 403, without the extension)."""
    if "websocket.http.response" in socket.scope.get("extensions", {}):
        await socket.send_denial_response(_error(error))
    else:
        await socket.close(code=1008)


def router(app: Mizan) -> APIRouter:
    """The Mizan routes of ``app`` (mount with a prefix, e.g. ``/api/mizan``).

    The routes are plain Starlette routes inside the ``APIRouter``: they
    take the raw request (no dependency injection to solve per call) and
    stay out of the OpenAPI schema, which cannot describe them anyway.
    """
    origins = OriginPolicy(app.settings.allowed_origins)
    limit = app.settings.body_limit
    routes = APIRouter()
    state = app.settings.state

    async def session(request: Request) -> Response:
        return _response(Reply(200, b'{"csrfToken":null}'))

    async def call(request: Request) -> Response:
        # Idempotent: the Redis bus runs even without `lifespan(app)`.
        await app.start()
        try:
            headers = request.headers
            origins.check(headers.getlist("origin"), headers)
            principal = await app.identify(headers)
            client = headers.get("x-mizan-client")
            if client is not None and not valid_client_id(client):
                raise MizanError.bad_request("invalid `X-Mizan-Client` (1 to 64 of A-Z a-z 0-9 - _ . :)")
            media = call_media(headers.get("content-type"))
            body = await _read_body(request, limit)
            uploads: dict[str, Upload] = {}
            if media == "multipart":
                name, args, envelope_client, uploads = await _multipart(request, body)
            else:
                name, args, envelope_client = parse_call_envelope(body)
        except MizanError as e:
            return _error(e)
        req = MizanRequest(principal, "http", state, client or envelope_client, request)
        return _response(await app.call(req, name, args, uploads))

    async def ctx(request: Request) -> Response:
        context: str = request.path_params["context"]
        try:
            principal = await app.identify(request.headers)
            params = app.coerce_query(context, list(request.query_params.multi_items()))
            req = MizanRequest(principal, "http", state, None, request)
            body, verdict = await app.fetch(req, context, params)
        except MizanError as e:
            return _error(e)
        headers = {"x-mizan-cache": verdict} if verdict else {}
        return _response(Reply(200, body, headers))

    async def ws(socket: WebSocket) -> None:
        await app.start()
        await _serve_socket(app, origins, socket)

    def not_allowed(allow: str) -> Handler:
        async def refuse(request: Request) -> Response:
            error = MizanError.bad_request(f"method {request.method} is not allowed on {request.url.path}", status=405)
            return _error(error, {"allow": allow})

        return refuse

    async def fallback(request: Request) -> Response:
        return _error(MizanError.not_found(f"no route for {request.method} {request.url.path}"))

    others = [m for m in _ALL_METHODS if m not in ("GET", "HEAD")]
    routes.add_route("/session/", _guarded(session), methods=["GET"], include_in_schema=False)
    routes.add_route("/call/", _guarded(call), methods=["POST"], include_in_schema=False)
    routes.add_route("/ctx/{context}/", _guarded(ctx), methods=["GET"], include_in_schema=False)
    routes.add_websocket_route("/ws/", ws)
    routes.add_route("/call/", not_allowed("POST"), methods=[m for m in _ALL_METHODS if m != "POST"], include_in_schema=False)
    routes.add_route("/session/", not_allowed("GET"), methods=others, include_in_schema=False)
    routes.add_route("/ctx/{context}/", not_allowed("GET"), methods=others, include_in_schema=False)
    routes.add_route("/{rest:path}", fallback, methods=_ALL_METHODS, include_in_schema=False)
    return routes


async def _serve_socket(app: Mizan, origins: OriginPolicy, socket: WebSocket) -> None:
    try:
        origins.check(socket.headers.getlist("origin"), socket.headers)
    except MizanError as e:
        log.info("websocket refused: %s", e.message)
        await _deny(socket, e)
        return
    if len(app.hub.subscribers) >= app.settings.max_connections:
        await _deny(socket, MizanError("INTERNAL_ERROR", "too many connections", status=503))
        return
    await socket.accept()
    try:
        principal = await app.identify(socket.headers)
    except MizanError:
        await socket.close(code=UNAUTHORIZED_CLOSE)
        return

    async def close(code: int) -> None:
        await socket.close(code=code)

    session = Session(app, principal, socket.send_text, close, socket)
    try:
        while not session.closed:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                await session.receive_bytes()
            else:
                await session.receive(text)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        session.stop()
