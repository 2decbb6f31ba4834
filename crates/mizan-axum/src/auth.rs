//! Who is calling: the authenticator chain, run on the request headers
//! before the body is read and before any server function runs.
//!
//! The chain is the built-in [`MwtAuthenticator`] (`X-Mizan-Token`, SPEC
//! §7) followed by the application's authenticators in the order they were
//! added (typically one [`BearerAuthenticator`] for `Authorization: Bearer`).
//! Each one either finds no credential it understands
//! ([`AuthOutcome::Absent`], the next one is asked), accepts it, or rejects
//! it. A rejection is final: 401, never a fallback to the next scheme or to
//! anonymous. Nobody presenting anything is anonymous.
//!
//! This module decides *who* the caller is, never *what they may do*: auth
//! levels, predicates and privacy are checked by `mizan`'s dispatcher.

use crate::Error;
use axum::http::{HeaderMap, HeaderName};
use futures::future::BoxFuture;
use mizan::Principal;
use mizan_core::mwt::{self, DEFAULT_AUDIENCE, KeyRing};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// The MWT header (lower case, as `http` header names are).
pub const TOKEN_HEADER: &str = "x-mizan-token";

static TOKEN: HeaderName = HeaderName::from_static(TOKEN_HEADER);

/// What one authenticator concluded about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// No credential this authenticator understands: ask the next one.
    Absent,
    /// A valid credential.
    Authenticated(Principal),
    /// A credential this authenticator understands, and it is invalid: 401,
    /// no fallback. The reason is logged, never sent to the client.
    Rejected(String),
}

/// A pluggable way to identify callers from request headers.
pub trait Authenticator: Send + Sync + 'static {
    /// Short name for logs (`mwt`, `bearer`, ...).
    fn scheme(&self) -> &'static str;

    /// Looks at the headers and says who is calling.
    fn authenticate<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, AuthOutcome>;
}

/// The built-in MWT check: `X-Mizan-Token` verified against a key ring
/// (a token without `kid` uses the `default` key) for an audience
/// (default `mizan`). With an empty key ring every token is rejected.
#[derive(Debug, Clone)]
pub struct MwtAuthenticator {
    keys: KeyRing,
    audience: String,
}

impl MwtAuthenticator {
    /// Verifies tokens with `keys` for the default audience `mizan`. Logs a
    /// warning for every key shorter than [`mwt::MIN_SECRET_LEN`] bytes.
    pub fn new(keys: KeyRing) -> Self {
        for kid in keys.weak_kids() {
            tracing::warn!(
                kid,
                min_bytes = mwt::MIN_SECRET_LEN,
                "MWT secret is shorter than {} bytes: tokens signed with it can be brute-forced offline",
                mwt::MIN_SECRET_LEN
            );
        }
        MwtAuthenticator {
            keys,
            audience: DEFAULT_AUDIENCE.to_owned(),
        }
    }

    /// Expects `audience` in `aud` instead of `mizan`.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// The synchronous check (no I/O): what [`Authenticator::authenticate`]
    /// returns.
    pub fn check(&self, headers: &HeaderMap) -> AuthOutcome {
        let Some(value) = headers.get(&TOKEN) else {
            return AuthOutcome::Absent;
        };
        if headers.get_all(&TOKEN).iter().nth(1).is_some() {
            return AuthOutcome::Rejected("more than one X-Mizan-Token header".to_owned());
        }
        let Ok(token) = value.to_str() else {
            return AuthOutcome::Rejected("X-Mizan-Token is not visible ASCII".to_owned());
        };
        match mwt::verify(&self.keys, token.trim(), &self.audience, mwt::unix_now()) {
            Ok(claims) => AuthOutcome::Authenticated(Principal::from_claims(&claims)),
            Err(rejection) => AuthOutcome::Rejected(format!("{} ({rejection})", rejection.code())),
        }
    }
}

impl Authenticator for MwtAuthenticator {
    fn scheme(&self) -> &'static str {
        "mwt"
    }

    fn authenticate<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, AuthOutcome> {
        Box::pin(std::future::ready(self.check(headers)))
    }
}

/// Application tokens in `Authorization: Bearer <token>`, checked by an
/// async function returning the principal, or `None` to reject (401).
/// Other `Authorization` schemes are not this authenticator's business
/// ([`AuthOutcome::Absent`]).
pub struct BearerAuthenticator<F> {
    check: F,
}

impl<F> fmt::Debug for BearerAuthenticator<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerAuthenticator")
    }
}

impl<F, Fut> BearerAuthenticator<F>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Principal>> + Send + 'static,
{
    /// Checks bearer tokens with `check`.
    pub fn new(check: F) -> Self {
        BearerAuthenticator { check }
    }
}

