//! How Rust types become IR shapes: the [`MizanType`] trait (implemented
//! for primitives and collections here, and for user types by
//! `#[derive(Mizan)]`) and the [`TypeRegistry`] that collects the named types
//! a function reaches.

use mizan_core::ir::{Shape, TypeDef};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A type that can cross the wire, with its IR shape.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the wire in a Mizan function",
    label = "add #[derive(mizan::Mizan, serde::Serialize, serde::Deserialize)] to it"
)]
pub trait MizanType {
    /// The shape, registering any named types it needs.
    fn shape(types: &mut TypeRegistry) -> Shape;

    /// Whether an argument of this type must be passed (`Option<T>` may be
    /// omitted).
    const REQUIRED: bool = true;
}

/// Named types collected while describing functions. Two different bodies
/// under one name are a conflict reported at startup.
#[derive(Debug, Default)]
pub struct TypeRegistry {
    types: BTreeMap<String, TypeDef>,
    in_progress: BTreeSet<String>,
    conflicts: Vec<String>,
}

impl TypeRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the named type `name`, building its definition with
    /// `define` unless it is already known (or being defined: recursive
    /// types), and returns `Shape::Ref(name)`.
    pub fn named(&mut self, name: &str, define: impl FnOnce(&mut TypeRegistry) -> TypeDef) -> Shape {
        if !self.types.contains_key(name) && self.in_progress.insert(name.to_owned()) {
            let def = define(self);
            self.in_progress.remove(name);
            self.types.insert(name.to_owned(), def);
        } else if let Some(existing) = self.types.get(name).cloned()
            && !self.in_progress.contains(name)
        {
            // Same name defined again (another module): must be the same body.
            self.in_progress.insert(name.to_owned());
            let def = define(self);
            self.in_progress.remove(name);
            if def != existing && !self.conflicts.iter().any(|c| c == name) {
                self.conflicts.push(name.to_owned());
            }
        }
        Shape::Ref(name.to_owned())
    }

    /// The collected types, sorted by name.
    pub fn into_types(self) -> Vec<TypeDef> {
        self.types.into_values().collect()
    }

    /// Names registered twice with different bodies.
    pub fn conflicts(&self) -> &[String] {
        &self.conflicts
    }
}

macro_rules! primitive {
    ($shape:expr => $($t:ty),*) => {
        $(impl MizanType for $t {
            fn shape(_: &mut TypeRegistry) -> Shape {
                $shape
            }
        })*
    };
}

primitive!(Shape::Integer => i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
primitive!(Shape::Number => f32, f64);
primitive!(Shape::String => String, str, char);
primitive!(Shape::Boolean => bool);
primitive!(Shape::Null => ());
primitive!(Shape::Json => serde_json::Value, serde_json::Map<String, serde_json::Value>);

impl<T: MizanType + ?Sized> MizanType for &T {
    fn shape(types: &mut TypeRegistry) -> Shape {
        T::shape(types)
    }
    const REQUIRED: bool = T::REQUIRED;
}

impl<T: MizanType + ?Sized> MizanType for Box<T> {
    fn shape(types: &mut TypeRegistry) -> Shape {
        T::shape(types)
    }
    const REQUIRED: bool = T::REQUIRED;
}

impl<T: MizanType> MizanType for Option<T> {
    fn shape(types: &mut TypeRegistry) -> Shape {
        Shape::optional(T::shape(types))
    }
    const REQUIRED: bool = false;
}

impl<T: MizanType> MizanType for Vec<T> {
    fn shape(types: &mut TypeRegistry) -> Shape {
        Shape::list(T::shape(types))
    }
}

impl<T: MizanType> MizanType for [T] {
    fn shape(types: &mut TypeRegistry) -> Shape {
        Shape::list(T::shape(types))
    }
}

impl<T: MizanType, S> MizanType for HashMap<String, T, S> {
    fn shape(types: &mut TypeRegistry) -> Shape {
        Shape::map(T::shape(types))
    }
}

impl<T: MizanType> MizanType for BTreeMap<String, T> {
    fn shape(types: &mut TypeRegistry) -> Shape {
        Shape::map(T::shape(types))
    }
}

/// A file upload argument (SPEC §3.2): a multipart file part over HTTP;
/// inside JSON (WebSocket and IPC envelopes) the object
/// `{"filename", "content_type", "base64"}`. Handlers get the bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "UploadWire", into = "UploadWire")]
pub struct Upload {
    /// The file name the client sent (may be empty).
    pub filename: String,
    /// Its MIME type (`application/octet-stream` when the client gave none).
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// The JSON form of an [`Upload`].
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadWire {
    #[serde(default)]
    filename: String,
    #[serde(default = "default_content_type")]
    content_type: String,
    base64: String,
}

fn default_content_type() -> String {
    "application/octet-stream".to_owned()
}

impl TryFrom<UploadWire> for Upload {
    type Error = String;

    fn try_from(w: UploadWire) -> Result<Self, String> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(w.base64.as_bytes())
            .map_err(|e| format!("`base64` is not standard base64: {e}"))?;
        Ok(Upload {
            filename: w.filename,
            content_type: w.content_type,
            bytes,
        })
    }
}

impl From<Upload> for UploadWire {
    fn from(u: Upload) -> Self {
        use base64::Engine as _;
        UploadWire {
            filename: u.filename,
            content_type: u.content_type,
            base64: base64::engine::general_purpose::STANDARD.encode(&u.bytes),
        }
    }
}

impl Upload {
    /// The JSON form of a file (what a multipart part becomes before
    /// dispatch, and what WebSocket and IPC clients send).
    pub fn json(filename: &str, content_type: &str, bytes: &[u8]) -> serde_json::Value {
        use base64::Engine as _;
        serde_json::json!({
            "filename": filename,
            "content_type": content_type,
            "base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}

impl MizanType for Upload {
    fn shape(_: &mut TypeRegistry) -> Shape {
        Shape::Upload
    }
}
