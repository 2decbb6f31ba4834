"""SPEC §3.3 as `mizan.origin` states it (the same rule and messages as
`mizan-axum`'s `origin.rs`; the end-to-end cases run on every backend in
`fixtures/afi-app/tests/http/cross_origin.rs`)."""

from __future__ import annotations

import pytest

from mizan import MizanError
from mizan.origin import OriginPolicy, parse_origin


def test_origins_parse_like_rfc_6454_serializations() -> None:
    assert parse_origin("https://App.Example.com") == ("https", "app.example.com", 443)
    assert parse_origin("http://127.0.0.1:8000") == ("http", "127.0.0.1", 8000)
    assert parse_origin("http://[::1]:3000") == ("http", "[::1]", 3000)
    for bad in ["null", "example.com", "https://", "https://a.com/path", "https://a.com:99999", "ht tp://a", "https://a b"]:
        assert parse_origin(bad) is None, bad


def check(policy: OriginPolicy, origin: str | None, host: str = "127.0.0.1:8000", site: str | None = None) -> str | None:
    headers = {"host": host}
    if site:
        headers["sec-fetch-site"] = site
    try:
        policy.check([] if origin is None else [origin], headers)
    except MizanError as e:
        assert e.code == "FORBIDDEN" and e.status == 403
        return e.message
    return None


def test_own_origin_listed_origins_and_no_origin_pass() -> None:
    policy = OriginPolicy(["https://app.example.com"])
    assert check(policy, "http://127.0.0.1:8000") is None
    assert check(policy, "https://app.example.com") is None
    assert check(policy, "https://app.example.com:443", site="cross-site") is None
    assert check(policy, None) is None
    assert check(OriginPolicy(), "https://example.com", host="example.com") is None


@pytest.mark.parametrize(
    ("origin", "site", "message"),
    [
        ("https://evil.example", None, "origin `https://evil.example` is neither this server's own"),
        ("null", None, "`Origin: null`"),
        ("not an origin", None, "is not a valid origin"),
        ("http://127.0.0.1:8001", None, "is neither this server's own (`127.0.0.1:8000`)"),
        ("http://127.0.0.1:8000", "cross-site", "Sec-Fetch-Site: cross-site"),
        (None, "cross-site", "without an allowed `Origin`"),
    ],
)
def test_other_origins_are_refused_with_a_reason(origin: str | None, site: str | None, message: str) -> None:
    refused = check(OriginPolicy(), origin, site=site)
    assert refused is not None and refused.startswith("cross-origin request refused: ") and message in refused


def test_allowed_origins_must_be_exact() -> None:
    for bad in ["https://*.example.com", "null", "https://a.com/", "a.com"]:
        with pytest.raises(ValueError, match="not an exact origin"):
            OriginPolicy([bad])
