//! Who may use web mode (SPEC §11.1): the person who started it, and no web
//! page they happen to visit. Web mode serves functions that open folders,
//! run a project's IR command and write files, so every request passes two
//! checks, the way Jupyter Server and Vite's dev server guard theirs:
//!
//! * **`Host`** must be one this studio is reached by (`127.0.0.1:PORT`,
//!   `localhost:PORT`, `[::1]:PORT`; with `--public` also the bound address
//!   and each `--allow-host`): a page on `evil.example` whose name was
//!   rebound to 127.0.0.1 (DNS rebinding) sends its own name and is refused
//!   with 403.
//! * **The launch secret**, printed in the URL (`/?token=SECRET`): the page
//!   trades it for an `HttpOnly; SameSite=Strict` cookie and a redirect that
//!   drops it from the address bar. Every other request needs that cookie
//!   or `Authorization: Bearer SECRET` (scripts), else 401. The cookie is
//!   named after the port: cookies ignore ports, and two studios on one
//!   machine must not log each other out.
//!
//! Cross-origin calls and WebSocket upgrades (a page on another origin that
//! the browser would send the cookie from) are refused by `mizan-axum`'s
//! `Origin` check (SPEC §3.3), whose default allows only the studio's own
//! origin. The secret is never logged, and never reaches the studio's
//! functions (the `Authorization` header is dropped once checked).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mizan::MizanError;
use std::net::SocketAddr;
use std::sync::Arc;

/// The query parameter of the printed URL.
const TOKEN_PARAM: &str = "token";

/// What the guard knows: the secret and the `Host` values it serves.
#[derive(Debug)]
pub struct Guard {
    secret: String,
    cookie: String,
    hosts: Vec<String>,
}

impl Guard {
    /// A guard for a studio listening on `bound`, with `secret`; `extra`
    /// are the `--allow-host` names (and the bound address is served too)
    /// when `public`.
    pub fn new(secret: String, bound: SocketAddr, public: bool, extra: &[String]) -> Guard {
        let port = bound.port();
        let mut hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ];
        if public {
            hosts.push(bound.to_string());
            for name in extra {
                hosts.push(if name.contains(':') && !name.starts_with('[') {
                    name.clone()
                } else {
                    format!("{name}:{port}")
                });
            }
        }
        for h in &mut hosts {
            h.make_ascii_lowercase();
        }
        hosts.dedup();
        Guard {
            secret,
            cookie: format!("mizan_studio_{port}"),
            hosts,
        }
    }

    /// The URL to print: `http://HOST:PORT/?token=SECRET`, where HOST is
    /// the bound address, or 127.0.0.1 when it binds every address.
    pub fn url(&self, bound: SocketAddr) -> String {
        let shown = if bound.ip().is_unspecified() {
            SocketAddr::new([127, 0, 0, 1].into(), bound.port())
        } else {
            bound
        };
        format!("http://{shown}/?{TOKEN_PARAM}={}", self.secret)
    }

    /// Whether `Host` names this studio.
    fn host_allowed(&self, headers: &HeaderMap) -> Result<(), String> {
        let host = headers
            .get(header::HOST)
            .map(|h| String::from_utf8_lossy(h.as_bytes()).to_ascii_lowercase());
        match host {
            Some(h) if self.hosts.contains(&h) => Ok(()),
            Some(h) => Err(format!(
                "Host `{h}` is not served here; this studio answers only to {} \
                 (a page reaching it under another name is refused: DNS rebinding)",
                self.hosts.join(", ")
            )),
            None => Err("a Host header is required".into()),
        }
    }

    /// Whether the request carries the secret: the cookie or a bearer.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == self.cookie && same(value, &self.secret));
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|token| same(token.trim(), &self.secret));
        cookie || bearer
    }

    /// The token of `/?token=…`, if the query has one.
    fn offered_token(query: Option<&str>) -> Option<String> {
        form_urlencoded::parse(query?.as_bytes())
            .find(|(k, _)| k == TOKEN_PARAM)
            .map(|(_, v)| v.into_owned())
    }
}

