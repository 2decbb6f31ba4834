{{ header }}"""A typed client of this Mizan API (httpx; blocking and asyncio).

>>> from api import MizanClient
>>> with MizanClient("http://127.0.0.1:8000/api/mizan") as client:
...     client.add(a=1, b=2)  # doctest: +SKIP
"""

from ._kernel import CallResponse, Invalidation, JsonValue, Merge, MizanError, Upload, UploadInput
from .client import (
    DEFAULT_BASE_URL,
    AsyncMizanClient,
    MizanClient,
{%- for c in m.contexts %}
    {{ c.data_class }},
{%- endfor %}
)
from .models import (
{%- for n in m.model_names %}
    {{ n.name }},
{%- endfor %}
)

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncMizanClient",
    "CallResponse",
    "Invalidation",
    "JsonValue",
    "Merge",
    "MizanClient",
    "MizanError",
    "Upload",
    "UploadInput",
{%- for c in m.contexts %}
    {{ c.data_class_lit }},
{%- endfor %}
{%- for n in m.model_names %}
    {{ n.lit }},
{%- endfor %}
]
