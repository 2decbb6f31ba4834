"""Behaviour of the generated Python client of the AFI fixture.

Run by ``crates/mizan-codegen/tests/python_client.rs`` with the generated
package importable as ``afi_client``:

* ``check_afi_client.py offline`` — against ``httpx.MockTransport``: the
  exact requests, session/CSRF, retries, typed results and errors;
* ``check_afi_client.py live BASE_URL`` — against a running ``afi-server``.

Type-checked with ``mypy --strict`` together with the package, so it also
proves the generated signatures are usable as written here.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import pathlib
import sys
import tempfile

import httpx

from afi_client import (
    AddResult,
    AsyncMizanClient,
    CallResponse,
    Invalidation,
    Item,
    MizanClient,
    MizanError,
    Profile,
    Upload,
    UserData,
)
from afi_client import _kernel as k

Answer = tuple[int, object]


class Script:
    """A mock server answering each request with the next scripted answer."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        status, body = self.answers.pop(0) if self.answers else (500, "no more answers")
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    def lines(self) -> list[str]:
        return [f"{r.method} {r.url.raw_path.decode()}" for r in self.seen]


def client_for(script: Script) -> MizanClient:
    http = httpx.Client(transport=httpx.MockTransport(script))
    return MizanClient("http://afi.test/api/mizan/", http_client=http, backoff=0.0)


def expect_error(code: str, run: object) -> MizanError:
    assert callable(run)
    try:
        run()
    except MizanError as e:
        assert e.code == code, f"expected {code}, got {e!r}"
        return e
    raise AssertionError(f"expected MizanError {code}")


