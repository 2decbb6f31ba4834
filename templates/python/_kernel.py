{{ header }}{% raw %}"""The runtime of the generated Mizan client: errors, JSON decoding, the
HTTP transport (httpx, sync and async), session/CSRF handling and retries.

Rules shared with the TypeScript and Rust kernels:

- context fetches retry twice on network errors and HTTP 5xx (except 501)
  with exponential back-off; calls never retry;
- before the first call the session is initialised once
  (``GET {base}/session/``); a CSRF token it returns is sent back as
  ``X-CSRFToken``; a failed session request is retried by the next call;
- every failure is a :class:`MizanError` with ``code``, ``message``,
  ``details`` (and ``status`` when there was an HTTP response);
- each client has a random id sent as ``X-Mizan-Client`` on calls, so the
  server's pushes name the client that caused them;
- upload arguments (:class:`Upload`, or bytes, a path, a binary file) are
  sent as ``multipart/form-data``: a part ``envelope`` with ``{"fn",
  "args"}`` and one file part per upload argument.

This module has no dependency besides httpx.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import math
import mimetypes
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import IO, Literal, TypeVar, Union, cast
from urllib.parse import quote

import httpx

JsonValue = Union[None, bool, int, float, str, list["JsonValue"], dict[str, "JsonValue"]]
"""Any JSON value."""

T = TypeVar("T")

Decoder = Callable[[object, str], T]
"""Decodes a JSON value found at a path (for messages) into a typed value."""

DEFAULT_BASE_URL = "/api/mizan"

# Error codes of the protocol (SPEC §3) and those made by the client itself.
NOT_FOUND = "NOT_FOUND"
BAD_REQUEST = "BAD_REQUEST"
VALIDATION_ERROR = "VALIDATION_ERROR"
UNAUTHORIZED = "UNAUTHORIZED"
FORBIDDEN = "FORBIDDEN"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
INTERNAL_ERROR = "INTERNAL_ERROR"
NETWORK_ERROR = "NETWORK_ERROR"
BAD_RESPONSE = "BAD_RESPONSE"

_STATUS_CODES: dict[int, str] = {
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    422: VALIDATION_ERROR,
    501: NOT_IMPLEMENTED,
}


class MizanError(Exception):
    """A failed call or context fetch: the server's error envelope, or a
    client-side ``NETWORK_ERROR`` / ``BAD_RESPONSE``."""

    code: str
    """``NOT_FOUND``, ``VALIDATION_ERROR``, ..., ``NETWORK_ERROR``, ``BAD_RESPONSE``."""
    message: str
    """A message safe to show to users."""
    details: dict[str, JsonValue] | None
    """Structured details (``{"fields": {name: [messages]}}`` for validation errors)."""
    status: int | None
    """The HTTP status, when there was a response."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, JsonValue] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details
        self.status = status

    @property
    def retryable(self) -> bool:
        """Network failures and HTTP 5xx except 501: worth retrying for reads."""
        if self.code == NETWORK_ERROR:
            return True
        return self.status is not None and self.status >= 500 and self.status != 501

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """For validation errors: the messages per argument."""
        fields = (self.details or {}).get("fields")
        if not isinstance(fields, dict):
            return {}
        out: dict[str, list[str]] = {}
        for name, msgs in fields.items():
            if isinstance(msgs, list):
                out[name] = [m for m in msgs if isinstance(m, str)]
            elif isinstance(msgs, str):
                out[name] = [msgs]
        return out

    def __repr__(self) -> str:
        return f"MizanError(code={self.code!r}, message={self.message!r}, status={self.status!r})"


def error_from_response(status: int, body: bytes) -> MizanError:
    """The error an HTTP error response describes (its envelope, else its status)."""
    try:
        parsed: object = json.loads(body)
    except ValueError:
        parsed = None
    inner = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("code"), str):
        message = inner.get("message")
        details = inner.get("details")
        return MizanError(
            str(inner["code"]),
            message if isinstance(message, str) else str(inner["code"]),
            cast("dict[str, JsonValue]", details) if isinstance(details, dict) else None,
            status,
        )
    return MizanError(_STATUS_CODES.get(status, INTERNAL_ERROR), f"HTTP {status}", None, status)


# ---------------------------------------------------------------------------
# Decoding JSON into the generated types
# ---------------------------------------------------------------------------


def _bad(path: str, expected: str, value: object) -> MizanError:
    return MizanError(BAD_RESPONSE, f"{path}: expected {expected}, got {type(value).__name__}")


