//! The token tool: mint an MWT from an environment's key ring, decode any
//! pasted token (header and every claim, the recomputed `pkey`), and verify
//! it with the exact rejection the server would give — all through
//! `mizan_core::mwt`, the code the servers run.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mizan::Mizan;
use mizan_core::mwt::{self, KeyRing, MintRequest};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// What to mint.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct MintForm {
    /// The principal (`sub`).
    pub sub: String,
    /// Passes `auth staff`.
    #[serde(default)]
    pub staff: bool,
    /// Passes `auth superuser`.
    #[serde(default)]
    pub superuser: bool,
    /// Named permissions.
    #[serde(default)]
    pub perms: Vec<String>,
    /// Key id (empty: `default`, left out of the header).
    #[serde(default)]
    pub kid: Option<String>,
    /// Audience (empty: the environment's).
    #[serde(default)]
    pub audience: Option<String>,
    /// Lifetime in seconds (empty: 300).
    #[serde(default)]
    pub ttl_secs: Option<i64>,
}

/// A token taken apart.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct DecodedToken {
    /// The JOSE header, pretty-printed JSON.
    pub header: String,
    /// Every claim, pretty-printed JSON.
    pub claims: String,
    /// The claims a person looks for, one line each (`sub`, `exp` in
    /// words, …).
    pub summary: Vec<String>,
    /// `pkey` recomputed from the token's own `perms`/`staff`/`superuser`.
    pub recomputed_pkey: Option<String>,
    /// Whether it equals the token's `pkey`.
    pub pkey_matches: Option<bool>,
    /// What the server would say: `valid`, or the rejection's code.
    pub verdict: String,
    /// The rejection in words (empty when valid or unverifiable).
    pub reason: String,
    /// Why verification could not run (no key ring), else empty.
    pub unverified: String,
}

/// Mints a token.
pub fn mint(ring: &KeyRing, default_audience: &str, form: &MintForm, now: u64) -> Result<String, String> {
    if ring.is_empty() {
        return Err(no_keys());
    }
    let mut req = MintRequest::new(form.sub.trim());
    req.staff = form.staff;
    req.superuser = form.superuser;
    req.perms = form
        .perms
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    req.kid = form
        .kid
        .clone()
        .filter(|k| !k.trim().is_empty() && k != mwt::DEFAULT_KID);
    req.aud = form
        .audience
        .clone()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| default_audience.to_owned());
    if let Some(ttl) = form.ttl_secs {
        let ttl = u64::try_from(ttl).map_err(|_| format!("ttl_secs must be positive, got {ttl}"))?;
        req.ttl = Duration::from_secs(ttl);
    }
    mwt::mint(ring, &req, now).map_err(|e| e.to_string())
}

fn no_keys() -> String {
    format!(
        "no MWT key: name one in .mizan/studio.toml (mwt_keys), type one in, or set {} for the studio",
        super::environment::MWT_SECRET_VAR
    )
}

/// Decodes `token` (no key needed) and verifies it when `ring` has keys.
pub fn decode(ring: &KeyRing, audience: &str, token: &str, now: u64) -> Result<DecodedToken, String> {
    let token = token.trim();
    let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(format!(
            "a token has three dot-separated parts (header.claims.signature); this one has {}",
            parts.len()
        ));
    }
    let header = segment(parts[0], "header")?;
    let claims = segment(parts[1], "claims")?;
    let perms: Vec<String> = claims
        .get("perms")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let flag = |name: &str| claims.get(name).and_then(Value::as_bool).unwrap_or(false);
    let recomputed = mwt::permission_key(&perms, flag("staff"), flag("superuser"));
    let pkey = claims.get("pkey").and_then(Value::as_str);
    let mut summary = Vec::new();
    let text = |name: &str| {
        claims
            .get(name)
            .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
    };
    if let Some(sub) = text("sub") {
        summary.push(format!("sub {sub}"));
    }
    let mut privileges = Vec::new();
    if flag("staff") {
        privileges.push("staff".to_owned());
    }
    if flag("superuser") {
        privileges.push("superuser".to_owned());
    }
    privileges.extend(perms.iter().cloned());
    summary.push(if privileges.is_empty() {
        "no privileges".to_owned()
    } else {
        privileges.join(", ")
    });
    if let Some(kid) = header.get("kid").and_then(Value::as_str) {
        summary.push(format!("kid {kid}"));
    }
    if let Some(aud) = text("aud") {
        summary.push(format!("aud {aud}"));
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_u64) {
        summary.push(if exp >= now {
            format!("expires in {} s", exp - now)
        } else {
            format!("expired {} s ago", now - exp)
        });
    }
    let (verdict, reason, unverified) = if ring.is_empty() {
        (String::new(), String::new(), no_keys())
    } else {
        match mwt::verify(ring, token, audience, now) {
            Ok(_) => ("valid".to_owned(), String::new(), String::new()),
            Err(r) => (r.code().to_owned(), r.to_string(), String::new()),
        }
    };
    let pretty = |m: &Map<String, Value>| serde_json::to_string_pretty(m).unwrap_or_default();
    Ok(DecodedToken {
        header: pretty(&header),
        claims: pretty(&claims),
        summary,
        pkey_matches: pkey.map(|p| p == recomputed),
        recomputed_pkey: Some(recomputed),
        verdict,
        reason,
        unverified,
    })
}