def offline() -> None:
    # Session once, CSRF token on calls, typed result.
    script = Script(
        [
            (200, {"csrfToken": "tok"}),
            (200, {"result": {"total": 3}, "invalidate": []}),
            (200, {"result": {"user_id": 5, "page": 1, "orders": []}, "invalidate": []}),
        ]
    )
    client = client_for(script)
    total = client.add(a=1, b=2)
    assert total == AddResult(total=3), total
    page = client.user_orders(user_id=5)
    assert page.orders == [] and page.page == 1
    assert script.lines() == ["GET /api/mizan/session/", "POST /api/mizan/call/", "POST /api/mizan/call/"]
    call = script.seen[1]
    assert call.headers["x-csrftoken"] == "tok"
    assert json.loads(call.content) == {"fn": "add", "args": {"a": 1, "b": 2}}
    assert json.loads(script.seen[2].content) == {"fn": "user_orders", "args": {"user_id": 5}}, "None is omitted"

    # Context fetch: query string, typed data, retries on 5xx but not 501.
    profile = {"user_id": 5, "name": "Ann", "bio": ""}
    script = Script(
        [
            (503, {"error": {"code": "INTERNAL_ERROR", "message": "busy"}}),
            (502, "<html>bad gateway</html>"),
            (200, {"user_orders": {"user_id": 5, "page": 2, "orders": []}, "user_profile": profile}),
        ]
    )
    client = client_for(script)
    data = client.fetch_user_context(user_id=5, page=2)
    assert isinstance(data, UserData) and data.user_profile == Profile(user_id=5, name="Ann", bio="")
    assert script.lines() == ["GET /api/mizan/ctx/user/?page=2&user_id=5"] * 3
    script = Script([(501, {"error": {"code": "NOT_IMPLEMENTED", "message": "no"}})])
    expect_error("NOT_IMPLEMENTED", lambda: client_for(script).fetch_items_context())
    assert len(script.seen) == 1, "501 is not retried"

    # Calls are never retried; error envelopes become typed errors.
    script = Script(
        [
            (200, {"csrfToken": None}),
            (500, {"error": {"code": "INTERNAL_ERROR", "message": "handler failed"}}),
            (422, {"error": {"code": "VALIDATION_ERROR", "message": "bad", "details": {"fields": {"a": ["required"]}}}}),
            (401, {"error": {"code": "UNAUTHORIZED", "message": "sign in"}}),
            (200, {"result": {"total": "three"}, "invalidate": []}),
        ]
    )
    client = client_for(script)
    err = expect_error("INTERNAL_ERROR", lambda: client.bump_counter())
    assert err.status == 500 and err.retryable
    err = expect_error("VALIDATION_ERROR", lambda: client.add(a=1, b=2))
    assert err.field_errors == {"a": ["required"]} and err.status == 422
    err = expect_error("UNAUTHORIZED", lambda: client.ping_admin())
    assert err.message == "sign in"
    err = expect_error("BAD_RESPONSE", lambda: client.add(a=1, b=2))
    assert "$.result.total" in err.message, err.message
    assert "x-csrftoken" not in script.seen[1].headers
    assert len(script.seen) == 5

    # Invalidation and merge entries reach `on_response`.
    seen: list[CallResponse] = []
    script = Script(
        [
            (200, {"csrfToken": None}),
            (200, {"result": profile, "invalidate": [{"context": "user", "params": {"user_id": 5}}, "stats"]}),
            (
                200,
                {
                    "result": {"id": 2, "name": "B"},
                    "invalidate": [],
                    "merge": [{"context": "items", "slot": "items_list", "value": {"id": 2, "name": "B"}}],
                },
            ),
        ]
    )
    client = client_for(script)
    client.on_response = seen.append
    assert client.rename(user_id=5, name="Ann") == Profile(user_id=5, name="Ann", bio="")
    assert client.set_item_name(id=2, name="B") == Item(id=2, name="B")
    assert seen[0].invalidate == [Invalidation("user", None, {"user_id": 5}), Invalidation("stats")]
    assert seen[1].merge[0].slot == "items_list"

    # The network being down is a NETWORK_ERROR.
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    down = MizanClient("http://afi.test/api/mizan", http_client=httpx.Client(transport=httpx.MockTransport(refuse)))
    down.kernel.retries = 0
    expect_error("NETWORK_ERROR", lambda: down.fetch_stats_context())

    # The asyncio client behaves the same.
    async def run_async() -> None:
        script = Script([(200, {"csrfToken": None}), (200, {"result": {"message": "hé"}, "invalidate": []})])
        http = httpx.AsyncClient(transport=httpx.MockTransport(script))
        async with AsyncMizanClient("http://afi.test/api/mizan", http_client=http) as client:
            reply = await client.echo(text="hé")
            assert reply.message == "hé"
        assert json.loads(script.seen[1].content) == {"fn": "echo", "args": {"text": "hé"}}

    asyncio.run(run_async())

    # S(v) and query strings as JavaScript would write them.
    cases: list[tuple[k.JsonValue, str]] = [
        (1.0, "1"),
        (0.5, "0.5"),
        (-0.000001, "-0.000001"),
        (1e-7, "1e-7"),
        (1e16, "10000000000000000"),
        (1e21, "1e+21"),
        (123.456, "123.456"),
        (True, "true"),
        (None, "null"),
        ({"b": [1.0], "a": "é"}, '{"a":"é","b":[1]}'),
    ]
    for value, text in cases:
        assert k.stringify(value) == text, (value, k.stringify(value), text)
    assert k.query_string({"q": "naïve; x=1", "page": 2, "none": None}) == "page=2&q=na%C3%AFve%3B%20x%3D1"
    assert Profile(user_id=1, name="a", bio="b").to_json() == {"user_id": 1, "name": "a", "bio": "b"}


