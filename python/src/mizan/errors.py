"""The wire error of SPEC §3 (`{"error": {"code", "message", "details"?}}`)
and the definition error raised at import time by `@client` misuse."""

from __future__ import annotations

import secrets
from typing import Any, Final

#: HTTP status of every error code (SPEC §3).
STATUS: Final[dict[str, int]] = {
    "NOT_FOUND": 404,
    "BAD_REQUEST": 400,
    "VALIDATION_ERROR": 422,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_IMPLEMENTED": 501,
    "INTERNAL_ERROR": 500,
}

#: What clients see of an internal error (the detail is logged).
INTERNAL_MESSAGE: Final = "internal error"


class MizanError(Exception):
    """An error a server function (or the dispatcher) answers with.

    Raise it from a handler to answer with that code; anything else a
    handler raises becomes an ``INTERNAL_ERROR`` that leaks nothing.
    """

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None, *, status: int | None = None):
        if code not in STATUS:
            raise ValueError(f"unknown Mizan error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.status = status if status is not None else STATUS[code]

    @classmethod
    def validation(cls, fields: dict[str, list[str]]) -> MizanError:
        """A ``VALIDATION_ERROR`` with per-field messages."""
        return cls("VALIDATION_ERROR", "invalid arguments", {"fields": fields})

    @classmethod
    def not_found(cls, message: str) -> MizanError:
        return cls("NOT_FOUND", message)

    @classmethod
    def bad_request(cls, message: str, *, status: int = 400) -> MizanError:
        return cls("BAD_REQUEST", message, status=status)

    @classmethod
    def unauthorized(cls, message: str = "authentication required") -> MizanError:
        return cls("UNAUTHORIZED", message)

    @classmethod
    def forbidden(cls, message: str) -> MizanError:
        return cls("FORBIDDEN", message)

    @classmethod
    def internal(cls) -> MizanError:
        """A sealed ``INTERNAL_ERROR``: the generic message and a fresh
        ``details.request_id`` (16 hex digits) the detail is logged under."""
        return cls("INTERNAL_ERROR", INTERNAL_MESSAGE, {"request_id": secrets.token_hex(8)})

    def envelope(self) -> dict[str, Any]:
        """The SPEC's error envelope."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class DefinitionError(TypeError):
    """Misuse of ``@client`` / ``Context`` / a type, raised at import time;
    the message names the function and its ``file:line``."""
