"""The authoring surface (SPEC §1–2 for Python): ``@client(...)``,
``Context`` and the :class:`Registry` they fill.

Everything is checked at registration, i.e. at import time: a misuse raises
:class:`~mizan.errors.DefinitionError` naming the function and its
``file:line``; a second function with a name already taken is an error,
never a silent override. :meth:`Registry.ir_text` hands a description of
the registry to the Rust core, whose emitter writes the canonical IR.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

import pydantic

from . import _core
from .errors import DefinitionError
from .shapes import ShapeBuilder, Upload, json_default

F = TypeVar("F", bound=Callable[..., Any])

#: An auth predicate: called with the request before the body runs.
Predicate = Callable[["Request"], bool | Awaitable[bool]]


class Context:
    """A named read group. Subclass with a name; the docstring is its doc::

        class UserCtx(Context, name="user"):
            "A user's public data."
    """

    name: typing.ClassVar[str] = ""

    def __init_subclass__(cls, *, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not name:
            raise DefinitionError(f"context class {cls.__qualname__} ({_where(cls)}) needs a name: class X(Context, name=...)")
        cls.name = name


class Request:
    """What a server function may ask about the call: the principal, where
    it came from, the application's state and the framework's request."""

    __slots__ = ("principal", "origin", "state", "client", "raw")

    def __init__(self, principal: Principal | None, origin: str, state: dict[str, Any], client: str | None = None, raw: Any = None):
        self.principal = principal
        self.origin = origin
        self.state = state
        self.client = client
        self.raw = raw

    def require_principal(self) -> Principal:
        from .errors import MizanError

        if self.principal is None:
            raise MizanError.unauthorized()
        return self.principal


@dataclasses.dataclass(frozen=True)
class Principal:
    """An authenticated caller (SPEC §7 claims)."""

    id: str
    staff: bool = False
    superuser: bool = False
    perms: tuple[str, ...] = ()

    @property
    def pkey(self) -> str:
        """The permission key (the core's SHA-256 of the permission state)."""
        return _core.permission_key(list(self.perms), self.staff, self.superuser)


AffectsItem = type[Context] | str | Callable[..., Any]


@dataclasses.dataclass
class Function:
    """One registered server function."""

    name: str
    handler: Callable[..., Any]
    location: str
    is_async: bool
    wants_request: str | None
    params: list[tuple[str, str, Any, bool]]  # wire name, shape, default, required
    upload_params: list[str]
    output_shape: str
    context: str | None
    auth: str | None
    predicate: Predicate | None
    private: bool
    websocket: bool
    rev: int
    cache: int | bool | None
    route: str | None
    methods: list[str]
    affects: list[AffectsItem]
    merge: list[AffectsItem]
    doc: str | None
    #: Validates the JSON arguments (strict JSON mode, unknown ones refused).
    args_model: type[pydantic.BaseModel]
    #: Serializes the result to JSON.
    result_adapter: pydantic.TypeAdapter[Any]
    #: Python parameter names by wire name.
    py_names: dict[str, str]

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "location": self.location, "output": self.output_shape}
        if self.doc:
            out["doc"] = self.doc
        if self.context:
            out["context"] = self.context
        if self.websocket:
            out["websocket"] = True
        if self.auth == "predicate" and self.predicate is not None:
            out["auth"] = {"predicate": _predicate_name(self.predicate)}
        elif self.auth:
            out["auth"] = self.auth
        if self.private:
            out["private"] = True
        if self.route:
            out["route"] = self.route
        if self.methods:
            out["methods"] = self.methods
        if self.rev:
            out["rev"] = self.rev
        if self.cache is not None:
            out["cache"] = self.cache
        params = []
        for name, shape, default, required in self.params:
            p: dict[str, Any] = {"name": name, "shape": shape, "required": required}
            if not required and json_default(default) is not None:
                p["default"] = json_default(default)
            params.append(p)
        out["params"] = params
        out["affects"] = [_target(t, self) for t in self.affects]
        out["merge"] = [_context_name(t, self, "merge") for t in self.merge]
        return out


def _predicate_name(predicate: Callable[..., Any]) -> str:
    return getattr(predicate, "__name__", type(predicate).__name__)


def _target(item: AffectsItem, f: Function) -> dict[str, str]:
    if isinstance(item, type) and issubclass(item, Context):
        return {"context": item.name}
    if isinstance(item, str):
        return {"context": item}
    name = getattr(item, "__mizan_name__", None)
    if isinstance(name, str):
        return {"function": name}
    raise DefinitionError(
        f"`{f.name}` ({f.location}): affects {item!r} is not a Context, a context name or a @client function"
    )


