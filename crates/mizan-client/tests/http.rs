//! The HTTP transport against a scripted HTTP/1.1 server on loopback: the
//! exact requests it sends (paths, query strings, bodies, CSRF and custom
//! headers, cookies) and how answers and error envelopes come back.

#![cfg(feature = "http")]

use mizan_client::transport::HttpTransport;
use mizan_client::{ErrorCode, Invalidation, MizanClient, Params, RetryPolicy};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A server answering each request with the next scripted
/// `(status, extra headers, body)`.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn serve(script: Vec<(u16, &'static str, &'static str)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}/api/mizan", listener.local_addr().expect("addr"));
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = Arc::clone(&seen);
    let mut script: VecDeque<_> = script.into();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((n, v)) = h.trim_end().split_once(':') {
                    headers.push((n.trim().to_owned(), v.trim().to_owned()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            log.lock().unwrap().push(Seen {
                line: line.trim_end().to_owned(),
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let (status, extra, body) = script.pop_front().unwrap_or((500, "", "no more answers"));
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    Server { base, seen }
}

fn params(v: Value) -> Params {
    match v {
        Value::Object(m) => m,
        _ => Params::new(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn speaks_the_wire_protocol() {
    let server = serve(vec![
        (200, "Set-Cookie: sessionid=abc; Path=/\r\n", r#"{"csrfToken":"tok"}"#),
        (
            200,
            "",
            r#"{"result":{"total":3},"invalidate":["stats",{"context":"user","params":{"user_id":5}}]}"#,
        ),
        (200, "", r#"{"user_profile":{"name":"x"}}"#),
    ]);
    let transport = HttpTransport::new(&format!("{}/", server.base))
        .unwrap()
        .header("X-Mizan-Token", "mwt");
    let client = MizanClient::new(transport);
    let rt = runtime();
    let resp = rt
        .block_on(client.call("add", params(json!({"a": 1, "b": 2}))))
        .unwrap();
    assert_eq!(resp.result, json!({"total": 3}));
    assert_eq!(
        resp.invalidate,
        vec![
            Invalidation::broad("stats"),
            Invalidation::scoped("user", params(json!({"user_id": 5})))
        ]
    );
    let data = rt
        .block_on(client.fetch("user", params(json!({"user_id": 5, "q": "a b;c", "none": null}))))
        .unwrap();
    assert_eq!(data, params(json!({"user_profile": {"name": "x"}})));

    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen[0].line, "GET /api/mizan/session/ HTTP/1.1");
    assert_eq!(seen[1].line, "POST /api/mizan/call/ HTTP/1.1");
    assert_eq!(
        serde_json::from_str::<Value>(&seen[1].body).unwrap(),
        json!({"fn": "add", "args": {"a": 1, "b": 2}})
    );
    assert_eq!(seen[1].header("X-CSRFToken"), Some("tok"));
    assert_eq!(seen[1].header("Content-Type"), Some("application/json"));
    assert_eq!(
        seen[1].header("Cookie"),
        Some("sessionid=abc"),
        "the session cookie is kept"
    );
    assert_eq!(seen[2].line, "GET /api/mizan/ctx/user/?q=a%20b%3Bc&user_id=5 HTTP/1.1");
    for s in &seen {
        assert_eq!(s.header("X-Mizan-Token"), Some("mwt"));
    }
}

#[test]
fn error_envelopes_become_typed_errors() {
    let server = serve(vec![
        (200, "", r#"{"csrfToken":null}"#),
        (
            422,
            "",
            r#"{"error":{"code":"VALIDATION_ERROR","message":"invalid arguments","details":{"fields":{"a":["required"]}}}}"#,
        ),
        (401, "", r#"{"error":{"code":"UNAUTHORIZED","message":"sign in"}}"#),
        (200, "", "not json"),
    ]);
    let client = MizanClient::http(&server.base).unwrap();
    let rt = runtime();
    let err = rt.block_on(client.call("add", Params::new())).unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(err.status, Some(422));
    assert_eq!(err.field_errors(), vec![("a".to_owned(), vec!["required".to_owned()])]);
    let err = rt.block_on(client.call("ping_admin", Params::new())).unwrap_err();
    assert_eq!((err.code, err.message.as_str()), (ErrorCode::Unauthorized, "sign in"));
    let err = rt.block_on(client.fetch("items", Params::new())).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadResponse);
    let seen = server.seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        4,
        "a 4xx is never retried, and the session is initialised once"
    );
    assert_eq!(seen[1].header("X-CSRFToken"), None, "no token, no header");
}

#[test]
fn fetches_retry_on_5xx_calls_never_do() {
    let server = serve(vec![
        (502, "", "<html>bad gateway</html>"),
        (503, "", r#"{"error":{"code":"INTERNAL_ERROR","message":"busy"}}"#),
        (200, "", r#"{"items_list":[]}"#),
        (200, "", r#"{"csrfToken":null}"#),
        (
            500,
            "",
            r#"{"error":{"code":"INTERNAL_ERROR","message":"handler failed"}}"#,
        ),
    ]);
    let fast = RetryPolicy {
        base_delay: Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let client = MizanClient::builder(HttpTransport::new(&server.base).unwrap())
        .retry(fast)
        .build();
    let rt = runtime();
    let data = rt.block_on(client.fetch("items", Params::new())).unwrap();
    assert_eq!(data, params(json!({"items_list": []})));
    let err = rt.block_on(client.call("bump_counter", Params::new())).unwrap_err();
    assert_eq!((err.code, err.status), (ErrorCode::InternalError, Some(500)));
    let lines: Vec<String> = server.seen.lock().unwrap().iter().map(|s| s.line.clone()).collect();
    assert_eq!(
        lines,
        [
            "GET /api/mizan/ctx/items/ HTTP/1.1",
            "GET /api/mizan/ctx/items/ HTTP/1.1",
            "GET /api/mizan/ctx/items/ HTTP/1.1",
            "GET /api/mizan/session/ HTTP/1.1",
            "POST /api/mizan/call/ HTTP/1.1"
        ]
    );
}

#[test]
fn an_unreachable_server_is_a_network_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = MizanClient::builder(HttpTransport::new(&format!("http://127.0.0.1:{port}/api/mizan")).unwrap())
        .retry(RetryPolicy::NEVER)
        .build();
    let err = runtime().block_on(client.fetch("items", Params::new())).unwrap_err();
    assert_eq!(err.code, ErrorCode::NetworkError);
    assert!(err.is_retryable());
}

#[test]
fn uploads_go_as_multipart_and_calls_carry_the_client_id() {
    let server = serve(vec![
        (200, "", r#"{"csrfToken":null}"#),
        (200, "", r#"{"result":{"size":7},"invalidate":[]}"#),
        (200, "", r#"{"result":null,"invalidate":[]}"#),
    ]);
    let client = MizanClient::http(&server.base).unwrap();
    let rt = runtime();
    let file = mizan_client::Upload::new("a b.png", "image/png", b"\x00\x01hello".to_vec());
    let args = params(json!({"user_id": 5, "file": file, "note": "x"}));
    rt.block_on(client.call_with_uploads("upload_avatar", args, &["file"]))
        .unwrap();
    // An optional upload left out is a plain JSON call.
    let args = params(json!({"user_id": 5, "file": null}));
    rt.block_on(client.call_with_uploads("upload_avatar", args, &["file"]))
        .unwrap();

    let seen = server.seen.lock().unwrap().clone();
    let multipart = &seen[1];
    let content_type = multipart.header("Content-Type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let parts: Vec<&str> = multipart
        .body
        .split(&format!("--{boundary}"))
        .filter(|p| !p.trim().is_empty() && p.trim() != "--")
        .collect();
    assert_eq!(parts.len(), 2, "{parts:?}");
    let (envelope_head, envelope_body) = parts[0].split_once("\r\n\r\n").unwrap();
    assert!(envelope_head.contains(r#"name="envelope""#), "{envelope_head}");
    assert_eq!(
        serde_json::from_str::<Value>(envelope_body.trim_end()).unwrap(),
        json!({"fn": "upload_avatar", "args": {"user_id": 5, "note": "x"}}),
        "the envelope holds the args without the file"
    );
    let (file_head, file_body) = parts[1].split_once("\r\n\r\n").unwrap();
    assert!(file_head.contains(r#"name="file"; filename="a b.png""#), "{file_head}");
    assert!(file_head.contains("Content-Type: image/png"), "{file_head}");
    assert_eq!(file_body.strip_suffix("\r\n").unwrap(), "\u{0}\u{1}hello");

    let plain = &seen[2];
    assert_eq!(plain.header("Content-Type"), Some("application/json"));
    assert_eq!(
        serde_json::from_str::<Value>(&plain.body).unwrap(),
        json!({"fn": "upload_avatar", "args": {"user_id": 5, "file": null}})
    );
    for call in [multipart, plain] {
        assert_eq!(call.header("X-Mizan-Client"), Some(client.client_id()));
    }
    assert_eq!(seen[0].header("X-Mizan-Client"), None, "only calls carry it");
}