impl<F, Fut> Authenticator for BearerAuthenticator<F>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Principal>> + Send + 'static,
{
    fn scheme(&self) -> &'static str {
        "bearer"
    }

    fn authenticate<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, AuthOutcome> {
        let token = match bearer_token(headers) {
            Ok(Some(token)) => token,
            Ok(None) => return Box::pin(std::future::ready(AuthOutcome::Absent)),
            Err(reason) => return Box::pin(std::future::ready(AuthOutcome::Rejected(reason))),
        };
        let verdict = (self.check)(token);
        Box::pin(async move {
            match verdict.await {
                Some(principal) => AuthOutcome::Authenticated(principal),
                None => AuthOutcome::Rejected("the application rejected the bearer token".to_owned()),
            }
        })
    }
}

/// The bearer token, `None` without a Bearer `Authorization` header, an
/// error for an unusable one.
fn bearer_token(headers: &HeaderMap) -> Result<Option<String>, String> {
    let mut values = headers.get_all(axum::http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let is_bearer = bytes.len() >= 7 && bytes[..7].eq_ignore_ascii_case(b"bearer ");
    if !is_bearer {
        return Ok(None);
    }
    if values.next().is_some() {
        return Err("more than one Authorization header".to_owned());
    }
    let token = std::str::from_utf8(&bytes[7..])
        .map_err(|_| "the bearer token is not UTF-8".to_owned())?
        .trim();
    if token.is_empty() {
        return Err("empty bearer token".to_owned());
    }
    Ok(Some(token.to_owned()))
}

/// MWT first, then the application's authenticators.
#[derive(Clone)]
pub(crate) struct AuthChain {
    pub(crate) mwt: MwtAuthenticator,
    pub(crate) others: Vec<Arc<dyn Authenticator>>,
}

impl fmt::Debug for AuthChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let schemes: Vec<&str> = self.others.iter().map(|a| a.scheme()).collect();
        f.debug_struct("AuthChain")
            .field("mwt", &self.mwt)
            .field("others", &schemes)
            .finish()
    }
}

impl AuthChain {
    /// The caller: `Ok(None)` for anonymous, `Err` (401) for a rejected
    /// credential.
    pub(crate) async fn identify(&self, headers: &HeaderMap) -> Result<Option<Principal>, Error> {
        let mut outcome = (self.mwt.scheme(), self.mwt.check(headers));
        for other in &self.others {
            if outcome.1 != AuthOutcome::Absent {
                break;
            }
            outcome = (other.scheme(), other.authenticate(headers).await);
        }
        match outcome {
            (_, AuthOutcome::Absent) => Ok(None),
            (_, AuthOutcome::Authenticated(principal)) => Ok(Some(principal)),
            (scheme, AuthOutcome::Rejected(reason)) => {
                // A `&str` field, so log formatters escape it: the reason
                // may quote attacker text.
                tracing::info!(scheme, reason = reason.as_str(), "credential rejected");
                Err(Error::Unauthorized { scheme, reason })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_tokens_are_parsed_strictly() {
        assert_eq!(bearer_token(&headers(&[])), Ok(None));
        assert_eq!(bearer_token(&headers(&[("authorization", "Basic abc")])), Ok(None));
        assert_eq!(
            bearer_token(&headers(&[("authorization", "bearer  t1 ")])),
            Ok(Some("t1".into()))
        );
        assert!(bearer_token(&headers(&[("authorization", "Bearer ")])).is_err());
        assert!(
            bearer_token(&headers(&[
                ("authorization", "Bearer a"),
                ("authorization", "Bearer b")
            ]))
            .is_err()
        );
    }

    #[test]
    fn mwt_rejects_duplicates_and_garbage_and_accepts_minted_tokens() {
        let keys = KeyRing::single("s3cret");
        let mwt = MwtAuthenticator::new(keys.clone());
        assert_eq!(mwt.check(&headers(&[])), AuthOutcome::Absent);
        assert!(matches!(
            mwt.check(&headers(&[(TOKEN_HEADER, "x.y.z")])),
            AuthOutcome::Rejected(_)
        ));
        let token = mwt::mint(&keys, &mwt::MintRequest::new("5"), mwt::unix_now()).unwrap();
        assert_eq!(
            mwt.check(&headers(&[(TOKEN_HEADER, &token)])),
            AuthOutcome::Authenticated(Principal::user("5"))
        );
        assert!(matches!(
            mwt.check(&headers(&[(TOKEN_HEADER, &token), (TOKEN_HEADER, &token)])),
            AuthOutcome::Rejected(_)
        ));
        let other_audience = MwtAuthenticator::new(keys).with_audience("other");
        assert!(matches!(
            other_audience.check(&headers(&[(TOKEN_HEADER, &token)])),
            AuthOutcome::Rejected(_)
        ));
    }
}
