//! [`Ir`] → its one canonical KDL v2 text: four-space indentation, items
//! sorted by name (contexts, then functions, then types), children in a fixed
//! order, defaults omitted, strings bare when they are plain identifiers.
//! `emit(parse(text)) == text` for canonical text.

use super::{Auth, CachePolicy, Context, Function, Ir, Target, Transport, TypeDef, TypeKind};
use serde_json::Value;
use std::fmt::Write;

/// Emits the canonical text of an IR (sorting a copy of the item order; the
/// IR itself is not changed).
pub fn emit(ir: &Ir) -> String {
    let mut out = String::with_capacity(256 * (ir.functions.len() + ir.types.len() + ir.contexts.len()) + 64);
    let _ = writeln!(out, "mizan-ir version={} {{", ir.version);
    for c in sorted(&ir.contexts, |c| &c.name) {
        context(&mut out, c);
    }
    for f in sorted(&ir.functions, |f| &f.name) {
        function(&mut out, f);
    }
    for t in sorted(&ir.types, |t| &t.name) {
        type_def(&mut out, t);
    }
    out.push_str("}\n");
    out
}

fn sorted<T>(items: &[T], key: impl Fn(&T) -> &String) -> Vec<&T> {
    let mut v: Vec<&T> = items.iter().collect();
    v.sort_by(|a, b| key(a).cmp(key(b)));
    v
}

/// A node being written: name and entries on one line, then an optional
/// children block.
struct Line<'o> {
    out: &'o mut String,
    indent: usize,
    open: bool,
}

impl<'o> Line<'o> {
    fn start(out: &'o mut String, indent: usize, name: &str) -> Self {
        for _ in 0..indent {
            out.push_str("    ");
        }
        out.push_str(name);
        Line {
            out,
            indent,
            open: false,
        }
    }

    fn arg(self, value: &str) -> Self {
        self.out.push(' ');
        push_string(self.out, value);
        self
    }

    fn raw(self, text: &str) -> Self {
        self.out.push(' ');
        self.out.push_str(text);
        self
    }

    fn prop(self, key: &str, value: &str) -> Self {
        self.out.push(' ');
        self.out.push_str(key);
        self.out.push('=');
        push_string(self.out, value);
        self
    }

    fn prop_raw(self, key: &str, text: &str) -> Self {
        self.out.push(' ');
        self.out.push_str(key);
        self.out.push('=');
        self.out.push_str(text);
        self
    }

    /// `default=<scalar>` or `default-json="<json>"`.
    fn default(self, value: Option<&Value>) -> Self {
        match value {
            None => self,
            Some(Value::String(s)) => self.prop("default", s),
            Some(Value::Null) => self.prop_raw("default", "#null"),
            Some(Value::Bool(b)) => self.prop_raw("default", if *b { "#true" } else { "#false" }),
            Some(Value::Number(n)) => {
                let text = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => i.to_string(),
                    (_, Some(u), _) => u.to_string(),
                    // Debug keeps a `.0` so KDL reads it back as a float.
                    (_, _, Some(f)) => format!("{f:?}"),
                    _ => n.to_string(),
                };
                self.prop_raw("default", &text)
            }
            Some(other) => {
                let json = serde_json::to_string(&crate::canonical_json::sort_keys(other)).unwrap_or_default();
                self.prop("default-json", &json)
            }
        }
    }

    /// Opens the children block (once) and returns the child indent.
    fn child(&mut self) -> (&mut String, usize) {
        if !self.open {
            self.out.push_str(" {\n");
            self.open = true;
        }
        (self.out, self.indent + 1)
    }

    fn doc(&mut self, doc: &Option<String>) {
        if let Some(d) = doc {
            let (out, indent) = self.child();
            Line::start(out, indent, "doc").arg(d).end();
        }
    }

    fn end(self) {
        if self.open {
            for _ in 0..self.indent {
                self.out.push_str("    ");
            }
            self.out.push('}');
        }
        self.out.push('\n');
    }
}

fn context(out: &mut String, c: &Context) {
    let mut line = Line::start(out, 1, "context").arg(&c.name);
    line.doc(&c.doc);
    let mut members: Vec<&String> = c.members.iter().collect();
    members.sort();
    for m in members {
        let (out, indent) = line.child();
        Line::start(out, indent, "member").arg(m).end();
    }
    for p in sorted(&c.params, |p| &p.name) {
        let (out, indent) = line.child();
        let mut pl = Line::start(out, indent, "param").arg(&p.name).arg(&p.shape.to_string());
        if p.required {
            pl = pl.prop_raw("required", "#true");
        }
        if !p.shared_by.is_empty() {
            let (out, indent) = pl.child();
            let mut shared: Vec<&String> = p.shared_by.iter().collect();
            shared.sort();
            let mut sl = Line::start(out, indent, "shared-by");
            for s in shared {
                sl = sl.arg(s);
            }
            sl.end();
        }
        pl.end();
    }
    line.end();
}