def _context_name(item: AffectsItem, f: Function, what: str) -> str:
    if isinstance(item, type) and issubclass(item, Context):
        return item.name
    if isinstance(item, str):
        return item
    raise DefinitionError(f"`{f.name}` ({f.location}): {what} {item!r} is not a Context or a context name")


def _where(obj: Any) -> str:
    try:
        file = inspect.getsourcefile(obj) or "?"
        _, line = inspect.getsourcelines(obj)
    except (OSError, TypeError):
        return getattr(obj, "__module__", "?")
    return f"{file}:{line}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


_AUTH_LEVELS = {True: "required", "required": "required", "staff": "staff", "superuser": "superuser"}


class Registry:
    """The functions and contexts of one application (the dispatch table)."""

    def __init__(self) -> None:
        self.functions: dict[str, Function] = {}
        self.contexts: dict[str, tuple[str | None, str]] = {}
        #: The named types each function reaches (by function name).
        self._types_of: dict[str, dict[str, dict[str, Any]]] = {}
        self._ir_text: str | None = None

    # -- registration -------------------------------------------------------

    @overload
    def client(self, fn: F, /) -> F: ...

    @overload
    def client(
        self,
        fn: None = None,
        /,
        *,
        name: str | None = ...,
        context: type[Context] | str | None = ...,
        affects: AffectsItem | Sequence[AffectsItem] | None = ...,
        merge: type[Context] | str | Sequence[type[Context] | str] | None = ...,
        auth: bool | str | Predicate | None = ...,
        private: bool = ...,
        websocket: bool = ...,
        rev: int = ...,
        cache: int | bool | None = ...,
        route: str | None = ...,
        methods: Sequence[str] | None = ...,
    ) -> Callable[[F], F]: ...

    def client(
        self,
        fn: F | None = None,
        /,
        *,
        name: str | None = None,
        context: type[Context] | str | None = None,
        affects: AffectsItem | Sequence[AffectsItem] | None = None,
        merge: type[Context] | str | Sequence[type[Context] | str] | None = None,
        auth: bool | str | Predicate | None = None,
        private: bool = False,
        websocket: bool = False,
        rev: int = 0,
        cache: int | bool | None = None,
        route: str | None = None,
        methods: Sequence[str] | None = None,
    ) -> F | Callable[[F], F]:
        """Registers a server function (see the module docs)."""

        def register(f: F) -> F:
            self._register(
                f,
                name=name,
                context=context,
                affects=affects,
                merge=merge,
                auth=auth,
                private=private,
                websocket=websocket,
                rev=rev,
                cache=cache,
                route=route,
                methods=methods,
            )
            return f

        if fn is not None:
            return register(fn)
        return register

    def context(self, ctx: type[Context]) -> type[Context]:
        """Declares a context (so its docstring reaches the IR)."""
        self._add_context(ctx.name, inspect.cleandoc(ctx.__doc__) if ctx.__doc__ else None, _where(ctx))
        return ctx

    def _add_context(self, name: str, doc: str | None, where: str) -> None:
        known = self.contexts.get(name)
        if known is not None and known[1] != where:
            raise DefinitionError(f"duplicate context `{name}`: defined at {known[1]} and again at {where}")
        if known is None or doc:
            self.contexts[name] = (doc, where)
        self._ir_text = None

    def _register(self, f: Callable[..., Any], **options: Any) -> None:
        fn_name = options["name"] or f.__name__
        where = _where(f)
        label = f"`{fn_name}` ({where})"

        def fail(message: str) -> typing.NoReturn:
            raise DefinitionError(f"{label}: {message}")

        if fn_name in self.functions:
            fail(f"a function named `{fn_name}` is already registered at {self.functions[fn_name].location}")
        if not callable(f):
            fail("@client decorates functions")
        try:
            hints = typing.get_type_hints(f, include_extras=True)
        except Exception as e:  # NameError of a forward reference, mostly
            fail(f"cannot resolve its type hints: {e}")
        signature = inspect.signature(f)
        builder = ShapeBuilder()
        params: list[tuple[str, str, Any, bool]] = []
        uploads: list[str] = []
        wants_request: str | None = None
        fields: dict[str, Any] = {}
        py_names: dict[str, str] = {}
        for i, (pname, p) in enumerate(signature.parameters.items()):
            hint = hints.get(pname, p.annotation)
            if hint is Request:
                if i != 0:
                    fail("the Request parameter must come first")
                wants_request = pname
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                fail(f"*args / **kwargs (`{pname}`) cannot be described to clients")
            if hint is inspect.Parameter.empty:
                fail(f"parameter `{pname}` needs a type hint")
            shape = builder.shape(hint, f"{label}, parameter `{pname}`")
            required = p.default is inspect.Parameter.empty
            default = None if required else p.default
            params.append((pname, shape, default, required))
            py_names[pname] = pname
            if shape == "upload" or shape == "optional<upload>":
                uploads.append(pname)
                continue
            fields[pname] = (hint, ... if required else default)
        if "return" not in hints:
            fail("needs a return type hint (its IR output shape)")
        output = builder.shape(hints["return"], f"{label}, return type")
        # Context, auth and the rest of the options.
        ctx = options["context"]
        if isinstance(ctx, type) and issubclass(ctx, Context):
            self._add_context(ctx.name, inspect.cleandoc(ctx.__doc__) if ctx.__doc__ else None, _where(ctx))
            ctx_name: str | None = ctx.name
        elif isinstance(ctx, str) or ctx is None:
            ctx_name = ctx or None
        else:
            fail(f"context must be a Context subclass or a name, not {ctx!r}")
        auth_opt = options["auth"]
        predicate: Predicate | None = None
        if auth_opt is None or auth_opt is False:
            auth_level: str | None = None
        elif isinstance(auth_opt, (bool, str)) and auth_opt in _AUTH_LEVELS:
            auth_level = _AUTH_LEVELS[auth_opt]
        elif callable(auth_opt):
            if not _predicate_name(auth_opt).isidentifier():
                fail("an auth predicate must be a named function (the IR names it), not a lambda")
            auth_level, predicate = "predicate", auth_opt
        else:
            fail(f"auth must be True, 'required', 'staff', 'superuser' or a predicate, not {auth_opt!r}")
        cache = options["cache"]
        if cache is True:
            cache = None
        if not (cache is None or cache is False or (isinstance(cache, int) and cache > 0)):
            fail(f"cache must be a positive number of seconds or False, not {cache!r}")
        rev = options["rev"]
        if not isinstance(rev, int) or isinstance(rev, bool) or rev < 0:
            fail(f"rev must be a non-negative integer, not {rev!r}")
        affects = _as_list(options["affects"])
        merge = _as_list(options["merge"])
        for item in affects + merge:
            if isinstance(item, type) and issubclass(item, Context):
                self._add_context(item.name, inspect.cleandoc(item.__doc__) if item.__doc__ else None, _where(item))
        if ctx_name and (affects or merge):
            fail("a context read cannot also affect or merge (a mutation has no context)")
        if options["private"] and ctx_name:
            fail("a private function cannot be a context member")
        try:
            model = pydantic.create_model(
                f"{fn_name}_args",
                __config__=pydantic.ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True),
                **fields,
            )
            adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(hints["return"])
        except Exception as e:
            fail(f"its types cannot be validated: {e}")
        function = Function(
            name=fn_name,
            handler=f,
            location=where,
            is_async=inspect.iscoroutinefunction(f),
            wants_request=wants_request,
            params=params,
            upload_params=uploads,
            output_shape=output,
            context=ctx_name,
            auth=auth_level,
            predicate=predicate,
            private=bool(options["private"]),
            websocket=bool(options["websocket"]),
            rev=rev,
            cache=cache,
            route=options["route"],
            methods=list(options["methods"] or []),
            affects=affects,
            merge=merge,
            doc=inspect.cleandoc(f.__doc__) if f.__doc__ else None,
            args_model=model,
            result_adapter=adapter,
            py_names=py_names,
        )
        # Resolve targets now, so a bad one fails at import time.
        function.describe()
        self._types_of[fn_name] = builder.types
        self.functions[fn_name] = function
        setattr(f, "__mizan_name__", fn_name)
        self._ir_text = None

    # -- the IR -------------------------------------------------------------

    def description(self) -> dict[str, Any]:
        """What the core builds the IR from (JSON-ready)."""
        types: dict[str, dict[str, Any]] = {}
        for per_fn in self._types_of.values():
            for name, body in per_fn.items():
                types.setdefault(name, body)
        return {
            "functions": [f.describe() for f in self.functions.values()],
            "contexts": [
                {"name": name, "location": where, **({"doc": doc} if doc else {})}
                for name, (doc, where) in self.contexts.items()
            ],
            "types": list(types.values()),
        }

    def ir_text(self) -> str:
        """The canonical IR (KDL), written by the Rust emitter. Raises
        ``mizan._core.RegistryError`` with the core's messages."""
        if self._ir_text is None:
            self._ir_text = _core.build_ir(json.dumps(self.description(), ensure_ascii=False))
        return self._ir_text

    def context_members(self, context: str) -> list[Function]:
        return [f for f in self.functions.values() if f.context == context]

    def __iter__(self) -> Iterator[Function]:
        return iter(self.functions.values())


#: The default registry ``@client`` fills.
default_registry = Registry()


def client(fn: Any = None, /, **options: Any) -> Any:
    """``@client`` / ``@client(...)`` on the default registry."""
    return default_registry.client(fn, **options)


__all__ = ["Context", "Function", "Principal", "Registry", "Request", "Upload", "client", "default_registry"]