/// Compares without stopping at the first difference (the secret's
/// length is not secret).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The middleware: Host, then the token exchange, then the secret.
pub async fn check(State(guard): State<Arc<Guard>>, mut request: Request, next: Next) -> Response {
    if let Err(reason) = guard.host_allowed(request.headers()) {
        return refuse(StatusCode::FORBIDDEN, &reason);
    }
    if let Some(offered) = Guard::offered_token(request.uri().query()) {
        if !same(&offered, &guard.secret) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this token is not the one mizan-studio printed when it started (open the URL it printed)",
            );
        }
        // Trade it for the cookie, and take it out of the address bar.
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SEE_OTHER;
        let headers = response.headers_mut();
        headers.insert(header::LOCATION, HeaderValue::from_static("/"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Strict", guard.cookie, guard.secret);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(header::SET_COOKIE, value);
        }
        return response;
    }
    if !guard.authorized(request.headers()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "this studio needs its launch token: open the URL mizan-studio printed \
             (http://…/?token=…), or send Authorization: Bearer <token>",
        );
    }
    request.headers_mut().remove(header::AUTHORIZATION);
    next.run(request).await
}

/// A refusal: the reason in one line, in the SPEC's error envelope
/// (`mizan-axum` builds it, `Cache-Control: no-store` included), which a
/// person opening the page in a tab reads as well.
fn refuse(status: StatusCode, reason: &str) -> Response {
    let message = format!("mizan-studio: {reason}");
    let error = if status == StatusCode::FORBIDDEN {
        MizanError::forbidden(message)
    } else {
        MizanError::unauthorized(message)
    };
    mizan_axum::Error::from(error).into_response()
}

/// A new secret: 32 random bytes, hex.
pub fn new_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| std::io::Error::other(format!("no randomness for the launch secret: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Checks a secret given in `MIZAN_STUDIO_TOKEN`: it goes into a URL and a
/// cookie, so only `A-Z a-z 0-9 - _ . ~`, 1 to 256 of them.
pub fn check_given_secret(secret: &str) -> Result<(), String> {
    let ok = !secret.is_empty()
        && secret.len() <= 256
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
    if ok {
        Ok(())
    } else {
        Err("MIZAN_STUDIO_TOKEN must be 1 to 256 characters of A-Z a-z 0-9 - _ . ~".into())
    }
}

/// Writes `url` to `path`, readable by its owner only (0600), atomically.
pub fn write_token_file(path: &std::path::Path, url: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".mizan-studio-token")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::Write::write_all(&mut tmp, format!("{url}\n").as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_the_studios_own_names_are_served() {
        let bound: SocketAddr = "127.0.0.1:7766".parse().unwrap();
        let g = Guard::new("s".into(), bound, false, &["box.lan".into()]);
        for ok in ["127.0.0.1:7766", "localhost:7766", "LOCALHOST:7766", "[::1]:7766"] {
            assert!(g.host_allowed(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example:7766",
            "127.0.0.1:7767",
            "localhost",
            "box.lan:7766",
            "127.0.0.1.evil:7766",
        ] {
            let e = g.host_allowed(&headers(&[("host", bad)])).unwrap_err();
            assert!(e.contains("DNS rebinding"), "{bad}: {e}");
        }
        assert!(g.host_allowed(&headers(&[])).is_err());
        // --public adds the bound address and the names asked for.
        let bound: SocketAddr = "0.0.0.0:7766".parse().unwrap();
        let g = Guard::new("s".into(), bound, true, &["box.lan".into(), "other:9000".into()]);
        for ok in ["0.0.0.0:7766", "box.lan:7766", "other:9000", "localhost:7766"] {
            assert!(g.host_allowed(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        assert_eq!(g.url(bound), "http://127.0.0.1:7766/?token=s");
    }

    #[test]
    fn the_secret_is_the_cookie_of_this_port_or_a_bearer() {
        let bound: SocketAddr = "127.0.0.1:7766".parse().unwrap();
        let g = Guard::new("abc123".into(), bound, false, &[]);
        assert!(g.authorized(&headers(&[("cookie", "x=1; mizan_studio_7766=abc123")])));
        assert!(g.authorized(&headers(&[("authorization", "Bearer abc123")])));
        assert!(
            !g.authorized(&headers(&[("cookie", "mizan_studio_7767=abc123")])),
            "another port's cookie"
        );
        assert!(!g.authorized(&headers(&[("cookie", "mizan_studio_7766=abc12")])));
        assert!(!g.authorized(&headers(&[("cookie", "mizan_studio_7766=abc1234")])));
        assert!(!g.authorized(&headers(&[("authorization", "Basic abc123")])));
        assert!(!g.authorized(&headers(&[])));
    }

    #[test]
    fn secrets() {
        let a = new_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret().unwrap());
        assert!(check_given_secret(&a).is_ok());
        assert!(check_given_secret("").is_err());
        assert!(check_given_secret("a b").is_err());
        assert!(check_given_secret("a;b").is_err());
        assert!(check_given_secret(&"a".repeat(257)).is_err());
    }
}
