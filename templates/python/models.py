{{ header }}"""The named types of the API: frozen dataclasses carrying the wire names,
with validating ``from_json`` and ``to_json``; enums are ``Literal`` aliases."""

from __future__ import annotations

import dataclasses
from typing import Literal, TypeAlias, cast

from . import _kernel as _k

__all__ = [
{%- for n in m.model_names %}
    {{ n.lit }},
{%- endfor %}
]
{%- for t in m.types %}
{%- if t.kind == "struct" %}


@dataclasses.dataclass(frozen=True, kw_only=True)
class {{ t.name }}:
{{ t.doc }}
{%- if !t.fields.is_empty() %}
{% endif %}
{%- for f in t.fields %}
{{ f.comment }}    {{ f.ident }}: {{ f.ty }}{{ f.default }}
{%- endfor %}

    @classmethod
    def from_json(cls, value: object, path: str = "$") -> {{ t.name }}:
        """Decodes and validates a JSON value (``BAD_RESPONSE`` when it does not fit)."""
{%- if t.fields.is_empty() %}
        _k.as_object(value, path)
        return cls()
{%- else %}
        obj = _k.as_object(value, path)
        return cls(
{%- for f in t.fields %}
            {{ f.ident }}={{ f.decode }},
{%- endfor %}
        )
{%- endif %}

    def to_json(self) -> dict[str, _k.JsonValue]:
        """The wire form."""
        out: dict[str, _k.JsonValue] = {
{%- for f in t.fields %}{% if !f.optional %}
            {{ f.wire }}: _k.to_json(self.{{ f.ident }}),
{%- endif %}{% endfor %}
        }
{%- for f in t.fields %}{% if f.optional %}
        if self.{{ f.ident }} is not None:
            out[{{ f.wire }}] = _k.to_json(self.{{ f.ident }})
{%- endif %}{% endfor %}
        return out
{%- else %}


{{ t.comment }}{{ t.name }}: TypeAlias = {{ t.alias }}


def decode_{{ t.name }}(value: object, path: str = "$") -> {{ t.name }}:
    """Decodes and validates a JSON value as ``{{ t.name }}``."""
{%- if t.needs_cast %}
    return cast({{ t.name }}, {{ t.decoder }}(value, path))
{%- else %}
    return {{ t.decoder }}(value, path)
{%- endif %}
{%- endif %}
{%- endfor %}
