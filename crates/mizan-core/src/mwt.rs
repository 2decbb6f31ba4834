//! MWT — the Mizan Web Token (SPEC §7): a standard HS256 JWT sent as
//! `X-Mizan-Token`, minted and verified against a [`KeyRing`].
//!
//! Verification is deliberately strict and explains itself: every rejection
//! is a distinct [`MwtRejection`] for logs, while clients only ever see 401.
//! The JOSE header is decoded here *before* `jsonwebtoken` sees the token so
//! that `alg: none` or `HS512` are reported as unsupported algorithms rather
//! than as malformed input, and so the `kid` picks the key. Time checks use
//! the caller's clock (`now_unix`), never `jsonwebtoken`'s, so tests and
//! replays are deterministic.
//!
//! This module must never accept an algorithm other than HS256, never fall
//! back to another key when a `kid` is unknown, never log or `Debug`-print a
//! secret, and never panic on any token text.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The key id used for tokens without `kid`, and by [`KeyRing::single`].
pub const DEFAULT_KID: &str = "default";

/// The default audience (`aud`) of a Mizan token.
pub const DEFAULT_AUDIENCE: &str = "mizan";

/// The default lifetime of a minted token: 300 s.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// Clock-skew allowance applied to `exp`, `nbf` and `iat`, in seconds.
///
/// A token is still accepted up to 10 s after `exp`, and up to 10 s before
/// its `nbf`/`iat`. Small enough not to extend a 300 s token meaningfully,
/// large enough for hosts whose clocks drift by a few seconds.
pub const LEEWAY_SECS: u64 = 10;

/// Shortest secret considered strong, in bytes (HS256's key size). Shorter
/// secrets still work (tests, the CLI), but adapters warn about them
/// ([`KeyRing::weak_kids`]).
pub const MIN_SECRET_LEN: usize = 32;

/// Longest token accepted, in bytes; longer input is rejected as malformed
/// before any decoding work.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Why a token was rejected. Each variant is a distinct reason for logs;
/// clients only ever see 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MwtRejection {
    /// The token is not a well-formed JWT: wrong number of segments, bad
    /// base64url, header or claims not a JSON object, a claim of the wrong
    /// type, too long, or an unsupported `crit` header.
    #[error("malformed token: {0}")]
    Malformed(String),

    /// The header's `alg` is not `HS256` (this includes `none` and `HS512`).
    /// Attacker text in rejections is escaped and bounded for logs.
    #[error("unsupported algorithm `{0}` (only HS256 is accepted)")]
    UnsupportedAlgorithm(String),

    /// The header's `kid` (or `default`, when absent) is not in the key ring.
    #[error("unknown key id `{0}`")]
    UnknownKid(String),

    /// The HMAC signature does not match the key selected by `kid`.
    #[error("bad signature")]
    BadSignature,

    /// `exp` is more than [`LEEWAY_SECS`] in the past.
    #[error("token expired")]
    Expired,

    /// `nbf` or `iat` is more than [`LEEWAY_SECS`] in the future.
    #[error("token not yet valid")]
    NotYetValid,

    /// `aud` does not contain the expected audience.
    #[error("wrong audience")]
    WrongAudience,

    /// A required claim (`sub`, `exp`, `aud`, `pkey`) is absent.
    #[error("missing claim `{0}`")]
    MissingClaim(&'static str),

    /// `pkey` does not match the token's own `perms`/`staff`/`superuser`:
    /// the minter computed it differently, so caches keyed by it can't be
    /// trusted.
    #[error("pkey does not match the token's permission state")]
    PkeyMismatch,
}

impl MwtRejection {
    /// A short, stable, machine-readable reason for structured logs and
    /// metrics (`malformed`, `unsupported_alg`, `unknown_kid`,
    /// `bad_signature`, `expired`, `not_yet_valid`, `wrong_audience`,
    /// `missing_claim`, `pkey_mismatch`).
    pub fn code(&self) -> &'static str {
        match self {
            MwtRejection::Malformed(_) => "malformed",
            MwtRejection::UnsupportedAlgorithm(_) => "unsupported_alg",
            MwtRejection::UnknownKid(_) => "unknown_kid",
            MwtRejection::BadSignature => "bad_signature",
            MwtRejection::Expired => "expired",
            MwtRejection::NotYetValid => "not_yet_valid",
            MwtRejection::WrongAudience => "wrong_audience",
            MwtRejection::MissingClaim(_) => "missing_claim",
            MwtRejection::PkeyMismatch => "pkey_mismatch",
        }
    }
}

