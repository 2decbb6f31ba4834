"""mizan_django against a real Django project (`tests/django_site`):
SQLite users, served by daphne (ASGI) and by wsgiref (WSGI), over HTTP.

The Django user is the principal (id, is_staff, is_superuser, permissions →
pkey from the core); `GET session/` returns a real CSRF token and calls
under session auth need it, calls under MWT do not; plain `def`
functions use the ORM; under WSGI HTTP works and `/ws/` says pushes need
ASGI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mizan import _core

HERE = Path(__file__).resolve().parent
MWT_SECRET = "django-tests-mwt-secret-0123456789abcdef"

SETUP = """
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import Permission, User
call_command("migrate", verbosity=0)
ann = User.objects.create_user("ann", password="pw-ann", is_staff=True)
ann.user_permissions.add(Permission.objects.get(codename="view_user"))
User.objects.create_user("bob", password="pw-bob")
print(ann.pk)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("db") / "users.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "django_site.settings",
        "MIZAN_TEST_DB": str(db),
        "PYTHONPATH": str(HERE),
    }
    out = subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=HERE, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    env["ANN_ID"] = out.stdout.strip()
    return env


def serve(env: dict[str, str], command: list[str], port: int) -> Iterator[str]:
    proc = subprocess.Popen(command, env=env, cwd=HERE)
    try:
        wait_for(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def asgi(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0", "django_site.asgi:application"]
    yield from serve(env, cmd, port)


@pytest.fixture(scope="module")
def wsgi(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    code = (
        "from wsgiref.simple_server import make_server, WSGIRequestHandler\n"
        "class Quiet(WSGIRequestHandler):\n    def log_message(self, *a): pass\n"
        "from django_site.wsgi import application\n"
        f"make_server('127.0.0.1', {port}, application, handler_class=Quiet).serve_forever()\n"
    )
    yield from serve(env, [sys.executable, "-c", code], port)


def log_in(client: httpx.Client, base: str, user: str) -> None:
    reply = client.post(f"{base}/login/", data={"username": user, "password": f"pw-{user}"})
    assert reply.status_code == 204


def call(client: httpx.Client, base: str, fn: str, args: dict[str, object], **headers: str) -> httpx.Response:
    return client.post(f"{base}/api/mizan/call/", json={"fn": fn, "args": args}, headers=headers)


@pytest.mark.parametrize("server", ["asgi", "wsgi"])
def test_the_django_user_is_the_principal_and_session_calls_need_the_csrf_token(
    server: str, request: pytest.FixtureRequest, env: dict[str, str]
) -> None:
    base = request.getfixturevalue(server)
    with httpx.Client() as client:
        # Anonymous: no principal, no CSRF needed for a public function.
        assert call(client, base, "whoami", {}).json()["error"]["code"] == "UNAUTHORIZED"
        assert call(client, base, "user_count", {"prefix": "a"}).json()["result"] == 1
        log_in(client, base, "ann")
        refused = call(client, base, "whoami", {})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "FORBIDDEN" and "CSRF" in refused.json()["error"]["message"]
        session = client.get(f"{base}/api/mizan/session/").json()
        token = session["csrfToken"]
        assert isinstance(token, str) and len(token) >= 32
        me = call(client, base, "whoami", {}, **{"X-CSRFToken": token})
        assert me.status_code == 200, me.text
        assert me.json()["result"] == {
            "id": env["ANN_ID"],
            "staff": True,
            "superuser": False,
            "perms": ["auth.view_user"],
            "pkey": _core.permission_key(["auth.view_user"], True, False),
        }
        # A staff context, fetched with the session (GETs need no token).
        users = client.get(f"{base}/api/mizan/ctx/users/").json()
        assert users == {"usernames": ["ann", "bob"]}
        # Under MWT the token, not the session, identifies: no CSRF.
        mwt = _core.KeyRing.single(MWT_SECRET).mint("mwt-user")
        me = call(client, base, "whoami", {}, **{"X-Mizan-Token": mwt})
        assert me.json()["result"]["id"] == "mwt-user"
        bad = call(client, base, "whoami", {}, **{"X-Mizan-Token": "garbage", "X-CSRFToken": token})
        assert bad.status_code == 401, "an invalid token never falls back to the session"


def test_a_regular_user_is_not_staff(asgi: str) -> None:
    with httpx.Client() as client:
        log_in(client, asgi, "bob")
        refused = client.get(f"{asgi}/api/mizan/ctx/users/")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


def test_under_wsgi_ws_says_pushes_need_asgi(wsgi: str) -> None:
    reply = httpx.get(f"{wsgi}/api/mizan/ws/")
    assert reply.status_code == 501
    assert "ASGI" in reply.json()["error"]["message"]


def test_export_mizan_ir_prints_the_projects_ir(env: dict[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "django", "export_mizan_ir"], env=env, cwd=HERE, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("mizan-ir version=1 {") and "function whoami" in out.stdout
    assert _core.format_ir(out.stdout) == out.stdout


def test_the_socket_knows_the_session_user_and_pushes_need_asgi_only(asgi: str, env: dict[str, str]) -> None:
    """Over Channels the logged-in Django user is the socket's principal,
    and a mutation called over HTTP is pushed to the socket."""
    import asyncio

    import websockets

    with httpx.Client() as client:
        log_in(client, asgi, "ann")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        token = client.get(f"{asgi}/api/mizan/session/").json()["csrfToken"]

        async def run() -> None:
            url = asgi.replace("http://", "ws://") + "/api/mizan/ws/"
            async with websockets.connect(url, additional_headers={"Cookie": cookie}) as socket:
                await socket.send(json.dumps({"id": 1, "op": "call", "fn": "whoami", "args": {}}))
                reply = json.loads(await asyncio.wait_for(socket.recv(), 5))
                assert reply["id"] == 1 and reply["result"]["id"] == env["ANN_ID"], reply
                await asyncio.to_thread(call, client, asgi, "user_count", {"prefix": "b"}, **{"X-CSRFToken": token})
                push = json.loads(await asyncio.wait_for(socket.recv(), 5))
                assert push == {"op": "push", "invalidate": ["users"], "fn": "user_count"}, push

        asyncio.run(run())
