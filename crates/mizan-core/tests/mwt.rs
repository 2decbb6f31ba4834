//! MWT minting and verification: round trips, interoperability with PyJWT in
//! both directions, and one test per rejection reason.
//!
//! `python3` with PyJWT (`pip install PyJWT`) must be available; a missing
//! interpreter or module fails the test rather than skipping it.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use mizan_core::Error;
use mizan_core::mwt::{
    Claims, DEFAULT_KID, KeyRing, LEEWAY_SECS, MintRequest, MwtRejection, mint, permission_key, unix_now, verify,
};
use serde_json::{Value, json};
use sha2::{Sha256, Sha512};

const T0: u64 = 1_700_000_000;

fn ring() -> KeyRing {
    let mut ring = KeyRing::single("default-secret-0123456789abcdef");
    ring.insert("k2", "second-secret-0123456789abcdefgh");
    ring
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn b64url_decode(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {s}"),
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// Signs an arbitrary header and payload by hand (HS256, HS512, or an
/// empty signature for anything else), independently of jsonwebtoken.
fn forge(header: &Value, payload: &Value, secret: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(payload.to_string().as_bytes())
    );
    sign_raw(&signing_input, header["alg"].as_str().unwrap_or(""), secret)
}

fn sign_raw(signing_input: &str, alg: &str, secret: &[u8]) -> String {
    let sig = match alg {
        "HS256" => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
            mac.update(signing_input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "HS512" => {
            let mut mac = Hmac::<Sha512>::new_from_slice(secret).expect("any key length");
            mac.update(signing_input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        _ => Vec::new(),
    };
    format!("{signing_input}.{}", b64url(&sig))
}

fn valid_claims() -> Value {
    json!({
        "sub": "42",
        "staff": true,
        "superuser": false,
        "perms": ["orders.read", "orders.write"],
        "pkey": permission_key(&["orders.read", "orders.write"], true, false),
        "aud": "mizan",
        "iat": T0,
        "nbf": T0,
        "exp": T0 + 300,
    })
}

const DEFAULT_SECRET: &[u8] = b"default-secret-0123456789abcdef";

#[test]
fn mint_then_verify_round_trips() {
    let ring = ring();
    let req = MintRequest {
        staff: true,
        perms: vec!["b".into(), "a".into(), "b".into()],
        kid: Some("k2".into()),
        ..MintRequest::new("user-7")
    };
    let token = mint(&ring, &req, T0).expect("mint");

    let header: Value =
        serde_json::from_slice(&b64url_decode(token.split('.').next().expect("header"))).expect("header JSON");
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], "k2");

    let claims = verify(&ring, &token, "mizan", T0).expect("verify");
    assert_eq!(
        claims,
        Claims {
            sub: "user-7".into(),
            staff: true,
            superuser: false,
            perms: vec!["a".into(), "b".into()],
            pkey: permission_key(&["a", "b"], true, false),
            aud: "mizan".into(),
            iat: Some(T0),
            nbf: Some(T0),
            exp: T0 + 300,
        }
    );
    assert_eq!(claims.pkey.len(), 64);
    assert!(
        claims
            .pkey
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn default_key_when_no_kid() {
    let ring = ring();
    let token = mint(&ring, &MintRequest::new("1"), T0).expect("mint");
    let header: Value =
        serde_json::from_slice(&b64url_decode(token.split('.').next().expect("header"))).expect("header JSON");
    assert!(header.get("kid").is_none(), "no kid unless asked: {header}");
    let claims = verify(&ring, &token, "mizan", T0 + 1).expect("verify");
    assert!(claims.perms.is_empty() && !claims.staff && !claims.superuser);
    assert_eq!(claims.exp, T0 + 300);

    // Explicit kid `default` is the same key.
    let forged = forge(
        &json!({"alg": "HS256", "typ": "JWT", "kid": DEFAULT_KID}),
        &valid_claims(),
        DEFAULT_SECRET,
    );
    verify(&ring, &forged, "mizan", T0).expect("kid default");
}

#[test]
fn perms_are_omitted_when_empty() {
    let token = mint(&ring(), &MintRequest::new("1"), T0).expect("mint");
    let payload: Value =
        serde_json::from_slice(&b64url_decode(token.split('.').nth(1).expect("payload"))).expect("payload JSON");
    assert!(payload.get("perms").is_none(), "{payload}");
    for claim in ["sub", "staff", "superuser", "pkey", "aud", "iat", "nbf", "exp"] {
        assert!(payload.get(claim).is_some(), "missing {claim} in {payload}");
    }
}

#[test]
fn mint_errors() {
    let ring = ring();
    let cases = [
        MintRequest {
            kid: Some("nope".into()),
            ..MintRequest::new("1")
        },
        MintRequest::new(""),
        MintRequest {
            ttl: Duration::from_millis(500),
            ..MintRequest::new("1")
        },
        MintRequest {
            aud: String::new(),
            ..MintRequest::new("1")
        },
    ];
    for req in cases {
        assert!(matches!(mint(&ring, &req, T0), Err(Error::Mint { .. })), "{req:?}");
    }
    assert!(matches!(
        mint(&ring, &MintRequest::new("1"), u64::MAX),
        Err(Error::Mint { .. })
    ));
    assert!(matches!(
        mint(&KeyRing::single(""), &MintRequest::new("1"), T0),
        Err(Error::Mint { .. })
    ));
}

// ---- one test per rejection reason ------------------------------------

fn assert_rejected(token: &str, want: MwtRejection) {
    assert_eq!(verify(&ring(), token, "mizan", T0), Err(want), "token {token}");
}

#[test]
fn rejects_alg_none() {
    let token = forge(&json!({"alg": "none", "typ": "JWT"}), &valid_claims(), b"");
    assert!(token.ends_with('.'), "unsigned: {token}");
    assert_rejected(&token, MwtRejection::UnsupportedAlgorithm("none".into()));
    // Case games don't help either.
    let token = forge(&json!({"alg": "None"}), &valid_claims(), b"");
    assert_rejected(&token, MwtRejection::UnsupportedAlgorithm("None".into()));
}

#[test]
fn rejects_hs512_even_with_the_right_key() {
    let token = forge(&json!({"alg": "HS512", "typ": "JWT"}), &valid_claims(), DEFAULT_SECRET);
    assert_rejected(&token, MwtRejection::UnsupportedAlgorithm("HS512".into()));
    let token = forge(&json!({"alg": "RS256"}), &valid_claims(), DEFAULT_SECRET);
    assert_rejected(&token, MwtRejection::UnsupportedAlgorithm("RS256".into()));
}

#[test]
fn rejects_bad_signature() {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    // Signed with another secret.
    let token = forge(&header, &valid_claims(), b"not-the-secret");
    assert_rejected(&token, MwtRejection::BadSignature);
    // Signed with the k2 secret but claiming the default key.
    let token = forge(&header, &valid_claims(), b"second-secret-0123456789abcdefgh");
    assert_rejected(&token, MwtRejection::BadSignature);
    // Payload tampered after signing.
    let good = forge(&header, &valid_claims(), DEFAULT_SECRET);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut claims = valid_claims();
    claims["superuser"] = json!(true);
    parts[1] = b64url(claims.to_string().as_bytes());
    assert_rejected(&parts.join("."), MwtRejection::BadSignature);
}

#[test]
fn rejects_unknown_kid() {
    let token = forge(
        &json!({"alg": "HS256", "kid": "retired"}),
        &valid_claims(),
        DEFAULT_SECRET,
    );
    assert_rejected(&token, MwtRejection::UnknownKid("retired".into()));
    // No kid and no default key in the ring.
    let mut only_k2 = KeyRing::new();
    only_k2.insert("k2", "x");
    let token = forge(&json!({"alg": "HS256"}), &valid_claims(), DEFAULT_SECRET);
    assert_eq!(
        verify(&only_k2, &token, "mizan", T0),
        Err(MwtRejection::UnknownKid(DEFAULT_KID.into()))
    );
}

#[test]
fn rejects_expired_with_leeway() {
    let token = mint(&ring(), &MintRequest::new("1"), T0).expect("mint");
    let exp = T0 + 300;
    assert!(verify(&ring(), &token, "mizan", exp).is_ok(), "within leeway");
    assert!(verify(&ring(), &token, "mizan", exp + LEEWAY_SECS - 1).is_ok());
    assert_eq!(
        verify(&ring(), &token, "mizan", exp + LEEWAY_SECS),
        Err(MwtRejection::Expired)
    );
    assert_eq!(
        verify(&ring(), &token, "mizan", exp + 86_400),
        Err(MwtRejection::Expired)
    );
}

#[test]
fn rejects_not_yet_valid_with_leeway() {
    let token = mint(&ring(), &MintRequest::new("1"), T0).expect("mint");
    assert!(verify(&ring(), &token, "mizan", T0 - LEEWAY_SECS).is_ok());
    assert_eq!(
        verify(&ring(), &token, "mizan", T0 - LEEWAY_SECS - 1),
        Err(MwtRejection::NotYetValid)
    );
    // nbf alone in the future (iat now).
    let mut claims = valid_claims();
    claims["nbf"] = json!(T0 + 3600);
    let token = forge(&json!({"alg": "HS256"}), &claims, DEFAULT_SECRET);
    assert_rejected(&token, MwtRejection::NotYetValid);
}

#[test]
fn rejects_wrong_audience() {
    let token = mint(&ring(), &MintRequest::new("1"), T0).expect("mint");
    assert_eq!(verify(&ring(), &token, "other", T0), Err(MwtRejection::WrongAudience));
    let mut claims = valid_claims();
    claims["aud"] = json!(["a", "b"]);
    let token = forge(&json!({"alg": "HS256"}), &claims, DEFAULT_SECRET);
    assert_rejected(&token, MwtRejection::WrongAudience);
    // An array that includes the audience is fine.
    claims["aud"] = json!(["a", "mizan"]);
    let token = forge(&json!({"alg": "HS256"}), &claims, DEFAULT_SECRET);
    assert_eq!(verify(&ring(), &token, "mizan", T0).expect("aud array").aud, "mizan");
}

#[test]
fn rejects_garbage_truncated_and_non_base64() {
    let good = mint(&ring(), &MintRequest::new("1"), T0).expect("mint");
    let (header, rest) = good.split_once('.').expect("dots");
    let (payload, _sig) = rest.split_once('.').expect("dots");
    let long = "a".repeat(9000);
    let garbage = [
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "###.###.###",
        "eyJ.eyJ.sig",
        &good[..header.len() / 2],
        &good[..header.len() + 1 + payload.len()],
        &long,
    ];
    for token in garbage {
        assert!(
            matches!(verify(&ring(), token, "mizan", T0), Err(MwtRejection::Malformed(_))),
            "{token:.60}: {:?}",
            verify(&ring(), token, "mizan", T0)
        );
    }
    // Header is fine, payload is not base64url: the signature is valid over
    // the raw text, so only decoding can fail.
    let signed_garbage = sign_raw(&format!("{header}.not*base64"), "HS256", DEFAULT_SECRET);
    assert!(matches!(
        verify(&ring(), &signed_garbage, "mizan", T0),
        Err(MwtRejection::Malformed(_))
    ));
    // Header JSON that is not an object, and a truncated signature.
    let token = format!("{}.{payload}.x", b64url(b"[1]"));
    assert!(matches!(
        verify(&ring(), &token, "mizan", T0),
        Err(MwtRejection::Malformed(_))
    ));
    let truncated_sig = &good[..good.len() - 3];
    assert!(matches!(
        verify(&ring(), truncated_sig, "mizan", T0),
        Err(MwtRejection::Malformed(_) | MwtRejection::BadSignature)
    ));
}

#[test]
fn rejects_missing_claims() {
    for claim in ["sub", "exp", "aud", "pkey"] {
        let mut claims = valid_claims();
        claims.as_object_mut().expect("object").remove(claim);
        let token = forge(&json!({"alg": "HS256"}), &claims, DEFAULT_SECRET);
        let want = MwtRejection::MissingClaim(match claim {
            "sub" => "sub",
            "exp" => "exp",
            "aud" => "aud",
            _ => "pkey",
        });
        assert_rejected(&token, want);
    }
    // Wrong types are malformed, not missing.
    let mut claims = valid_claims();
    claims["sub"] = json!(42);
    let token = forge(&json!({"alg": "HS256"}), &claims, DEFAULT_SECRET);
    assert!(matches!(
        verify(&ring(), &token, "mizan", T0),
        Err(MwtRejection::Malformed(_))
    ));
}

#[test]
fn rejects_an_empty_sub() {
    let mut claims = valid_claims();
    claims["sub"] = json!("");
    let token = forge(&json!({"alg": "HS256"}), &claims, DEFAULT_SECRET);
    assert_rejected(&token, MwtRejection::Malformed("claim `sub` is empty".into()));
}

#[test]
fn attacker_text_in_rejections_is_escaped_and_bounded() {
    let evil = format!(
        "x\n2030-01-01T00:00:00Z  INFO forged: admin logged in \u{1b}[31m\r{}",
        "y".repeat(2_000)
    );
    let kid_token = forge(&json!({"alg": "HS256", "kid": evil}), &valid_claims(), DEFAULT_SECRET);
    let alg_token = forge(&json!({"alg": evil}), &valid_claims(), DEFAULT_SECRET);
    for (token, what) in [(kid_token, "kid"), (alg_token, "alg")] {
        let rejection = verify(&ring(), &token, "mizan", T0).unwrap_err();
        assert!(
            matches!(
                rejection,
                MwtRejection::UnknownKid(_) | MwtRejection::UnsupportedAlgorithm(_)
            ),
            "{what}: {rejection:?}"
        );
        let text = rejection.to_string();
        assert!(!text.chars().any(char::is_control), "{what}: {text:?}");
        assert!(text.contains(r"x\n2030"), "{what}: escaped, still readable: {text}");
        assert!(text.len() < 200, "{what}: {} bytes", text.len());
    }
}

#[test]
fn short_secrets_are_reported() {
    use mizan_core::mwt::MIN_SECRET_LEN;
    assert_eq!(MIN_SECRET_LEN, 32);
    let mut ring = KeyRing::single("s3cret");
    ring.insert("k2", "x".repeat(MIN_SECRET_LEN));
    ring.insert("k3", "x".repeat(MIN_SECRET_LEN - 1));
    assert_eq!(ring.weak_kids().collect::<Vec<_>>(), vec!["default", "k3"]);
}

#[test]
fn rejects_pkey_that_does_not_match_permissions() {
    let mut claims = valid_claims();
    claims["superuser"] = json!(true); // pkey was computed with superuser=false
    let token = forge(&json!({"alg": "HS256"}), &claims, DEFAULT_SECRET);
    assert_rejected(&token, MwtRejection::PkeyMismatch);
}

#[test]
fn rejection_reasons_are_distinct() {
    let all = [
        MwtRejection::Malformed("x".into()),
        MwtRejection::UnsupportedAlgorithm("none".into()),
        MwtRejection::UnknownKid("k".into()),
        MwtRejection::BadSignature,
        MwtRejection::Expired,
        MwtRejection::NotYetValid,
        MwtRejection::WrongAudience,
        MwtRejection::MissingClaim("sub"),
        MwtRejection::PkeyMismatch,
    ];
    let codes: std::collections::BTreeSet<_> = all.iter().map(MwtRejection::code).collect();
    assert_eq!(codes.len(), all.len());
    let messages: std::collections::BTreeSet<_> = all.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), all.len());
    // And it converts into the crate error.
    let e: Error = MwtRejection::Expired.into();
    assert!(matches!(e, Error::Token(MwtRejection::Expired)));
}

// ---- PyJWT interoperability ---------------------------------------------

const PYJWT: &str = r#"
import hashlib, json, sys, time
import jwt

KEYS = {"default": "default-secret-0123456789abcdef", "k2": "second-secret-0123456789abcdefgh"}

def pkey(perms, staff, superuser):
    state = {"perms": sorted(perms), "staff": staff, "superuser": superuser}
    canon = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()

out = []
for line in filter(None, sys.stdin.read().split("\n")):
    req = json.loads(line)
    if req["op"] == "verify":
        kid = jwt.get_unverified_header(req["token"]).get("kid", "default")
        try:
            claims = jwt.decode(req["token"], KEYS[kid], algorithms=["HS256"], audience=req["aud"])
            ok_pkey = claims["pkey"] == pkey(claims.get("perms", []), claims["staff"], claims["superuser"])
            out.append({"ok": True, "kid": kid, "claims": claims, "pkey_matches": ok_pkey})
        except Exception as e:
            out.append({"ok": False, "error": type(e).__name__})
    else:
        now = int(time.time())
        perms = req["perms"]
        payload = {"sub": req["sub"], "staff": req["staff"], "superuser": False,
                   "pkey": pkey(perms, req["staff"], False), "aud": req["aud"],
                   "iat": now, "nbf": now, "exp": now + 300}
        if perms:
            payload["perms"] = perms
        headers = {"kid": req["kid"]} if req["kid"] else None
        token = jwt.encode(payload, KEYS[req["kid"] or "default"], algorithm="HS256", headers=headers)
        out.append({"ok": True, "token": token})
sys.stdout.write("".join(json.dumps(o) + "\n" for o in out))
"#;

fn pyjwt(requests: &[Value]) -> Vec<Value> {
    let mut child = Command::new("python3")
        .args(["-c", PYJWT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 is required by this test");
    {
        let mut stdin = child.stdin.take().expect("piped stdin");
        for r in requests {
            writeln!(stdin, "{r}").expect("write request");
        }
    }
    let out = child.wait_with_output().expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 failed (is PyJWT installed? `pip install PyJWT`)"
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), requests.len());
    lines
}

#[test]
fn pyjwt_verifies_our_tokens_and_we_verify_theirs() {
    let ring = ring();
    let now = unix_now();
    let ours = [
        mint(&ring, &MintRequest::new("42"), now).expect("mint"),
        mint(
            &ring,
            &MintRequest {
                staff: true,
                superuser: true,
                perms: vec!["zeta".into(), "alpha".into(), "é-perm".into()],
                kid: Some("k2".into()),
                aud: "studio".into(),
                ..MintRequest::new("ünïcode-user")
            },
            now,
        )
        .expect("mint"),
    ];
    let mut requests = vec![
        json!({"op": "verify", "token": ours[0], "aud": "mizan"}),
        json!({"op": "verify", "token": ours[1], "aud": "studio"}),
        // PyJWT must reject ours for the wrong audience too.
        json!({"op": "verify", "token": ours[0], "aud": "other"}),
    ];
    requests.push(json!({"op": "mint", "sub": "py-1", "staff": false, "perms": [], "aud": "mizan", "kid": null}));
    requests
        .push(json!({"op": "mint", "sub": "py-2", "staff": true, "perms": ["b", "a"], "aud": "mizan", "kid": "k2"}));
    let replies = pyjwt(&requests);

    assert_eq!(replies[0]["ok"], true, "{}", replies[0]);
    assert_eq!(replies[0]["kid"], "default");
    assert_eq!(replies[0]["claims"]["sub"], "42");
    assert_eq!(replies[0]["pkey_matches"], true);
    assert_eq!(replies[1]["ok"], true, "{}", replies[1]);
    assert_eq!(replies[1]["kid"], "k2");
    assert_eq!(replies[1]["claims"]["perms"], json!(["alpha", "zeta", "é-perm"]));
    assert_eq!(replies[1]["claims"]["superuser"], true);
    assert_eq!(replies[1]["pkey_matches"], true, "pkey agrees with Python");
    assert_eq!(replies[2]["ok"], false);
    assert_eq!(replies[2]["error"], "InvalidAudienceError");

    let theirs_1 = replies[3]["token"].as_str().expect("token");
    let claims = verify(&ring, theirs_1, "mizan", now).expect("verify PyJWT token");
    assert_eq!(claims.sub, "py-1");
    assert!(!claims.staff);
    let theirs_2 = replies[4]["token"].as_str().expect("token");
    let claims = verify(&ring, theirs_2, "mizan", now).expect("verify PyJWT token with kid");
    assert_eq!(claims.sub, "py-2");
    assert!(claims.staff);
    assert_eq!(claims.perms, ["b", "a"], "perms kept as the token carries them");
    // And our rejections apply to their tokens as well.
    assert_eq!(verify(&ring, theirs_2, "other", now), Err(MwtRejection::WrongAudience));
    assert_eq!(verify(&ring, theirs_2, "mizan", now + 3600), Err(MwtRejection::Expired));
}
