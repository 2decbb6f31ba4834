"""Python type hints → IR shapes (SPEC §8) and the named types they reach.

``int`` integer, ``float`` number, ``str`` string, ``bool`` boolean,
``None`` null, ``Any``/``object`` json, ``datetime`` datetime, ``Upload``
upload, ``list[T]``, ``dict[str, T]`` map, ``Optional[T]``/``T | None``,
other unions, ``Literal["a", ...]``; named types: ``Enum`` (string values),
dataclasses, ``TypedDict`` and Pydantic v2 models (aliases are the wire
names). Only the shape *text* is produced here; the core parses it and
writes the IR.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import inspect
import json
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import pydantic
import typing_extensions
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .errors import DefinitionError


@dataclasses.dataclass(frozen=True)
class Upload:
    """A file argument (SPEC §3.2): a multipart part over HTTP, base64 in
    WebSocket frames."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


NoneType = type(None)


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def _doc_of(tp: type) -> str | None:
    doc = tp.__doc__
    if not doc:
        return None
    # Classes without their own docstring inherit one: ignore those.
    for base in tp.__mro__[1:]:
        if getattr(base, "__doc__", None) == doc:
            return None
    return inspect.cleandoc(doc)


class ShapeBuilder:
    """Collects the named types reached while turning hints into shapes."""

    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}
        self._origins: dict[str, type] = {}

    def shape(self, hint: Any, where: str) -> str:
        """The IR shape text of ``hint``; raises :class:`DefinitionError`."""
        if hint is None or hint is NoneType:
            return "null"
        if hint is Any or hint is object:
            return "json"
        if hint is bool:
            return "boolean"
        if hint is int:
            return "integer"
        if hint is float:
            return "number"
        if hint is str:
            return "string"
        if hint is _dt.datetime:
            return "datetime"
        if hint is Upload:
            return "upload"
        origin = get_origin(hint)
        args = get_args(hint)
        if origin is typing.Annotated:
            return self.shape(args[0], where)
        if origin in (list, typing.List, tuple) or origin is typing.Sequence:  # noqa: UP006
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                raise DefinitionError(f"{where}: tuples are not IR shapes; use list[T]")
            return f"list<{self.shape(args[0] if args else Any, where)}>"
        if origin in (dict, typing.Dict) or origin is typing.Mapping:  # noqa: UP006
            if args and args[0] is not str:
                raise DefinitionError(f"{where}: map keys must be str, not {args[0]!r}")
            return f"map<{self.shape(args[1] if args else Any, where)}>"
        if origin is Union or origin is types.UnionType:
            members = [a for a in args if a is not NoneType]
            inner = self.shape(members[0], where) if len(members) == 1 else (
                "union<" + ",".join(self.shape(m, where) for m in members) + ">"
            )
            return f"optional<{inner}>" if len(members) < len(args) else inner
        if origin is Literal:
            if not all(isinstance(a, str) for a in args):
                raise DefinitionError(f"{where}: Literal values must be strings")
            return "literal<" + ",".join(json.dumps(a, ensure_ascii=False) for a in args) + ">"
        if isinstance(hint, type):
            if issubclass(hint, enum.Enum):
                return self._enum(hint, where)
            if issubclass(hint, pydantic.BaseModel):
                return self._model(hint, where)
            if dataclasses.is_dataclass(hint):
                return self._dataclass(hint, where)
            if _is_typeddict(hint):
                return self._typeddict(hint, where)
        if isinstance(hint, str):
            raise DefinitionError(f"{where}: unresolved forward reference {hint!r}")
        raise DefinitionError(f"{where}: {hint!r} has no IR shape")

    def _register(self, tp: type, body: Callable[[], dict[str, Any]], where: str) -> str:
        name = tp.__name__
        first = self._origins.get(name)
        if first is not None and first is not tp:
            raise DefinitionError(
                f"{where}: two different types are named `{name}` "
                f"({first.__module__}.{first.__qualname__} and {tp.__module__}.{tp.__qualname__}); rename one"
            )
        if first is None:
            self._origins[name] = tp
            self.types[name] = {}
            # Registered before the fields so recursive types terminate.
            full = {"name": name, "doc": _doc_of(tp), "location": _location_of(tp), **body()}
            self.types[name] = full
        return name

    def _enum(self, tp: type[enum.Enum], where: str) -> str:
        def body() -> dict[str, Any]:
            variants = []
            for member in tp:
                if not isinstance(member.value, str):
                    raise DefinitionError(f"{where}: enum `{tp.__name__}` needs string values")
                variants.append({"name": member.value})
            return {"variants": variants}

        return self._register(tp, body, where)

    def _fields(self, tp: type, where: str, fields: list[tuple[str, Any, bool, Any, str | None]]) -> dict[str, Any]:
        out = []
        for wire, hint, has_default, default, doc in fields:
            field: dict[str, Any] = {"name": wire, "shape": self.shape(hint, f"{where}, field `{tp.__name__}.{wire}`")}
            if has_default:
                field["optional"] = True
                if json_default(default) is not None:
                    field["default"] = json_default(default)
            if doc:
                field["doc"] = doc
            out.append(field)
        return {"fields": out}

    def _model(self, tp: type[pydantic.BaseModel], where: str) -> str:
        def body() -> dict[str, Any]:
            hints = typing.get_type_hints(tp, include_extras=True)
            fields = []
            for name, info in tp.model_fields.items():
                fields.append((_wire_name(name, info), hints.get(name, info.annotation), *_default_of(info), info.description))
            return self._fields(tp, where, fields)

        return self._register(tp, body, where)

    def _dataclass(self, tp: type, where: str) -> str:
        def body() -> dict[str, Any]:
            hints = typing.get_type_hints(tp, include_extras=True)
            fields = []
            for f in dataclasses.fields(tp):
                if f.default is not dataclasses.MISSING:
                    has, default = True, f.default
                elif f.default_factory is not dataclasses.MISSING:
                    has, default = True, None
                else:
                    has, default = False, None
                fields.append((f.name, hints[f.name], has, default, f.metadata.get("doc")))
            return self._fields(tp, where, fields)

        return self._register(tp, body, where)

    def _typeddict(self, tp: type, where: str) -> str:
        def body() -> dict[str, Any]:
            hints = typing.get_type_hints(tp, include_extras=True)
            optional: frozenset[str] = getattr(tp, "__optional_keys__", frozenset())
            fields: list[tuple[str, Any, bool, Any, str | None]] = [
                (name, hint, name in optional, None, None) for name, hint in hints.items()
            ]
            return self._fields(tp, where, fields)

        return self._register(tp, body, where)


def _wire_name(name: str, info: FieldInfo) -> str:
    alias = info.serialization_alias or info.alias
    return alias if isinstance(alias, str) else name


def _default_of(info: FieldInfo) -> tuple[bool, Any]:
    if info.default is not PydanticUndefined:
        return True, info.default
    if info.default_factory is not None:
        return True, None
    return False, None


def json_default(value: Any) -> Any:
    """A default as JSON (an enum member as its value), or ``None`` when it
    has no JSON form (then the IR records no default)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    return value if _json_safe(value) else None


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return value is not None


def _location_of(tp: type) -> str:
    try:
        file = inspect.getsourcefile(tp) or "?"
        _, line = inspect.getsourcelines(tp)
    except (OSError, TypeError):
        return tp.__module__
    return f"{file}:{line}"
