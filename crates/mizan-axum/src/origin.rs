//! Cross-origin requests (SPEC §3.3). A browser sends `multipart/form-data`
//! posts and WebSocket upgrades to any site without a CORS preflight, with
//! the user's cookies, so `POST /call/` and the `/ws/` upgrade check the
//! `Origin` header before identity, body or function:
//!
//! * no `Origin` (curl, server to server, native clients): allowed, unless
//!   the browser says `Sec-Fetch-Site: cross-site`;
//! * `Origin` equal to one of the application's
//!   [`allowed_origins`](crate::MizanStateBuilder::allowed_origins)
//!   (scheme, host and port): allowed;
//! * `Origin` whose host and port are the request's own (`Host`, or the
//!   HTTP/2 `:authority`) with an `http`/`https` scheme: allowed — the
//!   scheme is not compared, because behind a TLS-terminating proxy the
//!   server cannot tell which one the browser used — unless the browser
//!   itself says `Sec-Fetch-Site: cross-site` (which it does for the same
//!   host under another scheme);
//! * anything else — another origin, `null`, a malformed value, two
//!   `Origin` headers, an `Origin` with no `Host` to compare it with — is
//!   refused: 403 `FORBIDDEN` with a message saying why.
//!
//! Default ports are implied (`https://a` is `https://a:443`), letters are
//! compared case-insensitively, nothing else is normalised: no wildcards,
//! no suffix matching. This module only reads headers; it never reads a
//! body, trusts `X-Forwarded-*`, or logs a header unescaped.

use crate::Error;
use axum::http::{HeaderMap, Uri, header};

/// The origins a state allows besides the request's own.
#[derive(Debug, Clone, Default)]
pub(crate) struct OriginPolicy {
    allowed: Vec<SiteOrigin>,
}

/// `scheme://host[:port]`, lower case, with its effective port (explicit,
/// else the scheme's default when it has one).
#[derive(Debug, Clone, PartialEq, Eq)]
struct SiteOrigin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl SiteOrigin {
    /// RFC 6454's serialization: `scheme "://" host [":" port]`, nothing
    /// more (no path, no trailing slash, no user info). ASCII only:
    /// browsers send international names as punycode.
    fn parse(text: &str) -> Option<SiteOrigin> {
        let (scheme, authority) = text.split_once("://")?;
        let mut chars = scheme.chars();
        let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        let (host, port) = parse_authority(authority)?;
        let port = port.or_else(|| default_port(&scheme));
        Some(SiteOrigin { scheme, host, port })
    }
}

