"""The HTTP routes (async views; they also run under WSGI). Invariant:
**the adapter moves envelopes** — identity, auth, validation, resolution,
header, keys and pushes are :class:`mizan.Mizan`'s and the core's."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.views.decorators.csrf import csrf_exempt

from mizan import MizanError, Principal, Request, Upload
from mizan.origin import OriginPolicy
from mizan.runtime import Reply, call_media, error_reply, parse_call_envelope, valid_client_id

from .conf import get_started_app

log = logging.getLogger("mizan.django")

View = Callable[..., Awaitable[HttpResponse]]


def _response(reply: Reply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    for name, value in reply.headers.items():
        response[name] = value
    return response


def _error(error: MizanError, headers: dict[str, str] | None = None) -> HttpResponse:
    reply = error_reply(error)
    reply.headers.update(headers or {})
    return _response(reply)


def _headers(request: HttpRequest) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def _guarded(methods: tuple[str, ...]) -> Callable[[View], View]:
    """Method check (405 with ``Allow``), CSRF handled here (not by the
    middleware), and nothing escaping as a bare 500."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        async def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                error = MizanError.bad_request(f"method {request.method} is not allowed on {request.path}", status=405)
                return _error(error, {"Allow": ", ".join(methods)})
            try:
                return await view(request, *args, **kwargs)
            except MizanError as e:
                return _error(e)
            except Exception:
                error = MizanError.internal()
                log.exception("request failed (request %s)", (error.details or {}).get("request_id"))
                return _error(error)

        exempt: View = csrf_exempt(run)
        return exempt

    return wrap


async def identify(request: HttpRequest, headers: dict[str, str]) -> tuple[Principal | None, bool]:
    """The principal and whether it came from the Django session (then
    calls need the CSRF token). MWT and application authenticators first."""
    app = await get_started_app()
    principal = await app.identify(headers)
    if principal is not None or "x-mizan-token" in headers:
        return principal, False
    auser = getattr(request, "auser", None)
    if auser is None:
        return None, False
    user = await auser()
    if not user.is_authenticated:
        return None, False
    perms = await sync_to_async(user.get_all_permissions)()
    return Principal(str(user.pk), bool(user.is_staff), bool(user.is_superuser), tuple(sorted(perms))), True


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    middleware.process_request(request)
    refused = middleware.process_view(request, lambda r: HttpResponse(), (), {})
    if refused is None:
        return None
    return _error(MizanError.forbidden("CSRF token missing or incorrect (GET session/ returns it)"))


@_guarded(("GET",))
async def session(request: HttpRequest) -> HttpResponse:
    """``{"csrfToken": <token>}`` (and the CSRF cookie)."""
    import json

    return _response(Reply(200, json.dumps({"csrfToken": get_token(request)}, separators=(",", ":")).encode()))


@_guarded(("POST",))
async def call(request: HttpRequest) -> HttpResponse:
    app = await get_started_app()
    headers = _headers(request)
    origin = headers.get("origin")
    OriginPolicy(app.settings.allowed_origins).check([origin] if origin is not None else [], headers)
    principal, by_session = await identify(request, headers)
    if by_session:
        refused = _csrf_refusal(request)
        if refused is not None:
            return refused
    client = headers.get("x-mizan-client")
    if client is not None and not valid_client_id(client):
        raise MizanError.bad_request("invalid `X-Mizan-Client` (1 to 64 of A-Z a-z 0-9 - _ . :)")
    media = call_media(headers.get("content-type"))
    limit = app.settings.body_limit
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise MizanError.bad_request(f"the request body exceeds the limit of {limit} bytes", status=413)
    body = request.body
    if len(body) > limit:
        raise MizanError.bad_request(f"the request body exceeds the limit of {limit} bytes", status=413)
    uploads: dict[str, Upload] = {}
    if media == "multipart":
        try:
            fields, files = request.POST, request.FILES
        except Exception as e:
            raise MizanError.bad_request(f"malformed multipart call: {e}") from None
        envelope = fields.get("envelope")
        if envelope is None and "envelope" in files:
            envelope = files["envelope"].read().decode("utf-8", "replace")
        if envelope is None:
            raise MizanError.bad_request("a multipart call needs an `envelope` part (the call envelope)")
        name, args, envelope_client = parse_call_envelope(envelope.encode())
        for key, upload in files.items():
            if key != "envelope":
                uploads[key] = Upload(upload.name or "", upload.content_type or "application/octet-stream", upload.read())
    else:
        name, args, envelope_client = parse_call_envelope(body)
    req = Request(principal, "http", app.settings.state, client or envelope_client, request)
    return _response(await app.call(req, name, args, uploads))


@_guarded(("GET",))
async def ctx(request: HttpRequest, context: str) -> HttpResponse:
    app = await get_started_app()
    principal, _ = await identify(request, _headers(request))
    pairs = [(key, value) for key, values in request.GET.lists() for value in values]
    params = app.coerce_query(context, pairs)
    body, verdict = await app.fetch(Request(principal, "http", app.settings.state, None, request), context, params)
    return _response(Reply(200, body, {"X-Mizan-Cache": verdict} if verdict else {}))


@_guarded(("GET",))
async def ws_over_http(request: HttpRequest) -> HttpResponse:
    """``/ws/`` reached as plain HTTP: under WSGI (or without Channels'
    routing) there is no WebSocket, so no push; say so."""
    raise MizanError(
        "NOT_IMPLEMENTED",
        "`/ws/` is a WebSocket endpoint: calls over the socket and pushes need an ASGI server "
        "(e.g. daphne) with Django Channels routing it (mizan_django.routing); HTTP calls work as they are",
    )


async def _not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(MizanError.not_found(f"no route for {request.method} {request.path}"))


not_found: View = csrf_exempt(_not_found)
