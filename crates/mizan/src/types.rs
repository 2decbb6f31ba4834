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

/// A file upload argument: multipart over HTTP, bytes in the envelope over
/// IPC. On the wire inside JSON it is `{"name", "content_type", "data"}` with
/// `data` base64-encoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    /// Original file name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Base64 of the bytes.
    pub data: String,
}

impl MizanType for Upload {
    fn shape(_: &mut TypeRegistry) -> Shape {
        Shape::Upload
    }
}
