//! The replay console: send a call envelope to a live backend (HTTP
//! `POST {base}/call/` or a frame on `{base}/ws/`) and compare three
//! answers — what the IR predicts (the core's resolution of these args
//! and this result), what the body says, what `X-Mizan-Invalidate` says —
//! naming each difference.
//!
//! Failures are answers, not errors: backend down, a timeout, a non-Mizan
//! body, a 500 with HTML are described in [`Sent::error`] within the
//! timeout; bodies are read up to [`MAX_BODY`] and shown folded.

use super::inspect::pretty;
use mizan_core::header;
use mizan_core::invalidation::{Invalidation, MergeEntry, Resolution};
use mizan_core::ir::{Ir, Shape, TypeKind};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Bodies past this are cut (and said to be).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Default bound on one replay.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What to send.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// `http://host:port/api/mizan`.
    pub base_url: String,
    /// Over `/ws/` instead of `/call/`.
    pub websocket: bool,
    /// The function.
    pub function: String,
    /// Its arguments.
    pub args: Map<String, Value>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Bound on the whole exchange.
    pub timeout: Duration,
}

/// What came back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sent {
    /// HTTP status (101 → 200 for a WebSocket answer; 0: none).
    pub status: u16,
    /// Wall time.
    pub duration: Duration,
    /// The body as JSON, when it was JSON.
    pub body: Option<Value>,
    /// The body's text, pretty and folded.
    pub body_text: String,
    /// Body size.
    pub body_bytes: usize,
    /// `X-Mizan-Invalidate`, if sent.
    pub header: Option<String>,
    /// `X-Mizan-Cache`, if sent.
    pub cache: Option<String>,
    /// Why there is no Mizan answer (empty when there is one).
    pub error: String,
}

/// Checks `args` against the function's params in the IR before anything
/// is sent: unknown names, missing required ones, ill-typed primitives.
/// Returns per-field messages (empty: fine).
pub fn validate(ir: &Ir, function: &str, args: &Map<String, Value>) -> Result<Vec<String>, String> {
    let f = ir
        .function(function)
        .ok_or_else(|| format!("function `{function}` is not in the project"))?;
    let mut problems = Vec::new();
    for name in args.keys() {
        if !f.params.iter().any(|p| &p.name == name) {
            problems.push(format!("`{name}`: `{function}` has no such parameter"));
        }
    }
    for p in &f.params {
        match args.get(&p.name) {
            None if p.required && p.default.is_none() && !matches!(p.shape, Shape::Optional(_)) => {
                problems.push(format!("`{}`: required", p.name))
            }
            None => {}
            Some(v) => {
                if let Some(e) = shape_error(ir, &p.shape, v) {
                    problems.push(format!("`{}`: {e}", p.name));
                }
            }
        }
    }
    Ok(problems)
}