def as_str(value: object, path: str) -> str:
    """A JSON string."""
    if isinstance(value, str):
        return value
    raise _bad(path, "a string", value)


def as_int(value: object, path: str) -> int:
    """A JSON integer (an integral float such as ``3.0`` is accepted)."""
    if isinstance(value, bool):
        raise _bad(path, "an integer", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _bad(path, "an integer", value)


def as_float(value: object, path: str) -> float:
    """A JSON number."""
    if isinstance(value, bool):
        raise _bad(path, "a number", value)
    if isinstance(value, (int, float)):
        return float(value)
    raise _bad(path, "a number", value)


def as_bool(value: object, path: str) -> bool:
    """A JSON boolean."""
    if isinstance(value, bool):
        return value
    raise _bad(path, "a boolean", value)


def as_none(value: object, path: str) -> None:
    """JSON null."""
    if value is not None:
        raise _bad(path, "null", value)


def as_json(value: object, path: str) -> JsonValue:
    """Any JSON value (already decoded by ``json.loads``)."""
    return cast(JsonValue, value)


def as_object(value: object, path: str) -> Mapping[str, object]:
    """A JSON object."""
    if isinstance(value, dict):
        return cast("Mapping[str, object]", value)
    raise _bad(path, "an object", value)


def field(obj: Mapping[str, object], key: str, path: str, decode: Decoder[T]) -> T:
    """A required member of an object."""
    if key not in obj:
        raise MizanError(BAD_RESPONSE, f"{path}: missing field {key!r}")
    return decode(obj[key], f"{path}.{key}")


def optional_field(obj: Mapping[str, object], key: str, path: str, decode: Decoder[T]) -> T | None:
    """A member that may be absent (absent and null are both ``None``)."""
    value = obj.get(key)
    return None if value is None else decode(value, f"{path}.{key}")


def list_of(decode: Decoder[T]) -> Decoder[list[T]]:
    """A decoder of JSON arrays of ``decode``'s type."""

    def run(value: object, path: str) -> list[T]:
        if not isinstance(value, list):
            raise _bad(path, "an array", value)
        return [decode(item, f"{path}[{i}]") for i, item in enumerate(value)]

    return run


def optional_of(decode: Decoder[T]) -> Decoder[T | None]:
    """A decoder of ``decode``'s type or null."""

    def run(value: object, path: str) -> T | None:
        return None if value is None else decode(value, path)

    return run


def map_of(decode: Decoder[T]) -> Decoder[dict[str, T]]:
    """A decoder of JSON objects with values of ``decode``'s type."""

    def run(value: object, path: str) -> dict[str, T]:
        return {k: decode(v, f"{path}.{k}") for k, v in as_object(value, path).items()}

    return run


def union_of(*decoders: Decoder[object]) -> Decoder[object]:
    """A decoder trying each decoder in turn."""

    def run(value: object, path: str) -> object:
        for decode in decoders:
            try:
                return decode(value, path)
            except MizanError:
                continue
        raise _bad(path, "one of the union's shapes", value)

    return run


def literal_of(*allowed: str) -> Decoder[str]:
    """A decoder of one of these strings."""

    def run(value: object, path: str) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        raise MizanError(BAD_RESPONSE, f"{path}: expected one of {list(allowed)!r}, got {value!r}")

    return run


# ---------------------------------------------------------------------------
# Uploads (SPEC §3.2)
# ---------------------------------------------------------------------------

OCTET_STREAM = "application/octet-stream"


@dataclasses.dataclass(frozen=True)
class Upload:
    """A file sent as an argument: its name, MIME type and bytes."""

    data: bytes
    filename: str = ""
    content_type: str = OCTET_STREAM

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], content_type: str | None = None) -> Upload:
        """Reads a file; its name is the path's last component, its type
        ``content_type`` or guessed from the extension."""
        name = os.path.basename(os.fspath(path))
        with open(path, "rb") as f:
            data = f.read()
        guessed = mimetypes.guess_type(name)[0]
        return cls(data, name, content_type or guessed or OCTET_STREAM)

    @classmethod
    def from_file(cls, file: IO[bytes], filename: str | None = None, content_type: str | None = None) -> Upload:
        """Reads an open binary file (its ``name``, when it has one, names it)."""
        raw_name = getattr(file, "name", None)
        name = filename if filename is not None else (os.path.basename(raw_name) if isinstance(raw_name, str) else "")
        guessed = mimetypes.guess_type(name)[0] if name else None
        return cls(file.read(), name, content_type or guessed or OCTET_STREAM)

    def to_json(self) -> dict[str, JsonValue]:
        """The envelope form ``{"filename", "content_type", "base64"}``."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "base64": base64.b64encode(self.data).decode("ascii"),
        }


UploadInput = Union[Upload, bytes, bytearray, "os.PathLike[str]", IO[bytes]]
"""What an upload argument accepts: an :class:`Upload`, bytes (no name,
``application/octet-stream``), a path (``pathlib.Path``; read when the call
is made) or an open binary file."""


def to_upload(value: object) -> Upload:
    """An :class:`Upload` from any :data:`UploadInput`."""
    if isinstance(value, Upload):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Upload(bytes(value))
    if isinstance(value, os.PathLike):
        return Upload.from_path(cast("os.PathLike[str]", value))
    read = getattr(value, "read", None)
    if callable(read):
        return Upload.from_file(cast("IO[bytes]", value))
    raise TypeError(f"cannot upload a {type(value).__name__}: pass bytes, a path, a binary file or an Upload")


def as_upload(value: object, path: str) -> Upload:
    """Decodes the envelope form of an upload."""
    obj = as_object(value, path)
    encoded = field(obj, "base64", path, as_str)
    try:
        data = base64.b64decode(encoded, validate=True)
    except ValueError as e:
        raise MizanError(BAD_RESPONSE, f"{path}.base64: not base64: {e}") from e
    return Upload(
        data,
        optional_field(obj, "filename", path, as_str) or "",
        optional_field(obj, "content_type", path, as_str) or OCTET_STREAM,
    )


def files_dict(pairs: Sequence[tuple[str, object, bool]]) -> dict[str, Upload]:
    """The upload arguments from ``(wire name, value, omit when None)`` triples."""
    return {name: to_upload(value) for name, value, omit in pairs if not (omit and value is None)}


def to_json(value: object) -> JsonValue:
    """Plain JSON for a generated value: dataclasses through their
    ``to_json``, lists, dicts, uploads nested in them in their envelope form
    ``{"filename", "content_type", "base64"}``, and scalars as they are."""
    method = getattr(value, "to_json", None)
    if isinstance(value, Upload):
        return cast(JsonValue, value.to_json())
    if dataclasses.is_dataclass(value) and callable(method):
        return cast(JsonValue, method())
    if isinstance(value, (bytes, bytearray, memoryview, os.PathLike)) or callable(getattr(value, "read", None)):
        return cast(JsonValue, to_upload(value).to_json())
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


# ---------------------------------------------------------------------------
# Params as the protocol compares them (SPEC §6 `S(v)`)
# ---------------------------------------------------------------------------


def _js_number(f: float) -> str:
    """A float as JavaScript's ``String(x)`` prints it."""
    if math.isnan(f) or math.isinf(f):
        raise ValueError("NaN and infinities are not JSON")
    if f == 0:
        return "0"
    sign, digits_t, exp = Decimal(repr(f)).normalize().as_tuple()
    digits = "".join(map(str, digits_t))
    k = len(digits)
    n = k + cast(int, exp)  # value = 0.digits * 10**n
    out: str
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        out = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return ("-" if sign else "") + out


