//! Shapes (the type expressions of the IR) and their compact text form:
//! `string`, `list<Profile>`, `map<optional<integer>>`, `union<A,B>`,
//! `literal<"a","b">`. Canonical text has no spaces; the parser accepts
//! spaces around `<`, `,` and `>`.

use std::fmt;

/// The shape of a value on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Shape {
    /// A UTF-8 string.
    String,
    /// A 64-bit integer.
    Integer,
    /// A floating-point number.
    Number,
    /// `true` / `false`.
    Boolean,
    /// Always `null`.
    Null,
    /// Any JSON value.
    Json,
    /// An RFC 3339 timestamp string.
    Datetime,
    /// A file upload (multipart over HTTP, bytes over IPC).
    Upload,
    /// A named type.
    Ref(String),
    /// A JSON array of the element shape.
    List(Box<Shape>),
    /// The shape or `null`.
    Optional(Box<Shape>),
    /// An object with string keys and values of the shape.
    Map(Box<Shape>),
    /// Any of the shapes.
    Union(Vec<Shape>),
    /// One of these string literals.
    Literal(Vec<String>),
}

/// Primitive shape keywords, in the order they are documented.
const PRIMITIVES: [(&str, Shape); 8] = [
    ("string", Shape::String),
    ("integer", Shape::Integer),
    ("number", Shape::Number),
    ("boolean", Shape::Boolean),
    ("null", Shape::Null),
    ("json", Shape::Json),
    ("datetime", Shape::Datetime),
    ("upload", Shape::Upload),
];

/// Generic shape keywords (followed by `<`).
const GENERICS: [&str; 5] = ["list", "optional", "map", "union", "literal"];

impl Shape {
    /// Shorthand for [`Shape::Ref`].
    pub fn named(name: impl Into<String>) -> Shape {
        Shape::Ref(name.into())
    }

    /// Shorthand for [`Shape::List`].
    pub fn list(inner: Shape) -> Shape {
        Shape::List(Box::new(inner))
    }

    /// Shorthand for [`Shape::Optional`].
    pub fn optional(inner: Shape) -> Shape {
        Shape::Optional(Box::new(inner))
    }

    /// Shorthand for [`Shape::Map`].
    pub fn map(inner: Shape) -> Shape {
        Shape::Map(Box::new(inner))
    }

    /// Whether `name` is usable as a named type: an identifier that is not a
    /// shape keyword.
    pub fn is_valid_type_name(name: &str) -> bool {
        let mut chars = name.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !PRIMITIVES.iter().any(|(k, _)| *k == name)
            && !GENERICS.contains(&name)
    }

    /// Calls `f` with every named type this shape mentions.
    pub fn visit_refs<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        match self {
            Shape::Ref(n) => f(n),
            Shape::List(s) | Shape::Optional(s) | Shape::Map(s) => s.visit_refs(f),
            Shape::Union(items) => items.iter().for_each(|s| s.visit_refs(f)),
            _ => {}
        }
    }

    /// Parses the text form. On error returns the byte offset into `text`
    /// and what was expected there.
    pub fn parse(text: &str) -> Result<Shape, (usize, String)> {
        let mut p = ShapeParser { text, pos: 0 };
        let shape = p.shape(0)?;
        p.skip_ws();
        if p.pos != text.len() {
            return Err((p.pos, format!("unexpected `{}` after the shape", &text[p.pos..])));
        }
        Ok(shape)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keyword = |s: &Shape| PRIMITIVES.iter().find(|(_, p)| p == s).map(|(k, _)| *k);
        match self {
            Shape::Ref(n) => f.write_str(n),
            Shape::List(s) => write!(f, "list<{s}>"),
            Shape::Optional(s) => write!(f, "optional<{s}>"),
            Shape::Map(s) => write!(f, "map<{s}>"),
            Shape::Union(items) => {
                f.write_str("union<")?;
                for (i, s) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{s}")?;
                }
                f.write_str(">")
            }
            Shape::Literal(values) => {
                f.write_str("literal<")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    // A JSON string literal is also our literal syntax.
                    f.write_str(&serde_json::Value::String(v.clone()).to_string())?;
                }
                f.write_str(">")
            }
            primitive => f.write_str(keyword(primitive).unwrap_or("json")),
        }
    }
}

