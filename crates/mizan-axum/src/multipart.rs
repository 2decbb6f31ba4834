//! `POST {base}/call/` with `multipart/form-data` (SPEC §3.2): a part
//! `envelope` holding `{"fn", "args"}` without the upload arguments, and one
//! file part per upload argument, named after it.
//!
//! The body is read within the body limit (413 past it, before anything
//! runs); each file part becomes the argument's JSON form
//! (`mizan::Upload::json`), so the dispatcher validates uploads exactly as
//! it does over WebSocket and IPC — a missing file part is a
//! `VALIDATION_ERROR` for that field.

use crate::Error;
use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

/// The call envelope (JSON bytes) a multipart body stands for.
pub(crate) async fn envelope(headers: &HeaderMap, body: Bytes) -> Result<Vec<u8>, Error> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary =
        multer::parse_boundary(content_type).map_err(|e| bad(format!("invalid multipart Content-Type: {e}")))?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut envelope: Option<Map<String, Value>> = None;
    let mut files: Map<String, Value> = Map::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("malformed multipart body: {e}")))?
    {
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(bad("a multipart part has no name".into()));
        };
        let filename = field.file_name().unwrap_or_default().to_owned();
        let content_type = field
            .content_type()
            .map_or_else(|| "application/octet-stream".to_owned(), ToString::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("cannot read part `{name}`: {e}")))?;
        if name == "envelope" {
            if envelope.is_some() {
                return Err(bad("the `envelope` part is given twice".into()));
            }
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => envelope = Some(map),
                Ok(_) => return Err(bad("the `envelope` part must be a JSON object".into())),
                Err(e) => return Err(bad(format!("the `envelope` part is not JSON: {e}"))),
            }
        } else if files
            .insert(name.clone(), mizan::Upload::json(&filename, &content_type, &bytes))
            .is_some()
        {
            return Err(bad(format!("the file part `{name}` is given twice")));
        }
    }
    let mut envelope = envelope.ok_or_else(|| bad("a multipart call needs an `envelope` part".into()))?;
    let args = match envelope.entry("args").or_insert_with(|| Value::Object(Map::new())) {
        Value::Object(args) => args,
        _ => return Err(bad("`args` must be an object".into())),
    };
    for (name, file) in files {
        if args.contains_key(&name) {
            return Err(bad(format!("`{name}` is both in the envelope and a file part")));
        }
        args.insert(name, file);
    }
    serde_json::to_vec(&envelope).map_err(|e| bad(e.to_string()))
}

fn bad(reason: String) -> Error {
    Error::BadRequest { reason }
}