def stringify(value: JsonValue) -> str:
    """``S(v)``: strings as-is, numbers as JavaScript prints them, booleans
    ``true``/``false``, null ``null``, arrays and objects as canonical JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number(value)
    return canonical_json(value)


def canonical_json(value: JsonValue) -> str:
    """Keys sorted, no whitespace, non-ASCII raw, numbers as JavaScript prints them."""
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(v) for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return stringify(value)


def encode_uri_component(s: str) -> str:
    """Percent-encoding exactly like JavaScript's ``encodeURIComponent``."""
    return quote(s, safe="-_.!~*'()")


def query_string(params: Mapping[str, JsonValue]) -> str:
    """``k=v&...`` with keys sorted, values ``S(v)``; null values left out."""
    return "&".join(
        f"{encode_uri_component(k)}={encode_uri_component(stringify(params[k]))}"
        for k in sorted(params)
        if params[k] is not None
    )


# ---------------------------------------------------------------------------
# Wire shapes
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Invalidation:
    """One ``invalidate`` entry: a context, optionally scoped by params
    (``None`` means every instance)."""

    context: str
    function: str | None = None
    params: dict[str, JsonValue] | None = None


@dataclasses.dataclass(frozen=True)
class Merge:
    """One ``merge`` entry: ``value`` spliced into member ``slot``."""

    context: str
    slot: str
    value: JsonValue
    params: dict[str, JsonValue] | None = None


