"""Mizan functions of the test project: who is calling (the principal as
mizan_django built it) and a plain `def` that uses the ORM."""

from __future__ import annotations

from django.contrib.auth.models import User
from pydantic import BaseModel

from mizan import Registry, Request

registry = Registry()


class Me(BaseModel):
    """The caller as Mizan sees them."""

    id: str
    staff: bool
    superuser: bool
    perms: list[str]
    pkey: str


@registry.client(auth=True)
async def whoami(req: Request) -> Me:
    """The authenticated principal."""
    p = req.require_principal()
    return Me(id=p.id, staff=p.staff, superuser=p.superuser, perms=list(p.perms), pkey=p.pkey)


@registry.client(affects="users")
def user_count(prefix: str) -> int:
    """Counts users whose name starts with `prefix` (sync, ORM)."""
    return User.objects.filter(username__startswith=prefix).count()


@registry.client(context="users", auth="staff")
def usernames() -> list[str]:
    """Every username (staff only)."""
    return sorted(User.objects.values_list("username", flat=True))
