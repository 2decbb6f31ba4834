"""Mizan for Python: typed server functions whose clients invalidate
themselves, served by FastAPI (``mizan_fastapi``) or Django
(``mizan_django``) on Mizan's Rust core (``mizan._core``).

```python
from mizan import Context, client

class UserCtx(Context, name="user"):
    pass

@client(context=UserCtx)
async def user_profile(user_id: int) -> Profile: ...

@client(affects=UserCtx)
async def rename(user_id: int, name: str) -> Profile: ...
```
"""

from . import _core
from .errors import DefinitionError, MizanError
from .registry import Context, Function, Principal, Registry, Request, client, default_registry
from .runtime import Mizan, Reply, Settings
from .shapes import Upload

__all__ = [
    "Context",
    "DefinitionError",
    "Function",
    "Mizan",
    "MizanError",
    "Principal",
    "Registry",
    "Reply",
    "Request",
    "Settings",
    "Upload",
    "_core",
    "client",
    "default_registry",
]
