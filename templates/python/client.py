{{ header }}"""The typed clients: :class:`MizanClient` (blocking) and
:class:`AsyncMizanClient` (asyncio), one method per function and one
``fetch_<context>_context`` per context, each returning typed results and
raising :class:`MizanError` on failure."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Literal, cast

import httpx

from . import _kernel as _k
from . import models
from ._kernel import MizanError

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncMizanClient",
    "MizanClient",
    "MizanError",
{%- for c in m.contexts %}
    {{ c.data_class_lit }},
{%- endfor %}
]

DEFAULT_BASE_URL = {{ m.base_url }}
"""Where the backend is mounted unless the client is told otherwise."""
{%- for c in m.contexts %}


@dataclasses.dataclass(frozen=True, kw_only=True)
class {{ c.data_class }}:
    """Data of context ``{{ c.name }}``: one field per member."""
{% for f in c.members %}
{{ f.comment }}    {{ f.ident }}: {{ f.ty }}
{%- endfor %}

    @classmethod
    def from_json(cls, value: object, path: str = "$") -> {{ c.data_class }}:
        """Decodes and validates the context's JSON."""
        obj = _k.as_object(value, path)
        return cls(
{%- for f in c.members %}
            {{ f.ident }}={{ f.decode }},
{%- endfor %}
        )
{%- endfor %}
{%- for v in m.flavors %}
{%- let aw = v.aw %}
{%- let de = v.de %}


class {{ v.name }}:
{%- if aw.is_empty() %}
    """A typed, blocking client of this API (``with MizanClient(url) as c: ...``)."""
{%- else %}
    """A typed asyncio client of this API (``async with AsyncMizanClient(url) as c: ...``)."""
{%- endif %}

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        headers: Mapping[str, str] | None = None,
        http_client: {% if aw.is_empty() %}httpx.Client{% else %}httpx.AsyncClient{% endif %} | None = None,
        retries: int = 2,
        backoff: float = 0.3,
        on_response: Callable[[_k.CallResponse], None] | None = None,
    ) -> None:
        """``base_url`` is the backend's mount point (an absolute URL);
        ``headers`` are sent with every request (e.g. ``X-Mizan-Token``);
        ``on_response`` sees every successful call's ``invalidate`` and
        ``merge`` entries."""
        self.kernel = _k.{{ v.kernel }}(
            base_url, headers=headers, http_client=http_client, retries=retries, backoff=backoff
        )
        self.on_response = on_response
{%- if aw.is_empty() %}

    def __enter__(self) -> MizanClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the underlying HTTP client."""
        self.kernel.close()
{%- else %}

    async def __aenter__(self) -> AsyncMizanClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the underlying HTTP client."""
        await self.kernel.aclose()
{%- endif %}

    {{ de }} init_session(self) -> str | None:
        """Initialises the session now (calls do it themselves before the first call)."""
        return {{ aw }}self.kernel.init_session()

    {{ de }} call(
        self, fn: str, args: Mapping[str, _k.JsonValue], *, files: Mapping[str, _k.Upload] | None = None
    ) -> _k.CallResponse:
        """Calls a function by name, untyped; ``files`` are its upload
        arguments (sent as multipart parts)."""
        response = {{ aw }}self.kernel.call(fn, args, files=files)
        if self.on_response is not None:
            self.on_response(response)
        return response
{%- for f in m.functions %}

    {{ de }} {{ f.method }}(self{% if !f.params.is_empty() %}, *{% for p in f.params %}, {{ p.ident }}: {{ p.ty }}{{ p.default }}{% endfor %}{% endif %}) -> {{ f.result_ty }}:
{{ f.doc }}
{%- if f.file_params.is_empty() %}
        response = {{ aw }}self.call({{ f.wire }}, _k.args_dict([{% for p in f.json_params %}({{ p.wire }}, {{ p.ident }}, {{ p.omit }}){% if !loop.last %}, {% endif %}{% endfor %}]))
{%- else %}
        response = {{ aw }}self.call(
            {{ f.wire }},
            _k.args_dict([{% for p in f.json_params %}({{ p.wire }}, {{ p.ident }}, {{ p.omit }}){% if !loop.last %}, {% endif %}{% endfor %}]),
            files=_k.files_dict([{% for p in f.file_params %}({{ p.wire }}, {{ p.ident }}, {{ p.omit }}){% if !loop.last %}, {% endif %}{% endfor %}]),
        )
{%- endif %}
{%- if f.returns_none %}
        _k.as_none(response.result, "$.result")
{%- else %}
        return {{ f.decode }}
{%- endif %}
{%- endfor %}
{%- for c in m.contexts %}

    {{ de }} {{ c.fetch }}(self{% if !c.params.is_empty() %}, *{% for p in c.params %}, {{ p.ident }}: {{ p.ty }}{{ p.default }}{% endfor %}{% endif %}) -> {{ c.data_class }}:
        """Fetches context ``{{ c.name }}`` (retried on network errors and 5xx)."""
        data = {{ aw }}self.kernel.fetch({{ c.wire }}, _k.args_dict([{% for p in c.params %}({{ p.wire }}, {{ p.ident }}, {{ p.omit }}){% if !loop.last %}, {% endif %}{% endfor %}]))
        return {{ c.data_class }}.from_json(data)
{%- endfor %}
{%- endfor %}