def multipart_parts(request: httpx.Request) -> dict[str, tuple[str, bytes]]:
    """The parts of a multipart request: name -> (headers, body)."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary="), content_type
    boundary = content_type.split("boundary=", 1)[1].encode()
    parts: dict[str, tuple[str, bytes]] = {}
    for chunk in request.content.split(b"--" + boundary):
        if chunk.strip() in (b"", b"--"):
            continue
        head, _, body = chunk.partition(b"\r\n\r\n")
        headers = head.decode()
        name = headers.split('name="', 1)[1].split('"', 1)[0]
        parts[name] = (headers, body.removesuffix(b"\r\n"))
    return parts


def offline_uploads() -> None:
    receipt = {"user_id": 5, "filename": "a.png", "size": 3, "sha256": "x"}
    script = Script([(200, {"csrfToken": None})] + [(200, {"result": receipt, "invalidate": ["user"]})] * 4)
    client = client_for(script)
    png = b"\x89PN"
    client.upload_avatar(user_id=5, file=Upload(png, "a.png", "image/png"))
    parts = multipart_parts(script.seen[1])
    assert sorted(parts) == ["envelope", "file"], parts
    assert json.loads(parts["envelope"][1]) == {"fn": "upload_avatar", "args": {"user_id": 5}}
    assert 'filename="a.png"' in parts["file"][0] and "Content-Type: image/png" in parts["file"][0], parts
    assert parts["file"][1] == png
    assert "filename" not in parts["envelope"][0]

    # Bytes, a path and an open file are uploads too.
    client.upload_avatar(user_id=5, file=b"raw")
    headers, body = multipart_parts(script.seen[2])["file"]
    assert body == b"raw" and "application/octet-stream" in headers, headers
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "me.png"
        path.write_bytes(png)
        client.upload_avatar(user_id=5, file=path)
        headers, body = multipart_parts(script.seen[3])["file"]
        assert body == png and 'filename="me.png"' in headers and "image/png" in headers, headers
    client.upload_avatar(user_id=5, file=io.BytesIO(b"stream"))
    assert multipart_parts(script.seen[4])["file"][1] == b"stream"

    # Every call carries the client's id; other requests do not.
    ids = {r.headers.get("x-mizan-client") for r in script.seen[1:]}
    assert ids == {client.kernel.client_id}, ids
    assert "x-mizan-client" not in script.seen[0].headers
    other = client_for(Script([]))
    assert other.kernel.client_id != client.kernel.client_id
    # Nested in JSON, an upload is its envelope form.
    assert k.to_json([Upload(b"hi", "h.txt", "text/plain")]) == [
        {"filename": "h.txt", "content_type": "text/plain", "base64": "aGk="}
    ]
    assert k.as_upload({"base64": "aGk="}, "$") == Upload(b"hi")


def live(base_url: str) -> None:
    seen: list[CallResponse] = []
    with MizanClient(base_url, on_response=seen.append) as client:
        assert client.add(a=2, b=3) == AddResult(total=5)
        assert client.echo(text="héllo; x=1").message == "héllo; x=1"
        err = expect_error("UNAUTHORIZED", lambda: client.ping_admin())
        assert err.status == 401
        err = expect_error("VALIDATION_ERROR", lambda: client.call("add", {"a": "x", "b": 1}))
        assert "a" in err.field_errors, err.details
        err = expect_error("NOT_FOUND", lambda: client.call("no_such_function", {}))
        assert err.status == 404

        before = client.fetch_user_context(user_id=7)
        assert before.user_profile.user_id == 7 and before.user_orders.page == 1
        renamed = client.rename(user_id=7, name="Zed")
        assert renamed.name == "Zed"
        assert Invalidation("user", None, {"user_id": 7}) in seen[-1].invalidate, seen[-1]
        assert client.fetch_user_context(user_id=7).user_profile.name == "Zed"

        item = client.set_item_name(id=2, name="renamed")
        assert item == Item(id=2, name="renamed")
        assert seen[-1].merge and seen[-1].merge[0].slot == "items_list", seen[-1]
        assert Item(id=2, name="renamed") in client.fetch_items_context().items_list

        # A 1 MB upload arrives byte for byte; over the body limit is a 413.
        data = bytes((i * 2654435761 >> 13) & 0xFF for i in range(1_000_000))
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "avatar.bin"
            path.write_bytes(data)
            receipt = client.upload_avatar(user_id=7, file=path)
        assert receipt.sha256 == hashlib.sha256(data).hexdigest(), receipt
        assert (receipt.size, receipt.filename) == (1_000_000, "avatar.bin"), receipt
        assert "user" in [i.context for i in seen[-1].invalidate], seen[-1]
        err = expect_error("BAD_REQUEST", lambda: client.upload_avatar(user_id=7, file=b"\0" * (2 * 1024 * 1024)))
        assert err.status == 413, err

    async def run_async() -> None:
        async with AsyncMizanClient(base_url) as client:
            assert (await client.add(a=40, b=2)).total == 42
            try:
                await client.ping_admin()
            except MizanError as e:
                assert e.code == "UNAUTHORIZED"
            else:
                raise AssertionError("ping_admin must be refused to anonymous callers")

    asyncio.run(run_async())


def main(argv: list[str]) -> None:
    if argv[1:2] == ["offline"]:
        offline()
        offline_uploads()
    elif argv[1:2] == ["live"] and len(argv) == 3:
        live(argv[2])
    else:
        raise SystemExit("usage: check_afi_client.py offline | live BASE_URL")
    print("ok")


if __name__ == "__main__":
    main(sys.argv)