fn shape_error(ir: &Ir, shape: &Shape, v: &Value) -> Option<String> {
    let expected = |what: &str| Some(format!("expected {what}, got {}", kind(v)));
    match (shape, v) {
        (Shape::Optional(_), Value::Null) | (Shape::Json, _) | (Shape::Null, Value::Null) => None,
        (Shape::Optional(inner), _) => shape_error(ir, inner, v),
        (Shape::String | Shape::Datetime, Value::String(_)) => None,
        (Shape::String, _) => expected("a string"),
        (Shape::Datetime, _) => expected("an RFC 3339 string"),
        (Shape::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => None,
        (Shape::Integer, _) => expected("an integer"),
        (Shape::Number, Value::Number(_)) => None,
        (Shape::Number, _) => expected("a number"),
        (Shape::Boolean, Value::Bool(_)) => None,
        (Shape::Boolean, _) => expected("true or false"),
        (Shape::Null, _) => expected("null"),
        (Shape::Upload, Value::Object(o)) if o.get("base64").is_some_and(Value::is_string) => None,
        (Shape::Upload, _) => expected(r#"a file ({"filename", "content_type", "base64"})"#),
        (Shape::List(inner), Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| shape_error(ir, inner, item).map(|e| format!("[{i}]: {e}"))),
        (Shape::List(_), _) => expected("a list"),
        (Shape::Map(inner), Value::Object(o)) => o
            .iter()
            .find_map(|(k, item)| shape_error(ir, inner, item).map(|e| format!("[{k:?}]: {e}"))),
        (Shape::Map(_), _) => expected("an object"),
        (Shape::Literal(options), Value::String(s)) if options.contains(s) => None,
        (Shape::Literal(options), _) => expected(&format!("one of {}", options.join(", "))),
        (Shape::Union(shapes), _) if shapes.iter().any(|s| shape_error(ir, s, v).is_none()) => None,
        (Shape::Union(_), _) => expected("one of the union's shapes"),
        (Shape::Ref(name), _) => match ir.type_def(name).map(|t| &t.kind) {
            None => None, // the checker reports unknown types; the server decides
            Some(TypeKind::Alias(shape)) => shape_error(ir, shape, v),
            Some(TypeKind::Enum(variants)) => match v {
                Value::String(s) if variants.iter().any(|x| &x.name == s) => None,
                _ => expected(&format!(
                    "one of {}",
                    variants
                        .iter()
                        .map(|x| format!("{:?}", x.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            Some(TypeKind::Struct(def)) => {
                let Value::Object(obj) = v else {
                    return expected(&format!("a `{name}` object"));
                };
                if let Some(extra) = obj.keys().find(|k| !def.fields.iter().any(|f| &f.name == *k)) {
                    return Some(format!("`{name}` has no field `{extra}`"));
                }
                def.fields.iter().find_map(|f| match obj.get(&f.name) {
                    None if !f.optional && f.default.is_none() && !matches!(f.shape, Shape::Optional(_)) => {
                        Some(format!(".{}: required", f.name))
                    }
                    None => None,
                    Some(value) => shape_error(ir, &f.shape, value).map(|e| format!(".{}: {e}", f.name)),
                })
            }
        },
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Sends one call and reads the answer, never longer than `out.timeout`.
pub async fn send(ir: &Ir, out: &Outgoing) -> Sent {
    let started = Instant::now();
    let exchange = async {
        if out.websocket {
            send_ws(out).await
        } else {
            send_http(ir, out).await
        }
    };
    let mut sent = match tokio::time::timeout(out.timeout, exchange).await {
        Ok(Ok(sent)) => sent,
        Ok(Err(error)) => Sent {
            error,
            ..Default::default()
        },
        Err(_) => Sent {
            error: format!("no answer within {} s (timed out)", out.timeout.as_secs_f64()),
            ..Default::default()
        },
    };
    sent.duration = started.elapsed();
    sent
}

fn call_url(base: &str) -> String {
    format!("{}/call/", base.trim_end_matches('/'))
}

async fn send_http(ir: &Ir, out: &Outgoing) -> Result<Sent, String> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let url = call_url(&out.base_url);
    let uploads: Vec<String> = ir
        .function(&out.function)
        .map(|f| {
            f.params
                .iter()
                .filter(|p| {
                    matches!(&p.shape, Shape::Upload) || matches!(&p.shape, Shape::Optional(s) if **s == Shape::Upload)
                })
                .map(|p| p.name.clone())
                .filter(|n| out.args.get(n).is_some_and(Value::is_object))
                .collect()
        })
        .unwrap_or_default();
    let mut req = client.post(&url);
    for (name, value) in &out.headers {
        req = req.header(name.as_str(), value.as_str());
    }
    if uploads.is_empty() {
        let body = serde_json::json!({"fn": out.function, "args": out.args});
        req = req.header("content-type", "application/json").body(body.to_string());
    } else {
        req = req.multipart(multipart(out, &uploads)?);
    }
    let response = req.send().await.map_err(|e| connect_error(&url, &e))?;
    let status = response.status().as_u16();
    let header_of = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let (header, cache) = (header_of("x-mizan-invalidate"), header_of("x-mizan-cache"));
    let content_type = header_of("content-type").unwrap_or_default();
    let (bytes, cut) = read_body(response).await?;
    Ok(answer(status, &content_type, &bytes, cut, header, cache))
}

fn multipart(out: &Outgoing, uploads: &[String]) -> Result<reqwest::multipart::Form, String> {
    use base64::Engine;
    let mut args = out.args.clone();
    let mut form = reqwest::multipart::Form::new();
    for name in uploads {
        let Some(Value::Object(file)) = args.remove(name) else {
            continue;
        };
        let text = |k: &str| file.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text("base64"))
            .map_err(|e| format!("`{name}`: the file's base64 does not decode: {e}"))?;
        let mut part = reqwest::multipart::Part::bytes(bytes).file_name(text("filename"));
        let content_type = text("content_type");
        if !content_type.is_empty() {
            part = part
                .mime_str(&content_type)
                .map_err(|e| format!("`{name}`: content type `{content_type}`: {e}"))?;
        }
        form = form.part(name.clone(), part);
    }
    let envelope = serde_json::json!({"fn": out.function, "args": args}).to_string();
    Ok(form.text("envelope", envelope))
}

async fn read_body(mut response: reqwest::Response) -> Result<(Vec<u8>, bool), String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?
    {
        if bytes.len() + chunk.len() > MAX_BODY {
            bytes.extend_from_slice(&chunk[..MAX_BODY - bytes.len()]);
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, false))
}

fn connect_error(url: &str, e: &reqwest::Error) -> String {
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if e.is_connect() {
        format!("cannot connect to {url}: {cause} (is the backend running?)")
    } else if e.is_timeout() {
        format!("{url}: timed out")
    } else {
        format!("{url}: {cause}")
    }
}

/// Interprets an answer: a Mizan body (`result`/`error` envelope) or a
/// description of what else it is.
fn answer(
    status: u16,
    content_type: &str,
    bytes: &[u8],
    cut: bool,
    header: Option<String>,
    cache: Option<String>,
) -> Sent {
    let (mut body_text, _) = pretty(bytes);
    if cut {
        body_text.push_str(&format!("\n… cut at {} MB", MAX_BODY / (1024 * 1024)));
    }
    let body: Option<Value> = if cut { None } else { serde_json::from_slice(bytes).ok() };
    let mizan = body
        .as_ref()
        .and_then(Value::as_object)
        .is_some_and(|o| o.contains_key("result") || o.get("error").is_some_and(Value::is_object));
    let error = if cut {
        format!(
            "the answer is larger than {} MB; it was cut and not compared",
            MAX_BODY / (1024 * 1024)
        )
    } else if mizan {
        String::new()
    } else {
        let head: String = String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        format!(
            "HTTP {status} with {}: not a Mizan answer (is the base URL the Mizan mount, e.g. …/api/mizan?){}",
            if content_type.is_empty() {
                "no content type"
            } else {
                content_type
            },
            if head.is_empty() {
                String::new()
            } else {
                format!(" — it begins `{head}`")
            }
        )
    };
    Sent {
        status,
        body,
        body_bytes: bytes.len(),
        body_text,
        header,
        cache,
        error,
        ..Default::default()
    }
}

async fn send_ws(out: &Outgoing) -> Result<Sent, String> {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let base = out.base_url.trim_end_matches('/');
    let ws_url = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}/ws/")
    } else {
        format!("ws://{}/ws/", base.strip_prefix("http://").unwrap_or(base))
    };
    let mut request = ws_url
        .as_str()
        .into_client_request()
        .map_err(|e| format!("{ws_url}: {e}"))?;
    for (name, value) in &out.headers {
        let name =
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header `{name}`: {e}"))?;
        let value = reqwest::header::HeaderValue::from_str(value).map_err(|e| format!("header `{name}`: {e}"))?;
        request.headers_mut().insert(name, value);
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| match e {
        tokio_tungstenite::tungstenite::Error::Http(r) => {
            format!("{ws_url}: the upgrade was refused with HTTP {}", r.status())
        }
        e => format!("cannot connect to {ws_url}: {e} (is the backend running?)"),
    })?;
    let frame = serde_json::json!({"id": 1, "op": "call", "fn": out.function, "args": out.args});
    socket
        .send(Message::text(frame.to_string()))
        .await
        .map_err(|e| format!("{ws_url}: {e}"))?;
    while let Some(msg) = socket.next().await {
        let text = match msg.map_err(|e| format!("{ws_url}: {e}"))? {
            Message::Text(t) => t.to_string(),
            Message::Close(c) => {
                return Err(format!(
                    "{ws_url}: the server closed the socket{}",
                    c.map(|c| format!(" ({} {})", u16::from(c.code), c.reason))
                        .unwrap_or_default()
                ));
            }
            _ => continue,
        };
        let Ok(Value::Object(reply)) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if reply.get("id") != Some(&Value::from(1)) {
            continue; // a push, or another frame
        }
        let _ = socket.close(None).await;
        let mut body = reply;
        body.remove("id");
        let status = match body.get("error").and_then(|e| e.get("code")).and_then(Value::as_str) {
            Some(code) => serde_json::from_value::<mizan_core::wire::ErrorCode>(Value::String(code.to_owned()))
                .map(|c| c.http_status())
                .unwrap_or(500),
            None => 200,
        };
        let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        return Ok(answer(status, "application/json", &bytes, false, None, None));
    }
    Err(format!("{ws_url}: the socket closed before the answer"))
}

/// One invalidation or merge as the three sources state it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The entry in header form (`user;user_id=5`), or `merge items.items_list`.
    pub entry: String,
    /// In the IR's prediction.
    pub predicted: bool,
    /// In the body.
    pub body: bool,
    /// In `X-Mizan-Invalidate` (`None`: the transport has no header).
    pub header: Option<bool>,
}

/// The three-way comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// What the IR predicts, one entry a line.
    pub predicted: Vec<String>,
    /// What the body says.
    pub body: Vec<String>,
    /// What the header says (`None`: no header transport).
    pub header: Option<Vec<String>>,
    /// Every entry and where it appears.
    pub rows: Vec<Row>,
    /// Each difference in words.
    pub differences: Vec<String>,
    /// No difference.
    pub matches: bool,
}

/// Compares the prediction for `function` with what the server said.
/// `sent.body` must be a successful call body (`result` present);
/// an error answer predicts and carries nothing.
pub fn compare(
    ir: &Ir,
    function: &str,
    args: &Map<String, Value>,
    sent: &Sent,
    websocket: bool,
) -> Result<Comparison, String> {
    let body = sent
        .body
        .as_ref()
        .and_then(Value::as_object)
        .ok_or("no JSON body to compare")?;
    let failed = body.contains_key("error");
    let predicted = if failed {
        Resolution::default()
    } else {
        let result = body.get("result").cloned().unwrap_or(Value::Null);
        mizan_core::invalidation::resolve(ir, function, args, &result).map_err(|e| e.to_string())?
    };
    let mut problems = Vec::new();
    let body_inv: Vec<Invalidation> = match body.get("invalidate") {
        None if failed => Vec::new(),
        None => {
            problems.push("the body has no `invalidate` list (SPEC §3: always present on success)".to_owned());
            Vec::new()
        }
        Some(v) => {
            serde_json::from_value(v.clone()).map_err(|e| format!("the body's `invalidate` is malformed: {e}"))?
        }
    };
    let body_merge: Vec<MergeEntry> = match body.get("merge") {
        None => Vec::new(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("the body's `merge` is malformed: {e}"))?,
    };
    let header_inv: Option<Vec<Invalidation>> = if websocket {
        None
    } else {
        match &sent.header {
            None => Some(Vec::new()),
            Some(h) => Some(header::parse(h).map_err(|e| format!("X-Mizan-Invalidate does not parse: {e}"))?),
        }
    };
    let lines = |inv: &[Invalidation], merge: &[MergeEntry]| -> Vec<String> {
        let mut out: Vec<String> = inv.iter().map(|i| header::format(std::slice::from_ref(i))).collect();
        out.extend(merge.iter().map(merge_line));
        dedup(out)
    };
    let predicted_lines = lines(&predicted.invalidate, &predicted.merge);
    let body_lines = lines(&body_inv, &body_merge);
    let header_lines = header_inv.as_ref().map(|h| lines(h, &[]));
    let all: BTreeSet<&String> = predicted_lines
        .iter()
        .chain(&body_lines)
        .chain(header_lines.iter().flatten())
        .collect();
    let mut rows = Vec::new();
    for entry in all {
        let is_merge = entry.starts_with("merge ");
        let p = predicted_lines.contains(entry);
        let b = body_lines.contains(entry);
        let h = header_lines.as_ref().map(|h| h.contains(entry));
        match (p, b) {
            (true, false) => problems.push(format!("the IR predicts `{entry}` but the body does not carry it")),
            (false, true) => problems.push(format!("the body carries `{entry}`, which the IR does not predict")),
            _ => {}
        }
        if !is_merge {
            match (b, h) {
                (true, Some(false)) => problems.push(format!("the body has `{entry}` but X-Mizan-Invalidate does not")),
                (false, Some(true)) => problems.push(format!("X-Mizan-Invalidate has `{entry}` but the body does not")),
                _ => {}
            }
        }
        rows.push(Row {
            entry: entry.clone(),
            predicted: p,
            body: b,
            header: if is_merge { None } else { h },
        });
    }
    // Same entry, different merged value.
    for m in &predicted.merge {
        if let Some(theirs) = body_merge.iter().find(|b| merge_line(b) == merge_line(m))
            && theirs.value != m.value
        {
            problems.push(format!("`{}`: the merged value differs from the result", merge_line(m)));
        }
    }
    Ok(Comparison {
        matches: problems.is_empty(),
        predicted: predicted_lines,
        body: body_lines,
        header: header_lines,
        rows,
        differences: problems,
    })
}

fn merge_line(m: &MergeEntry) -> String {
    let scope = m
        .params
        .as_ref()
        .map(|p| {
            p.iter()
                .map(|(k, v)| format!(";{k}={}", mizan_core::canonical_json::stringify(v)))
                .collect::<String>()
        })
        .unwrap_or_default();
    format!("merge {}.{}{scope}", m.context, m.slot)
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.retain(|s| seen.insert(s.clone()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn afi() -> Ir {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/afi/afi.kdl")).unwrap();
        mizan_core::ir::parse(&text).unwrap()
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn http_answer(body: Value, header: Option<&str>) -> Sent {
        answer(
            200,
            "application/json",
            body.to_string().as_bytes(),
            false,
            header.map(str::to_owned),
            None,
        )
    }

    #[test]
    fn agreement_of_ir_body_and_header() {
        let ir = afi();
        let a = args(json!({"user_id": 5, "name": "Ada"}));
        let sent = http_answer(
            json!({"result": {"user_id": 5, "name": "Ada", "bio": ""}, "invalidate": [{"context": "user", "params": {"user_id": 5}}]}),
            Some("user;user_id=5"),
        );
        let c = compare(&ir, "rename", &a, &sent, false).unwrap();
        assert!(c.matches, "{:?}", c.differences);
        assert_eq!(c.predicted, vec!["user;user_id=5"]);
        assert_eq!(c.header, Some(vec!["user;user_id=5".to_owned()]));
    }

    #[test]
    fn each_difference_is_named() {
        let ir = afi();
        let a = args(json!({"user_id": 5, "name": "Ada"}));
        // The server invalidates `items` instead of the user, and its
        // header disagrees with its own body.
        let sent = http_answer(json!({"result": {}, "invalidate": ["items"]}), Some("stats"));
        let c = compare(&ir, "rename", &a, &sent, false).unwrap();
        assert!(!c.matches);
        let all = c.differences.join("\n");
        assert!(
            all.contains("the IR predicts `user;user_id=5` but the body does not carry it"),
            "{all}"
        );
        assert!(
            all.contains("the body carries `items`, which the IR does not predict"),
            "{all}"
        );
        assert!(
            all.contains("the body has `items` but X-Mizan-Invalidate does not"),
            "{all}"
        );
        assert!(
            all.contains("X-Mizan-Invalidate has `stats` but the body does not"),
            "{all}"
        );
    }

    #[test]
    fn merges_are_compared_with_their_values() {
        let ir = afi();
        let a = args(json!({"id": 1, "name": "x"}));
        let good = http_answer(
            json!({"result": {"id": 1, "name": "x"}, "invalidate": [], "merge": [{"context": "items", "slot": "items_list", "value": {"id": 1, "name": "x"}}]}),
            None,
        );
        let c = compare(&ir, "set_item_name", &a, &good, false).unwrap();
        assert!(c.matches, "{:?}", c.differences);
        assert_eq!(c.predicted, vec!["merge items.items_list"]);
        let bad = http_answer(
            json!({"result": {"id": 1, "name": "x"}, "invalidate": [], "merge": [{"context": "items", "slot": "items_list", "value": {"id": 2}}]}),
            None,
        );
        let c = compare(&ir, "set_item_name", &a, &bad, false).unwrap();
        assert!(c.differences[0].contains("merged value differs"), "{:?}", c.differences);
    }

    #[test]
    fn an_error_answer_predicts_nothing() {
        let ir = afi();
        let sent = http_answer(json!({"error": {"code": "VALIDATION_ERROR", "message": "bad"}}), None);
        let c = compare(&ir, "rename", &Map::new(), &sent, false).unwrap();
        assert!(c.matches && c.predicted.is_empty(), "{c:?}");
    }

    #[test]
    fn non_mizan_answers_are_described() {
        let html = answer(
            500,
            "text/html",
            b"<html><body>Internal Server Error</body></html>",
            false,
            None,
            None,
        );
        assert!(
            html.error.contains("HTTP 500 with text/html: not a Mizan answer"),
            "{}",
            html.error
        );
        assert!(html.error.contains("<html>"), "{}", html.error);
        let cut = answer(200, "application/json", b"{}", true, None, None);
        assert!(cut.error.contains("larger than"), "{}", cut.error);
    }

    #[test]
    fn validation_against_the_ir() {
        let ir = afi();
        let problems = validate(&ir, "rename", &args(json!({"user_id": "5", "nme": "x"}))).unwrap();
        assert!(
            problems.contains(&"`nme`: `rename` has no such parameter".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"`user_id`: expected an integer, got a string".to_owned()),
            "{problems:?}"
        );
        assert!(problems.contains(&"`name`: required".to_owned()), "{problems:?}");
        assert!(
            validate(&ir, "rename", &args(json!({"user_id": 5, "name": "x"})))
                .unwrap()
                .is_empty()
        );
        assert!(
            validate(&ir, "nope", &Map::new())
                .unwrap_err()
                .contains("not in the project")
        );
        let upload = validate(&ir, "upload_avatar", &args(json!({"user_id": 1, "file": "x"}))).unwrap();
        assert!(upload[0].contains("a file"), "{upload:?}");
    }

    #[test]
    fn named_types_are_checked_field_by_field() {
        let ir = mizan_core::ir::parse(
            r#"mizan-ir version=1 {
    function save {
        param order Order
        param tags list<Color>
        returns Order
    }
    struct Order {
        field id integer
        field note optional<string>
        field color Color
    }
    enum Color {
        variant red
        variant blue
    }
}
"#,
        )
        .unwrap();
        let ok = args(json!({"order": {"id": 1, "color": "red"}, "tags": ["blue"]}));
        assert!(validate(&ir, "save", &ok).unwrap().is_empty());
        let bad = args(json!({"order": {"id": "1", "colour": "red"}, "tags": ["green"]}));
        let problems = validate(&ir, "save", &bad).unwrap();
        assert!(
            problems.contains(&"`order`: `Order` has no field `colour`".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&r#"`tags`: [0]: expected one of "red", "blue", got a string"#.to_owned()),
            "{problems:?}"
        );
        let missing = validate(&ir, "save", &args(json!({"order": {"id": 1}, "tags": []}))).unwrap();
        assert_eq!(missing, vec!["`order`: .color: required".to_owned()]);
        let wrong = validate(
            &ir,
            "save",
            &args(json!({"order": {"id": "x", "color": "red"}, "tags": []})),
        )
        .unwrap();
        assert_eq!(
            wrong,
            vec!["`order`: .id: expected an integer, got a string".to_owned()]
        );
    }
}