/// The secrets that sign and verify tokens, by key id (`kid`).
///
/// Rotation: insert the new key under a new kid, mint with it, and keep the
/// old kid until every token signed with it has expired. `Debug` lists the
/// key ids only, never the secrets.
#[derive(Clone, Default)]
pub struct KeyRing {
    keys: BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// An empty key ring (verifies nothing, mints nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// A key ring holding one secret as the [`DEFAULT_KID`] key, which
    /// verifies tokens without `kid`.
    pub fn single(secret: impl AsRef<[u8]>) -> Self {
        let mut ring = Self::new();
        ring.insert(DEFAULT_KID, secret);
        ring
    }

    /// Adds (or replaces) the secret for `kid`. An empty secret is kept but
    /// never used: minting with it fails and tokens naming it are rejected
    /// as [`MwtRejection::UnknownKid`].
    pub fn insert(&mut self, kid: impl Into<String>, secret: impl AsRef<[u8]>) -> &mut Self {
        self.keys.insert(kid.into(), secret.as_ref().to_vec());
        self
    }

    /// Removes the secret for `kid`; returns whether it was present.
    pub fn remove(&mut self, kid: &str) -> bool {
        self.keys.remove(kid).is_some()
    }

    /// The key ids in the ring, sorted.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The key ids whose secret is shorter than [`MIN_SECRET_LEN`] bytes
    /// (brute-forceable offline from any token), sorted.
    pub fn weak_kids(&self) -> impl Iterator<Item = &str> {
        self.keys
            .iter()
            .filter(|(_, secret)| secret.len() < MIN_SECRET_LEN)
            .map(|(kid, _)| kid.as_str())
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The usable (non-empty) secret for `kid`.
    fn secret(&self, kid: &str) -> Option<&[u8]> {
        self.keys.get(kid).map(Vec::as_slice).filter(|s| !s.is_empty())
    }
}

/// What to put in a new token. [`MintRequest::new`] fills in the defaults
/// (audience `mizan`, TTL 300 s, no kid, no privileges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRequest {
    /// The principal's user id (`sub`); must not be empty.
    pub sub: String,
    /// Whether the principal passes `auth = "staff"`.
    pub staff: bool,
    /// Whether the principal passes `auth = "superuser"`.
    pub superuser: bool,
    /// Named permissions; emitted sorted and de-duplicated, omitted if empty.
    pub perms: Vec<String>,
    /// The audience (`aud`), default [`DEFAULT_AUDIENCE`].
    pub aud: String,
    /// Lifetime (whole seconds; must be at least 1 s), default [`DEFAULT_TTL`].
    pub ttl: Duration,
    /// Which key of the ring signs; `None` signs with [`DEFAULT_KID`] and
    /// leaves `kid` out of the header.
    pub kid: Option<String>,
}

impl MintRequest {
    /// A request for `sub` with every other field at its default.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            ..Self::default()
        }
    }
}

impl Default for MintRequest {
    fn default() -> Self {
        Self {
            sub: String::new(),
            staff: false,
            superuser: false,
            perms: Vec::new(),
            aud: DEFAULT_AUDIENCE.to_owned(),
            ttl: DEFAULT_TTL,
            kid: None,
        }
    }
}

/// The claims of a verified (or freshly minted) token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The principal's user id.
    pub sub: String,
    /// Staff flag (absent in the token means `false`).
    #[serde(default)]
    pub staff: bool,
    /// Superuser flag (absent in the token means `false`).
    #[serde(default)]
    pub superuser: bool,
    /// Named permissions, as carried by the token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perms: Vec<String>,
    /// 64-hex SHA-256 of the permission state; see [`permission_key`].
    pub pkey: String,
    /// The audience. When the token carries an array, this is the member
    /// that matched the verifier's expected audience.
    pub aud: String,
    /// Issued-at (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not-before (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expiry (Unix seconds).
    pub exp: u64,
}