fn function(out: &mut String, f: &Function) {
    let mut line = Line::start(out, 1, "function").arg(&f.name);
    line.doc(&f.doc);
    if let Some(c) = &f.context {
        simple(&mut line, "context", Some(c), false);
    }
    if f.transport != Transport::Http {
        simple(&mut line, "transport", Some(f.transport.as_str()), false);
    }
    match &f.auth {
        Auth::None => {}
        Auth::Required => simple(&mut line, "auth", Some("required"), false),
        Auth::Staff => simple(&mut line, "auth", Some("staff"), false),
        Auth::Superuser => simple(&mut line, "auth", Some("superuser"), false),
        Auth::Predicate(p) => {
            let (out, indent) = line.child();
            Line::start(out, indent, "auth").prop("predicate", p).end();
        }
    }
    if f.private {
        simple(&mut line, "private", None, false);
    }
    if let Some(r) = &f.route {
        simple(&mut line, "route", Some(r), false);
    }
    if !f.methods.is_empty() {
        let (out, indent) = line.child();
        let mut ml = Line::start(out, indent, "methods");
        for m in &f.methods {
            ml = ml.arg(m);
        }
        ml.end();
    }
    if f.rev != 0 {
        simple(&mut line, "rev", Some(&f.rev.to_string()), true);
    }
    match f.cache {
        CachePolicy::Forever => {}
        CachePolicy::Ttl(n) => simple(&mut line, "cache", Some(&n.to_string()), true),
        CachePolicy::None => simple(&mut line, "cache", Some("none"), false),
    }
    for p in &f.params {
        let (out, indent) = line.child();
        let mut pl = Line::start(out, indent, "param")
            .arg(&p.name)
            .arg(&p.shape.to_string())
            .default(p.default.as_ref());
        if !p.required {
            pl = pl.prop_raw("required", "#false");
        }
        pl.end();
    }
    simple(&mut line, "returns", Some(&f.output.to_string()), false);
    for t in &f.affects {
        let (out, indent) = line.child();
        let (key, name) = match t {
            Target::Context(n) => ("context", n),
            Target::Function(n) => ("function", n),
        };
        Line::start(out, indent, "affects").prop(key, name).end();
    }
    for m in &f.merge {
        simple(&mut line, "merge", Some(m), false);
    }
    line.end();
}

/// A one-line child node with at most one argument (`raw` skips quoting).
fn simple(line: &mut Line<'_>, name: &str, value: Option<&str>, raw: bool) {
    let (out, indent) = line.child();
    let l = Line::start(out, indent, name);
    match (value, raw) {
        (Some(v), true) => l.raw(v),
        (Some(v), false) => l.arg(v),
        (None, _) => l,
    }
    .end();
}

fn type_def(out: &mut String, t: &TypeDef) {
    let mut line = match &t.kind {
        TypeKind::Struct(_) => Line::start(out, 1, "struct").arg(&t.name),
        TypeKind::Enum(_) => Line::start(out, 1, "enum").arg(&t.name),
        TypeKind::Alias(shape) => Line::start(out, 1, "alias").arg(&t.name).arg(&shape.to_string()),
    };
    line.doc(&t.doc);
    match &t.kind {
        TypeKind::Struct(def) => {
            if let Some(id) = &def.identity {
                let (out, indent) = line.child();
                Line::start(out, indent, "identity").arg(id).end();
            }
            for field in &def.fields {
                let (out, indent) = line.child();
                let mut fl = Line::start(out, indent, "field")
                    .arg(&field.name)
                    .arg(&field.shape.to_string());
                if field.optional {
                    fl = fl.prop_raw("optional", "#true");
                }
                fl = fl.default(field.default.as_ref());
                fl.doc(&field.doc);
                fl.end();
            }
        }
        TypeKind::Enum(variants) => {
            for v in variants {
                let (out, indent) = line.child();
                let mut vl = Line::start(out, indent, "variant").arg(&v.name);
                vl.doc(&v.doc);
                vl.end();
            }
        }
        TypeKind::Alias(_) => {}
    }
    line.end();
}

/// Writes a KDL string: bare when it is a plain identifier, else quoted.
fn push_string(out: &mut String, s: &str) {
    if is_bare(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if needs_unicode_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn needs_unicode_escape(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Plain identifiers (and shape texts such as `list<Profile>`) are written
/// bare; everything else is quoted.
fn is_bare(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '<' | '>' | ',' | '.' | ':'))
        && !matches!(s, "true" | "false" | "null" | "inf" | "nan")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Shape;

    #[test]
    fn quotes_only_what_needs_it() {
        let mut out = String::new();
        for s in [
            "user_id",
            "list<Profile>",
            "/profile/:id/",
            "a b",
            "true",
            "é",
            "x\"y\n\u{1}",
            "9a",
            "",
        ] {
            push_string(&mut out, s);
            out.push(' ');
        }
        assert_eq!(
            out,
            r#"user_id list<Profile> "/profile/:id/" "a b" "true" "é" "x\"y\n\u{1}" "9a" "" "#
        );
    }

    #[test]
    fn shape_is_irrelevant_to_quoting_literals() {
        let mut out = String::new();
        push_string(&mut out, &Shape::Literal(vec!["a".into()]).to_string());
        assert_eq!(out, r#""literal<\"a\">""#);
    }
}