@dataclasses.dataclass(frozen=True)
class CallResponse:
    """A successful call, untyped: the result and what it invalidates or merges."""

    result: JsonValue
    invalidate: list[Invalidation]
    merge: list[Merge]


def _params(value: object, path: str) -> dict[str, JsonValue] | None:
    return None if value is None else cast("dict[str, JsonValue]", dict(as_object(value, path)))


def decode_call_response(value: object) -> CallResponse:
    """Reads ``{"result", "invalidate", "merge"?}``."""
    obj = as_object(value, "$")
    if "result" not in obj:
        raise MizanError(BAD_RESPONSE, "call response has no `result`")
    invalidate: list[Invalidation] = []
    for i, entry in enumerate(list_of(as_json)(obj.get("invalidate", []), "$.invalidate")):
        path = f"$.invalidate[{i}]"
        if isinstance(entry, str):
            invalidate.append(Invalidation(entry))
        else:
            e = as_object(entry, path)
            invalidate.append(
                Invalidation(
                    field(e, "context", path, as_str),
                    optional_field(e, "function", path, as_str),
                    _params(e.get("params"), f"{path}.params"),
                )
            )
    merge: list[Merge] = []
    for i, m in enumerate(list_of(as_object)(obj.get("merge", []), "$.merge")):
        path = f"$.merge[{i}]"
        merge.append(
            Merge(
                field(m, "context", path, as_str),
                field(m, "slot", path, as_str),
                as_json(m.get("value"), path),
                _params(m.get("params"), f"{path}.params"),
            )
        )
    return CallResponse(as_json(obj["result"], "$.result"), invalidate, merge)


# ---------------------------------------------------------------------------
# Transports
# ---------------------------------------------------------------------------


def _body(response: httpx.Response) -> object:
    if not response.is_success:
        raise error_from_response(response.status_code, response.content)
    try:
        return cast(object, json.loads(response.content))
    except ValueError as e:
        raise MizanError(BAD_RESPONSE, f"expected JSON from the server: {e}", None, response.status_code) from e


def _multipart(fn: str, args: Mapping[str, JsonValue], files: Mapping[str, Upload]) -> dict[str, tuple[str | None, bytes, str]]:
    """The multipart parts of a call with files: ``envelope`` (the JSON
    call without the files) and one part per file, named after its argument."""
    envelope = json.dumps({"fn": fn, "args": dict(args)}, ensure_ascii=False).encode()
    parts: dict[str, tuple[str | None, bytes, str]] = {"envelope": (None, envelope, "application/json")}
    for name, upload in files.items():
        parts[name] = (upload.filename, upload.data, upload.content_type)
    return parts


def new_client_id() -> str:
    """A fresh client id for ``X-Mizan-Client``."""
    return "py" + secrets.token_hex(16)


def _backoff(attempt: int, backoff: float) -> float:
    return float(backoff * (2**attempt))


def _csrf(value: object) -> str | None:
    token = as_object(value, "$").get("csrfToken")
    return token if isinstance(token, str) else None


