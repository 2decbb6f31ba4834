//! [`Upload`]: the value of an argument of shape `upload` (SPEC §3.2).
//!
//! Inside the kernel an upload travels in the call's JSON arguments in its
//! envelope form `{"filename", "content_type", "base64"}` — exactly what the
//! WebSocket and IPC transports send. The HTTP transport takes the upload
//! arguments back out and sends them as multipart file parts instead (see
//! [`crate::CallRequest::uploads`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The content type of a file whose type is unknown.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// A file sent as an argument: its name, MIME type and bytes.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Upload {
    /// The file name the server sees (may be empty).
    pub filename: String,
    /// Its MIME type, e.g. `image/png`.
    pub content_type: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    // The bytes can be megabytes: show their length, not their contents.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Upload {
    /// A file named `filename` of type `content_type`.
    pub fn new(filename: impl Into<String>, content_type: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Upload {
            filename: filename.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// Bytes with no file name, typed `application/octet-stream`.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Upload::new("", OCTET_STREAM, bytes)
    }

    /// Reads the file at `path`; its file name is the path's last
    /// component, its type `content_type` (or `application/octet-stream`).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_path(path: impl AsRef<std::path::Path>, content_type: Option<&str>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)?;
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Upload::new(filename, content_type.unwrap_or(OCTET_STREAM), bytes))
    }

    /// The envelope form `{"filename", "content_type", "base64"}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "filename": self.filename,
            "content_type": self.content_type,
            "base64": STANDARD.encode(&self.bytes),
        })
    }

    /// Reads the envelope form back; `None` when `value` is not one.
    pub fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let text = |key: &str| object.get(key).and_then(Value::as_str);
        let bytes = STANDARD.decode(text("base64")?).ok()?;
        Some(Upload {
            filename: text("filename").unwrap_or_default().to_owned(),
            content_type: text("content_type").unwrap_or(OCTET_STREAM).to_owned(),
            bytes,
        })
    }
}

impl Serialize for Upload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Upload {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Upload::from_json(&value)
            .ok_or_else(|| serde::de::Error::custom("an upload is {\"filename\", \"content_type\", \"base64\"}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_form_round_trips() {
        let u = Upload::new("a.png", "image/png", vec![0u8, 1, 2, 255]);
        let v = serde_json::to_value(&u).unwrap();
        assert_eq!(
            v,
            json!({"filename": "a.png", "content_type": "image/png", "base64": "AAEC/w=="})
        );
        assert_eq!(serde_json::from_value::<Upload>(v).unwrap(), u);
        assert!(serde_json::from_value::<Upload>(json!({"base64": "!!"})).is_err());
        assert!(serde_json::from_value::<Upload>(json!([1, 2])).is_err());
        let bare = Upload::from_json(&json!({"base64": ""})).unwrap();
        assert_eq!(bare.content_type, OCTET_STREAM);
        assert!(format!("{u:?}").contains("len: 4"));
    }
}