/// The `pkey` claim: lower-case hex SHA-256 of the canonical JSON of
/// `{"perms":[sorted perms],"staff":staff,"superuser":superuser}`.
///
/// Perms are sorted (by code point) but not de-duplicated, so any
/// implementation that sorts the token's own `perms` array reproduces it.
pub fn permission_key<S: AsRef<str>>(perms: &[S], staff: bool, superuser: bool) -> String {
    let mut sorted: Vec<&str> = perms.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    let state = serde_json::json!({
        "perms": sorted,
        "staff": staff,
        "superuser": superuser,
    });
    let canonical = crate::canonical_json::to_canonical_json(&state);
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Seconds since the Unix epoch by the system clock (0 if the clock is set
/// before 1970). Adapters pass this as `now_unix`; tests pass a fixed value.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Mints a token for `req`, signed with the ring's key `req.kid` (or
/// [`DEFAULT_KID`]), issued at `now_unix`.
///
/// Fails with [`Error::Mint`] when the key is missing or empty, `sub` or
/// `aud` is empty, or the TTL is under one second or overflows.
pub fn mint(ring: &KeyRing, req: &MintRequest, now_unix: u64) -> Result<String> {
    let mint_err = |reason: String| Error::Mint { reason };
    let kid = req.kid.as_deref().unwrap_or(DEFAULT_KID);
    let secret = ring
        .secret(kid)
        .ok_or_else(|| mint_err(format!("no usable key `{kid}` in the key ring")))?;
    if req.sub.is_empty() {
        return Err(mint_err("`sub` is empty".into()));
    }
    if req.aud.is_empty() {
        return Err(mint_err("`aud` is empty".into()));
    }
    let ttl = req.ttl.as_secs();
    if ttl == 0 {
        return Err(mint_err("ttl must be at least one second".into()));
    }
    let exp = now_unix
        .checked_add(ttl)
        .ok_or_else(|| mint_err("now + ttl overflows".into()))?;

    let mut perms = req.perms.clone();
    perms.sort_unstable();
    perms.dedup();
    let claims = Claims {
        sub: req.sub.clone(),
        staff: req.staff,
        superuser: req.superuser,
        pkey: permission_key(&perms, req.staff, req.superuser),
        perms,
        aud: req.aud.clone(),
        iat: Some(now_unix),
        nbf: Some(now_unix),
        exp,
    };
    let mut header = Header::new(Algorithm::HS256);
    header.kid = req.kid.clone();
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).map_err(|e| mint_err(e.to_string()))
}

/// Verifies `token` for `audience` at time `now_unix` and returns its claims.
///
/// Checks, in order: shape and size, header `alg` (HS256 only), `kid`
/// (absent → [`DEFAULT_KID`]), signature, required claims (`sub`, `exp`,
/// `aud`, `pkey`) and claim types, `exp`, `nbf`/`iat` (with
/// [`LEEWAY_SECS`]), audience, and finally that `pkey` matches the token's
/// own permission state.
pub fn verify(ring: &KeyRing, token: &str, audience: &str, now_unix: u64) -> std::result::Result<Claims, MwtRejection> {
    use MwtRejection as R;

    if token.len() > MAX_TOKEN_LEN {
        return Err(R::Malformed(format!(
            "token is {} bytes, the limit is {MAX_TOKEN_LEN}",
            token.len()
        )));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(R::Malformed("expected three `.`-separated segments".into()));
    };

    // 1. JOSE header, decoded here so `alg` and `kid` get precise reasons.
    let header_bytes = base64url_decode(header_b64).ok_or_else(|| R::Malformed("header is not base64url".into()))?;
    let header: Value = serde_json::from_slice(&header_bytes)
        .map_err(|e| R::Malformed(log_safe(&format!("header is not JSON: {e}"))))?;
    let Value::Object(header) = header else {
        return Err(R::Malformed("header is not a JSON object".into()));
    };
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => {}
        Some(Value::String(alg)) => return Err(R::UnsupportedAlgorithm(log_safe(alg))),
        Some(_) => return Err(R::Malformed("header `alg` is not a string".into())),
        None => return Err(R::Malformed("header has no `alg`".into())),
    }
    if header.contains_key("crit") {
        return Err(R::Malformed("critical header extensions are not supported".into()));
    }
    let kid = match header.get("kid") {
        None => DEFAULT_KID,
        Some(Value::String(kid)) => kid.as_str(),
        Some(_) => return Err(R::Malformed("header `kid` is not a string".into())),
    };
    let secret = ring.secret(kid).ok_or_else(|| R::UnknownKid(log_safe(kid)))?;

    // 2. Signature (and payload decoding), by jsonwebtoken. All of its own
    //    claim validation is off: we check claims below with our clock.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret), &validation).map_err(|e| {
        match e.kind() {
            JwtErrorKind::InvalidSignature => R::BadSignature,
            // Bad base64 or JSON in the payload or signature (the
            // header's `alg` was already checked above).
            _ => R::Malformed(log_safe(&e.to_string())),
        }
    })?;
    let Value::Object(claims) = data.claims else {
        return Err(R::Malformed("claims are not a JSON object".into()));
    };

    // 3. Claims: presence and types.
    let sub = required_str(&claims, "sub")?;
    if sub.is_empty() {
        return Err(R::Malformed("claim `sub` is empty".into()));
    }
    let exp = required(&claims, "exp").and_then(|v| numeric_date(v, "exp"))?;
    let aud_claim = required(&claims, "aud")?;
    let pkey = required_str(&claims, "pkey")?;
    let staff = optional_bool(&claims, "staff")?;
    let superuser = optional_bool(&claims, "superuser")?;
    let perms = match claims.get("perms") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| p.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| R::Malformed("claim `perms` is not a list of strings".into()))?,
        Some(_) => return Err(R::Malformed("claim `perms` is not a list".into())),
    };
    let iat = claims.get("iat").map(|v| numeric_date(v, "iat")).transpose()?;
    let nbf = claims.get("nbf").map(|v| numeric_date(v, "nbf")).transpose()?;

    // 4. Time, with the caller's clock.
    if now_unix >= exp.saturating_add(LEEWAY_SECS) {
        return Err(R::Expired);
    }
    let latest_start = now_unix.saturating_add(LEEWAY_SECS);
    if nbf.is_some_and(|nbf| nbf > latest_start) || iat.is_some_and(|iat| iat > latest_start) {
        return Err(R::NotYetValid);
    }

    // 5. Audience: a string, or an array that must contain it.
    let audience_ok = match aud_claim {
        Value::String(aud) => aud == audience,
        Value::Array(auds) => {
            if auds.iter().any(|a| !a.is_string()) {
                return Err(R::Malformed("claim `aud` is not a list of strings".into()));
            }
            auds.iter().any(|a| a.as_str() == Some(audience))
        }
        _ => return Err(R::Malformed("claim `aud` is not a string".into())),
    };
    if !audience_ok {
        return Err(R::WrongAudience);
    }

    // 6. pkey must describe the token's own permission state.
    if permission_key(&perms, staff, superuser) != pkey {
        return Err(R::PkeyMismatch);
    }

    Ok(Claims {
        sub: sub.to_owned(),
        staff,
        superuser,
        perms,
        pkey: pkey.to_owned(),
        aud: audience.to_owned(),
        iat,
        nbf,
        exp,
    })
}