class SyncKernel:
    """Blocking transport over an :class:`httpx.Client` (which keeps cookies)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        retries: int = 2,
        backoff: float = 0.3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http_client if http_client is not None else httpx.Client()
        self.headers: dict[str, str] = dict(headers or {})
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._session_ready = False
        self._csrf_token: str | None = None
        self.client_id = new_client_id()
        """Sent as ``X-Mizan-Client`` on calls."""

    def _send(
        self,
        method: Literal["GET", "POST"],
        path: str,
        body: bytes | None = None,
        files: dict[str, tuple[str | None, bytes, str]] | None = None,
    ) -> object:
        headers = {"Accept": "application/json", **self.headers}
        if body is not None or files is not None:
            if body is not None:
                headers["Content-Type"] = "application/json"
            headers["X-Mizan-Client"] = self.client_id
            if self._csrf_token is not None:
                headers["X-CSRFToken"] = self._csrf_token
        try:
            response = self.http.request(method, self.base_url + path, headers=headers, content=body, files=files)
        except httpx.HTTPError as e:
            raise MizanError(NETWORK_ERROR, f"request failed: {e}") from e
        return _body(response)

    def init_session(self) -> str | None:
        """``GET {base}/session/``: remembers and returns the CSRF token."""
        self._csrf_token = _csrf(self._send("GET", "/session/"))
        self._session_ready = True
        return self._csrf_token

    def call(self, fn: str, args: Mapping[str, JsonValue], files: Mapping[str, Upload] | None = None) -> CallResponse:
        """``POST {base}/call/`` (multipart when there are ``files``); never retried."""
        if not self._session_ready:
            try:
                self.init_session()
            except MizanError:
                pass  # the call itself reports what is wrong; the next call tries again
        if files:
            return decode_call_response(self._send("POST", "/call/", files=_multipart(fn, args, files)))
        body = json.dumps({"fn": fn, "args": dict(args)}, ensure_ascii=False).encode()
        return decode_call_response(self._send("POST", "/call/", body))

    def fetch(self, context: str, params: Mapping[str, JsonValue]) -> Mapping[str, object]:
        """``GET {base}/ctx/<context>/?k=v``, retried on network errors and 5xx."""
        query = query_string(params)
        path = f"/ctx/{encode_uri_component(context)}/" + (f"?{query}" if query else "")
        attempt = 0
        while True:
            try:
                return as_object(self._send("GET", path), "$")
            except MizanError as e:
                if not e.retryable or attempt >= self.retries:
                    raise
                self._sleep(_backoff(attempt, self.backoff))
                attempt += 1

    def close(self) -> None:
        """Closes the HTTP client."""
        self.http.close()


class AsyncKernel:
    """Asynchronous transport over an :class:`httpx.AsyncClient`."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        retries: int = 2,
        backoff: float = 0.3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http_client if http_client is not None else httpx.AsyncClient()
        self.headers: dict[str, str] = dict(headers or {})
        self.retries = retries
        self.backoff = backoff
        self._session_ready = False
        self._csrf_token: str | None = None
        self.client_id = new_client_id()
        """Sent as ``X-Mizan-Client`` on calls."""

    async def _send(
        self,
        method: Literal["GET", "POST"],
        path: str,
        body: bytes | None = None,
        files: dict[str, tuple[str | None, bytes, str]] | None = None,
    ) -> object:
        headers = {"Accept": "application/json", **self.headers}
        if body is not None or files is not None:
            if body is not None:
                headers["Content-Type"] = "application/json"
            headers["X-Mizan-Client"] = self.client_id
            if self._csrf_token is not None:
                headers["X-CSRFToken"] = self._csrf_token
        try:
            response = await self.http.request(method, self.base_url + path, headers=headers, content=body, files=files)
        except httpx.HTTPError as e:
            raise MizanError(NETWORK_ERROR, f"request failed: {e}") from e
        return _body(response)

    async def init_session(self) -> str | None:
        """``GET {base}/session/``: remembers and returns the CSRF token."""
        self._csrf_token = _csrf(await self._send("GET", "/session/"))
        self._session_ready = True
        return self._csrf_token

    async def call(self, fn: str, args: Mapping[str, JsonValue], files: Mapping[str, Upload] | None = None) -> CallResponse:
        """``POST {base}/call/`` (multipart when there are ``files``); never retried."""
        if not self._session_ready:
            try:
                await self.init_session()
            except MizanError:
                pass  # the call itself reports what is wrong; the next call tries again
        if files:
            return decode_call_response(await self._send("POST", "/call/", files=_multipart(fn, args, files)))
        body = json.dumps({"fn": fn, "args": dict(args)}, ensure_ascii=False).encode()
        return decode_call_response(await self._send("POST", "/call/", body))

    async def fetch(self, context: str, params: Mapping[str, JsonValue]) -> Mapping[str, object]:
        """``GET {base}/ctx/<context>/?k=v``, retried on network errors and 5xx."""
        query = query_string(params)
        path = f"/ctx/{encode_uri_component(context)}/" + (f"?{query}" if query else "")
        attempt = 0
        while True:
            try:
                return as_object(await self._send("GET", path), "$")
            except MizanError as e:
                if not e.retryable or attempt >= self.retries:
                    raise
                await asyncio.sleep(_backoff(attempt, self.backoff))
                attempt += 1

    async def aclose(self) -> None:
        """Closes the HTTP client."""
        await self.http.aclose()


def args_dict(pairs: Sequence[tuple[str, object, bool]]) -> dict[str, JsonValue]:
    """The wire arguments from ``(wire name, value, omit when None)`` triples."""
    return {name: to_json(value) for name, value, omit in pairs if not (omit and value is None)}
{% endraw %}