fn segment(part: &str, name: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| format!("the {name} is not base64url: {e}"))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("the {name} is not a JSON object")),
        Err(e) => Err(format!("the {name} is not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-test-secret-that-is-long-enough-0123";

    fn ring() -> KeyRing {
        let mut r = KeyRing::new();
        r.insert("default", SECRET)
            .insert("k2", "another-secret-that-is-long-enough-99");
        r
    }

    #[test]
    fn mint_then_decode_round_trips_and_verifies() {
        let now = 1_800_000_000;
        let form = MintForm {
            sub: "5".into(),
            staff: true,
            perms: vec!["b".into(), "a".into()],
            kid: Some("k2".into()),
            ..Default::default()
        };
        let token = mint(&ring(), "mizan", &form, now).unwrap();
        let d = decode(&ring(), "mizan", &token, now).unwrap();
        assert_eq!(d.verdict, "valid");
        assert_eq!(d.pkey_matches, Some(true));
        assert!(d.summary.contains(&"sub 5".to_owned()), "{:?}", d.summary);
        assert!(d.summary.contains(&"staff, a, b".to_owned()), "{:?}", d.summary);
        assert!(d.header.contains("\"kid\": \"k2\""), "{}", d.header);
        // The server's own verifier agrees on the claims.
        let claims = mwt::verify(&ring(), &token, "mizan", now).unwrap();
        assert_eq!(claims.sub, "5");
        assert_eq!(Some(claims.pkey), d.recomputed_pkey);
    }

    #[test]
    fn decode_names_the_servers_rejection() {
        let now = 1_800_000_000;
        let token = mint(
            &ring(),
            "mizan",
            &MintForm {
                sub: "5".into(),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        let later = decode(&ring(), "mizan", &token, now + 3600).unwrap();
        assert_eq!(later.verdict, "expired");
        assert!(later.summary.iter().any(|s| s.starts_with("expired ")));
        let other = decode(&ring(), "other-aud", &token, now).unwrap();
        assert_eq!(other.verdict, "wrong_audience");
        let mut wrong = KeyRing::new();
        wrong.insert("default", "a-different-secret-that-is-long-enough");
        assert_eq!(decode(&wrong, "mizan", &token, now).unwrap().verdict, "bad_signature");
        let no_keys = decode(&KeyRing::new(), "mizan", &token, now).unwrap();
        assert_eq!(no_keys.verdict, "");
        assert!(no_keys.unverified.contains("MIZAN_MWT_SECRET"));
    }

    #[test]
    fn bad_tokens_get_a_precise_message() {
        assert!(
            decode(&ring(), "mizan", "abc", 0)
                .unwrap_err()
                .contains("three dot-separated parts")
        );
        assert!(
            decode(&ring(), "mizan", "!!.e30.x", 0)
                .unwrap_err()
                .contains("header is not base64url")
        );
        assert!(
            decode(&ring(), "mizan", "e30.bnVsbA.x", 0)
                .unwrap_err()
                .contains("claims is not a JSON object")
        );
        assert!(
            mint(&KeyRing::new(), "mizan", &MintForm::default(), 0)
                .unwrap_err()
                .contains("no MWT key")
        );
        let e = mint(
            &ring(),
            "mizan",
            &MintForm {
                sub: "".into(),
                ..Default::default()
            },
            0,
        )
        .unwrap_err();
        assert!(e.contains("`sub` is empty"), "{e}");
    }
}