impl std::fmt::Display for SiteOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Some(port) if Some(port) != default_port(&self.scheme) => write!(f, ":{port}"),
            _ => Ok(()),
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// `host[:port]` (a `Host` header, or an origin after its scheme): the host
/// lower-cased, the explicit port if any. A registered name or IPv4
/// address (`A-Z a-z 0-9 - . _`), or an IPv6 literal in brackets.
fn parse_authority(text: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if text.starts_with('[') {
        let end = text.find(']')? + 1;
        let (host, after) = text.split_at(end);
        let inside = &host[1..end - 1];
        if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.')) {
            return None;
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        let (host, port) = match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return None;
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(digits) if (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

impl OriginPolicy {
    /// Adds `origin` to the allowed list.
    ///
    /// # Panics
    ///
    /// When `origin` is not an exact origin: a configuration error, found
    /// when the server starts.
    pub(crate) fn allow(&mut self, origin: &str) {
        let parsed = match origin.trim() {
            "null" => None,
            text => SiteOrigin::parse(text),
        };
        match parsed {
            Some(parsed) => {
                if !self.allowed.contains(&parsed) {
                    self.allowed.push(parsed);
                }
            }
            None => panic!(
                "allowed_origins: `{}` is not an exact origin; write scheme://host[:port], e.g. \
                 `https://app.example.com` (no path, no trailing slash, no wildcard, never `null`)",
                origin.escape_debug()
            ),
        }
    }

    /// Whether a request with these headers may call or open a socket:
    /// `Ok` or the [`Error::CrossOrigin`] to answer with.
    pub(crate) fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), Error> {
        let cross_site = headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        let mut values = headers.get_all(header::ORIGIN).iter();
        let Some(value) = values.next() else {
            if cross_site {
                return Err(refuse(
                    "`Sec-Fetch-Site: cross-site` without an allowed `Origin`".to_owned(),
                ));
            }
            return Ok(());
        };
        if values.next().is_some() {
            return Err(refuse("the request has more than one `Origin` header".to_owned()));
        }
        let text = value.to_str().unwrap_or_default();
        if text == "null" {
            return Err(refuse(
                "`Origin: null` (a sandboxed frame, a local file, a cross-site redirect) is never allowed".to_owned(),
            ));
        }
        let Some(origin) = SiteOrigin::parse(text) else {
            return Err(refuse(format!(
                "`Origin: {}` is not a valid origin (scheme://host[:port])",
                shown(value.as_bytes())
            )));
        };
        if self.allowed.contains(&origin) {
            return Ok(());
        }
        let Some((host, port)) = own_authority(headers, uri) else {
            return Err(refuse(format!(
                "origin `{origin}` is not allowed, and the request has no `Host` (or an invalid one) to compare it with"
            )));
        };
        let own = matches!(origin.scheme.as_str(), "http" | "https")
            && origin.host == host
            && origin.port == port.or_else(|| default_port(&origin.scheme));
        match (own, cross_site) {
            (true, false) => Ok(()),
            (true, true) => Err(refuse(format!(
                "the browser reports `Sec-Fetch-Site: cross-site` (another scheme?) and origin `{origin}` is not one of the allowed origins"
            ))),
            (false, _) => Err(refuse(format!(
                "origin `{origin}` is neither this server's own (`{}`) nor one of its allowed origins",
                shown_host(&host, port)
            ))),
        }
    }
}

/// The request's own `host[:port]`: the URI's authority (HTTP/2
/// `:authority`, an absolute-form request line), else the one `Host`
/// header.
fn own_authority(headers: &HeaderMap, uri: &Uri) -> Option<(String, Option<u16>)> {
    if let Some(authority) = uri.authority() {
        return parse_authority(authority.as_str());
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = hosts.next()?;
    if hosts.next().is_some() {
        return None;
    }
    parse_authority(host.to_str().ok()?)
}

fn shown_host(host: &str, port: Option<u16>) -> String {
    match port {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// A header value as text safe to echo: escaped, at most 100 characters.
fn shown(bytes: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(bytes).chars().take(100).collect();
    text.escape_debug().to_string()
}

fn refuse(reason: String) -> Error {
    tracing::info!(reason = %reason.escape_debug(), "cross-origin request refused");
    Error::CrossOrigin { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_as_browsers_serialize_them() {
        let o = |s: &str| SiteOrigin::parse(s).map(|o| o.to_string());
        assert_eq!(o("https://App.Example.com").as_deref(), Some("https://app.example.com"));
        assert_eq!(o("https://a.example:443").as_deref(), Some("https://a.example"));
        assert_eq!(o("http://a.example:8080").as_deref(), Some("http://a.example:8080"));
        assert_eq!(o("http://[::1]:5173").as_deref(), Some("http://[::1]:5173"));
        assert_eq!(o("tauri://localhost").as_deref(), Some("tauri://localhost"));
        for bad in [
            "",
            "null",
            "a.example",
            "https://",
            "https://a.example/",
            "https://a.example/path",
            "https://*.a.example",
            "https://u@a.example",
            "https://a.example:",
            "https://a.example:99999",
            "https://a.example:8x",
            "https://[::1",
            "https://[]:80",
            "1http://a",
            "https://a b",
        ] {
            assert_eq!(o(bad), None, "{bad:?}");
        }
    }

    #[test]
    #[should_panic(expected = "not an exact origin")]
    fn a_wildcard_is_a_configuration_error() {
        OriginPolicy::default().allow("https://*.example.com");
    }

    #[test]
    #[should_panic(expected = "never `null`")]
    fn null_cannot_be_allowed() {
        OriginPolicy::default().allow("null");
    }
}