/// Deepest nesting accepted, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 64;

struct ShapeParser<'a> {
    text: &'a str,
    pos: usize,
}

impl ShapeParser<'_> {
    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with([' ', '\t']) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), (usize, String)> {
        if self.eat(c) {
            Ok(())
        } else {
            Err((self.pos, format!("expected `{c}` {what}")))
        }
    }

    fn ident(&mut self) -> &str {
        self.skip_ws();
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        &self.text[start..start + len]
    }

    fn shape(&mut self, depth: usize) -> Result<Shape, (usize, String)> {
        if depth > MAX_DEPTH {
            return Err((self.pos, format!("shape nested deeper than {MAX_DEPTH} levels")));
        }
        let start = {
            self.skip_ws();
            self.pos
        };
        let name = self.ident().to_owned();
        if name.is_empty() {
            return Err((
                start,
                "expected a shape (a primitive such as `string`, a type name, or `list<...>`)".into(),
            ));
        }
        if let Some((_, s)) = PRIMITIVES.iter().find(|(k, _)| *k == name) {
            return Ok(s.clone());
        }
        if !GENERICS.contains(&name.as_str()) {
            if name.starts_with(|c: char| c.is_ascii_digit()) {
                return Err((
                    start,
                    format!("`{name}` is not a type name (must start with a letter or `_`)"),
                ));
            }
            return Ok(Shape::Ref(name));
        }
        self.expect('<', &format!("after `{name}`"))?;
        let shape = match name.as_str() {
            "literal" => {
                let mut values = vec![self.literal()?];
                while self.eat(',') {
                    values.push(self.literal()?);
                }
                Shape::Literal(values)
            }
            "union" => {
                let mut items = vec![self.shape(depth + 1)?];
                while self.eat(',') {
                    items.push(self.shape(depth + 1)?);
                }
                Shape::Union(items)
            }
            generic => {
                let inner = Box::new(self.shape(depth + 1)?);
                match generic {
                    "list" => Shape::List(inner),
                    "optional" => Shape::Optional(inner),
                    _ => Shape::Map(inner),
                }
            }
        };
        self.expect('>', &format!("to close `{name}<`"))?;
        Ok(shape)
    }

    /// A JSON string literal inside `literal<...>`.
    fn literal(&mut self) -> Result<String, (usize, String)> {
        self.skip_ws();
        let start = self.pos;
        let bytes = self.text.as_bytes();
        if bytes.get(start) != Some(&b'"') {
            return Err((start, "expected a quoted string literal".into()));
        }
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    let raw = &self.text[start..=i];
                    self.pos = i + 1;
                    return serde_json::from_str(raw).map_err(|e| (start, format!("invalid string literal: {e}")));
                }
                _ => i += 1,
            }
        }
        Err((start, "unterminated string literal".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_form() {
        for text in [
            "string",
            "upload",
            "Profile",
            "list<Profile>",
            "optional<list<map<integer>>>",
            "union<string,integer,Profile>",
            r#"literal<"a","b c","q\"x">"#,
        ] {
            let shape = Shape::parse(text).unwrap();
            assert_eq!(shape.to_string(), text);
        }
    }

    #[test]
    fn accepts_spaces_and_reports_offsets() {
        assert_eq!(
            Shape::parse("list< optional<string> >").unwrap().to_string(),
            "list<optional<string>>"
        );
        assert_eq!(Shape::parse("list<string").unwrap_err().0, 11);
        assert_eq!(Shape::parse("list<>").unwrap_err().0, 5);
        assert!(Shape::parse("9lives").is_err());
        assert!(Shape::parse("string extra").is_err());
        assert!(Shape::parse(&"list<".repeat(200)).is_err());
    }
}
