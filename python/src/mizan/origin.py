"""SPEC §3.3 for the Python adapters: a ``POST /call/`` or ``/ws/`` upgrade
whose ``Origin`` is present and neither the request's own (host and port
of ``Host``) nor listed is refused with 403 before identity, body or
upgrade; so is ``Origin: null``, a malformed origin, and ``Sec-Fetch-Site:
cross-site`` without a listed origin. The same rule, and the same
messages, as ``mizan-axum``'s ``origin.rs``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .errors import MizanError

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_HOST = re.compile(r"^[A-Za-z0-9._-]+$")
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}

Origin = tuple[str, str, int | None]


def _authority(text: str) -> tuple[str, int | None] | None:
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, after = text[: end + 1], text[end + 1 :]
        inside = host[1:-1]
        if not inside or not all(c in "0123456789abcdefABCDEF:." for c in inside):
            return None
        if after and not after.startswith(":"):
            return None
        port_text = after[1:] if after else None
    else:
        host, sep, port_part = text.partition(":")
        if not host or not _HOST.match(host):
            return None
        port_text = port_part if sep else None
    port = None
    if port_text is not None:
        if not (1 <= len(port_text) <= 5 and port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
            return None
        port = int(port_text)
    return host.lower(), port


def parse_origin(text: str) -> Origin | None:
    """``scheme://host[:port]`` (default ports filled in), else ``None``."""
    scheme, sep, authority = text.partition("://")
    if not sep or not _SCHEME.match(scheme):
        return None
    parsed = _authority(authority)
    if parsed is None:
        return None
    scheme = scheme.lower()
    host, port = parsed
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def _shown(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}" + ("" if port is None or port == _DEFAULT_PORTS.get(scheme) else f":{port}")


class OriginPolicy:
    """The allowed origins of one application."""

    def __init__(self, allowed: Sequence[str] = ()):
        self.allowed: list[Origin] = []
        for text in allowed:
            parsed = None if text.strip() == "null" else parse_origin(text.strip())
            if parsed is None:
                raise ValueError(
                    f"allowed_origins: {text!r} is not an exact origin; write scheme://host[:port] "
                    "(no path, no trailing slash, no wildcard, never `null`)"
                )
            self.allowed.append(parsed)

    def check(self, origins: Iterable[str], headers: Mapping[str, str]) -> None:
        """Raises a ``FORBIDDEN`` :class:`MizanError` when refused.
        ``origins`` are every ``Origin`` header value of the request."""
        cross_site = headers.get("sec-fetch-site", "").lower() == "cross-site"
        values = list(origins)
        if not values:
            if cross_site:
                raise _refuse("`Sec-Fetch-Site: cross-site` without an allowed `Origin`")
            return
        if len(values) > 1:
            raise _refuse("the request has more than one `Origin` header")
        text = values[0]
        if text == "null":
            raise _refuse(
                "`Origin: null` (a sandboxed frame, a local file, a cross-site redirect) is never allowed"
            )
        origin = parse_origin(text)
        if origin is None:
            raise _refuse(f"`Origin: {text[:200]!r}` is not a valid origin (scheme://host[:port])")
        if origin in self.allowed:
            return
        own = _authority(headers.get("host", ""))
        if own is None:
            raise _refuse(
                f"origin `{_shown(origin)}` is not allowed, and the request has no `Host` (or an invalid one) to compare it with"
            )
        host, port = own
        is_own = origin[0] in ("http", "https") and origin[1] == host and origin[2] == (
            port if port is not None else _DEFAULT_PORTS.get(origin[0])
        )
        if is_own and not cross_site:
            return
        if is_own:
            raise _refuse(
                f"the browser reports `Sec-Fetch-Site: cross-site` (another scheme?) and origin `{_shown(origin)}` is not one of the allowed origins"
            )
        shown_host = host + (f":{port}" if port is not None else "")
        raise _refuse(
            f"origin `{_shown(origin)}` is neither this server's own (`{shown_host}`) nor one of its allowed origins"
        )


def _refuse(reason: str) -> MizanError:
    return MizanError.forbidden(f"cross-origin request refused: {reason}")
