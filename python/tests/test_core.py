"""The binding (`mizan._core`) against SPEC vectors and independent
implementations (Python's `hmac`/`json`, PyJWT): the Python adapters get
exactly what the Rust adapters get, because it is the same code."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import jwt
import pytest

from mizan import _core

SECRET = "spec-vector-secret-0123456789abc"


@pytest.mark.parametrize(
    ("context", "params", "user", "rev", "key"),
    [
        ("orders", {"org_id": 7, "page": 2}, None, 0, "ctx:orders:008a7f166afad22231bb9c5084cdfd8cf04d5fd3d49b6e0957c5f9f1e4c05b4f"),
        ("orders", {"page": 2, "org_id": 7}, "42", 0, "ctx:orders:86c173ded7f328432abb0f786775050ea8efbbd27aed7da5b90ebf2b3554bd90"),
        ("catalog", {}, None, 3, "ctx:catalog:505b611f1ce8c5ec85c8d89c106072c8671201849b7ec9e2bace95bd723f8a89"),
        ("café", {"q": "naïve; x=1"}, "u-9", 1, "ctx:café:87c119a19b55be080b2caea00c0f919f3256a6d4cf362eda15dad1efb5b320b1"),
    ],
)
def test_cache_keys_are_the_spec_vectors(context: str, params: dict[str, object], user: str | None, rev: int, key: str) -> None:
    assert _core.cache_key(SECRET, context, json.dumps(params), user, rev) == key
    # And an independent derivation from the message the core MACs.
    message = _core.cache_message(SECRET, context, json.dumps(params), user, rev)
    digest = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert key == f"ctx:{context}:{digest}"


def test_canonical_json_and_stringify() -> None:
    value = {"b": [1, 2.5, {"z": None, "a": "é"}], "a": True}
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert _core.canonical_json(json.dumps(value)) == expected
    assert [_core.stringify(t) for t in ["1.0", "0.5", "true", "null", '"s"', "[1,2]", '{"b":1,"a":2}']] == [
        "1", "0.5", "true", "null", "s", "[1,2]", '{"a":2,"b":1}'
    ]


def test_the_header_round_trips_and_rejects_malformed_values() -> None:
    entries = [{"context": "user", "params": {"user_id": 5, "q": "a;b=c, d"}}, "notifications"]
    text = _core.format_header(json.dumps(entries))
    assert text == "user;q=a%3Bb%3Dc%2C%20d;user_id=5, notifications"
    assert json.loads(_core.parse_header("user ; user_id=5 ,notifications")) == [
        {"context": "user", "params": {"user_id": "5"}},
        "notifications",
    ]
    with pytest.raises(_core.HeaderError, match="invalid X-Mizan-Invalidate header"):
        _core.parse_header("user;=5")


def test_mwt_minted_by_the_core_verifies_with_pyjwt_and_back() -> None:
    secret = "mwt-secret-0123456789abcdef-0123456789"
    ring = _core.KeyRing({"default": secret, "k2": secret + "-2"})
    token = ring.mint("42", staff=True, perms=["b", "a"], kid="k2")
    claims = jwt.decode(token, secret + "-2", algorithms=["HS256"], audience="mizan")
    assert claims["sub"] == "42" and claims["staff"] is True and claims["perms"] == ["a", "b"]
    assert claims["pkey"] == _core.permission_key(["a", "b"], True, False)
    state = {"perms": ["a", "b"], "staff": True, "superuser": False}
    assert claims["pkey"] == hashlib.sha256(json.dumps(state, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    now = int(time.time())
    pyjwt = jwt.encode(
        {"sub": "7", "staff": False, "superuser": False, "pkey": _core.permission_key([], False, False),
         "aud": "mizan", "iat": now, "nbf": now, "exp": now + 60},
        secret,
        algorithm="HS256",
    )
    assert json.loads(ring.verify(pyjwt))["sub"] == "7"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r, t: "a.b.c", "malformed"),
        (lambda r, t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "bad_signature"),
        (lambda r, t: r.mint("1", now=1000), "expired"),
        (lambda r, t: r.mint("1", aud="other"), "wrong_audience"),
        (lambda r, t: jwt.encode({"sub": "1"}, "x" * 64, algorithm="HS512"), "unsupported_alg"),
        (lambda r, t: jwt.encode({"sub": "1"}, "x" * 32, algorithm="HS256", headers={"kid": "gone"}), "unknown_kid"),
    ],
)
def test_mwt_rejections_have_distinct_reasons(mutate: object, reason: str) -> None:
    ring = _core.KeyRing.single("mwt-secret-0123456789abcdef-0123456789")
    token = mutate(ring, ring.mint("1"))  # type: ignore[operator]
    with pytest.raises(_core.TokenRejected) as caught:
        ring.verify(token)
    assert caught.value.args[1] == reason


def test_ir_errors_carry_the_cores_messages() -> None:
    with pytest.raises(_core.IrParseError, match="1:31: No closing"):
        _core.format_ir("mizan-ir version=1 { function {")
    with pytest.raises(_core.RegistryError, match="duplicate function `f`"):
        _core.build_ir(json.dumps({"functions": [
            {"name": "f", "output": "null", "location": "a.py:1"},
            {"name": "f", "output": "null", "location": "b.py:2"},
        ]}))
    with pytest.raises(_core.RegistryError, match="dangling"):
        _core.build_ir(json.dumps({"functions": [{"name": "f", "output": "null", "affects": [{"context": "nope"}]}]}))


def test_engine_coerces_queries_like_the_rust_runtime(afi_ir: str) -> None:
    engine = _core.Engine(afi_ir)
    assert json.loads(engine.coerce_query("user", [("user_id", "5"), ("page", "2")])) == {"user_id": 5, "page": 2}
    with pytest.raises(_core.QueryInvalid) as caught:
        engine.coerce_query("user", [("user_id", "five"), ("nope", "1")])
    fields = json.loads(caught.value.args[1])
    assert fields == {"user_id": ['expected an integer, got "five"'], "nope": ["`user` has no param `nope`"]}
    with pytest.raises(_core.UnknownName):
        engine.coerce_query("nope", [])


def test_engine_resolves_calls_into_body_header_and_resolution(afi_ir: str) -> None:
    engine = _core.Engine(afi_ir)
    body, header, resolution = engine.call_response("place_order", '{"user_id":5,"sku":"x"}', '{"id":1,"user_id":5,"sku":"x"}')
    assert json.loads(body)["invalidate"] == [
        {"context": "user", "function": "user_orders", "params": {"user_id": 5}},
        "notifications",
    ]
    assert header == "user;user_id=5, notifications"
    assert resolution is not None
    body, header, resolution = engine.call_response("add", '{"a":1,"b":2}', '{"total":3}')
    assert (json.loads(body), header, resolution) == ({"result": {"total": 3}, "invalidate": []}, None, None)
    body, header, _ = engine.call_response("set_item_name", '{"id":2,"name":"n"}', '{"id":2,"name":"n"}')
    assert json.loads(body)["merge"] == [{"context": "items", "slot": "items_list", "value": {"id": 2, "name": "n"}}]


def test_engine_cache_slots_purges_and_entries(afi_ir: str) -> None:
    engine = _core.Engine(afi_ir, "afi-test-cache-secret-0123456789abc")
    slot = engine.cache_slot("user", '{"user_id":5}', None)
    assert slot is not None
    key, instance, context_gen, ttl_ms, fingerprint = slot
    assert key == _core.cache_key("afi-test-cache-secret-0123456789abc", "user", '{"user_id":5}', None, 2)
    assert instance == key + ":g" and context_gen == "ctx:user:g" and ttl_ms == 7 * 24 * 3600 * 1000
    assert engine.cache_slot("user", "{}", None) is None, "no required param, no cache"
    _, _, resolution = engine.call_response("rename", '{"user_id":5,"name":"A"}', '{"user_id":5,"name":"A","bio":""}')
    assert resolution is not None
    assert engine.purges(resolution) == [("user", instance, key)]
    stored = engine.encode_entry(fingerprint, 1, 2, b'{"a":1}')
    assert engine.decode_entry(stored, fingerprint, 1, 2) == b'{"a":1}'
    assert engine.decode_entry(stored, fingerprint, 1, 3) is None
    assert engine.decode_entry(b"garbage", fingerprint, 1, 2) is None


def test_edge_manifest_comes_from_the_core(afi_ir: str) -> None:
    manifest = json.loads(_core.edge_manifest(afi_ir, "/api/mizan"))
    assert manifest["version"] == 1
    assert manifest["contexts"]["user"]["endpoints"] == ["/api/mizan/ctx/user/"]
    assert manifest["mutations"]["rename"]["affects"] == ["user"]


def test_push_frames_show_each_connection_only_what_it_may_see(afi_ir: str) -> None:
    """The per-connection view (as `mizan::Push::for_others` and the hub's
    restriction): the caller sees its merge into a personal context and its
    client id; others see an invalidation of the same instance and no id;
    contexts a connection may not read or does not watch are cut."""
    engine = _core.Engine(afi_ir)
    push = json.dumps({
        "invalidate": [{"context": "user", "params": {"user_id": 5}}],
        "merge": [{"context": "notifications", "slot": "unread_count", "value": {"count": 0}}],
        "fn": "mark_all_read",
        "client": "tab-1",
    })
    everything = {"user", "notifications"}
    own = json.loads(engine.push_frame(push, True, everything) or "null")
    assert own["merge"][0]["value"] == {"count": 0} and own["client"] == "tab-1" and own["op"] == "push"
    other = json.loads(engine.push_frame(push, False, everything) or "null")
    assert other == {
        "op": "push",
        "invalidate": [{"context": "user", "params": {"user_id": 5}}, "notifications"],
        "fn": "mark_all_read",
    }
    anonymous = json.loads(engine.push_frame(push, False, {"user"}) or "null")
    assert anonymous["invalidate"] == [{"context": "user", "params": {"user_id": 5}}]
    assert engine.push_frame(push, False, everything, {"stats"}) is None, "not watched"
    assert engine.push_frame(push, True, set()) is None, "nothing readable"
    # A merge into a context that is not personal reaches everyone as a value.
    items = json.dumps({"invalidate": [], "merge": [{"context": "items", "slot": "items_list", "value": {"id": 1}}]})
    assert json.loads(engine.push_frame(items, False, {"items"}) or "null")["merge"][0]["value"] == {"id": 1}