fn required<'a>(claims: &'a Map<String, Value>, name: &'static str) -> std::result::Result<&'a Value, MwtRejection> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(MwtRejection::MissingClaim(name)),
        Some(v) => Ok(v),
    }
}

fn required_str<'a>(claims: &'a Map<String, Value>, name: &'static str) -> std::result::Result<&'a str, MwtRejection> {
    required(claims, name)?
        .as_str()
        .ok_or_else(|| MwtRejection::Malformed(format!("claim `{name}` is not a string")))
}

fn optional_bool(claims: &Map<String, Value>, name: &'static str) -> std::result::Result<bool, MwtRejection> {
    match claims.get(name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(MwtRejection::Malformed(format!("claim `{name}` is not a boolean"))),
    }
}

/// A NumericDate as whole, non-negative seconds.
fn numeric_date(v: &Value, name: &'static str) -> std::result::Result<u64, MwtRejection> {
    v.as_u64()
        .ok_or_else(|| MwtRejection::Malformed(format!("claim `{name}` is not a non-negative integer")))
}

/// Strict unpadded base64url (RFC 4648 §5, as JWS requires): rejects padding,
/// other alphabets, impossible lengths and non-zero trailing bits (the
/// `base64` crate's `URL_SAFE_NO_PAD` engine does all four).
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()
}

/// Attacker-controlled text (a `kid`, an `alg`) as it may appear in a
/// rejection, which adapters log: control characters and quotes escaped
/// (`\n`, `\u{1b}`), at most 64 characters, so a token cannot forge log
/// lines or flood the log.
fn log_safe(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut out: String = text.chars().take(MAX_CHARS).flat_map(char::escape_debug).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(base64url_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64url_decode("Zg").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64url_decode("Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64url_decode("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(base64url_decode("-_-_").as_deref(), Some(&[0xfb, 0xff, 0xbf][..]));
        assert_eq!(base64url_decode("Zg=="), None);
        assert_eq!(base64url_decode("Zh"), None, "non-zero trailing bits");
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("+/+/"), None);
    }

    #[test]
    fn permission_key_sorts_perms() {
        let a = permission_key(&["b", "a"], true, false);
        assert_eq!(a, permission_key(&["a", "b"], true, false));
        assert_ne!(a, permission_key(&["a", "b"], false, false));
        // sha256('{"perms":[],"staff":false,"superuser":false}')
        let empty: [&str; 0] = [];
        assert_eq!(
            permission_key(&empty, false, false),
            hex::encode(Sha256::digest(br#"{"perms":[],"staff":false,"superuser":false}"#))
        );
    }

    #[test]
    fn key_ring_debug_hides_secrets() {
        let ring = KeyRing::single("super-secret");
        let dbg = format!("{ring:?}");
        assert!(dbg.contains("default") && !dbg.contains("super-secret"));
    }
}
