//! Rust spellings for the `rust` and `leptos` targets: identifiers from IR
//! and wire names (raw identifiers for keywords, snake_case fields,
//! PascalCase variants), string literals and doc comments.

/// Rust keywords usable as raw identifiers (`r#type`).
const KEYWORDS: [&str; 50] = [
    "as",
    "break",
    "const",
    "continue",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "static",
    "struct",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "async",
    "await",
    "dyn",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "try",
    "gen",
    "union",
    "macro_rules",
];

/// Keywords that cannot be raw identifiers; they get a trailing `_`.
pub(crate) const NOT_RAW: [&str; 4] = ["crate", "self", "Self", "super"];

/// An IR name (already an identifier) as a Rust identifier.
pub(crate) fn ident(name: &str) -> String {
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// A wire field name as a snake_case Rust identifier: `userId` → `user_id`,
/// `on-hold` → `on_hold`, `2fa` → `_2fa`, keywords raw.
pub(crate) fn field_ident(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len() + 2);
    let mut prev_lower = false;
    for c in wire.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            out.push('_');
            prev_lower = false;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out == "_" {
        out.push_str("field");
    }
    ident(&out)
}

/// A wire enum value as a PascalCase variant: `on-hold` → `OnHold`.
pub(crate) fn variant_ident(wire: &str) -> String {
    let mut out = String::new();
    for part in wire
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Self" { "Self_".to_owned() } else { out }
}

/// `user_profile` → `UserProfile`.
pub(crate) fn pascal(name: &str) -> String {
    variant_ident(name)
}

pub(crate) fn is_upper_camel(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase()) && !name.contains('_')
}

/// A Rust string literal (JSON escaping is valid Rust for these strings,
/// except `\u{..}`, which Rust spells differently).
pub(crate) fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `///` lines for a doc text, each prefixed by `indent` and ending in `\n`;
/// empty for no doc.
pub(crate) fn doc_lines(doc: Option<&str>, indent: &str) -> String {
    let Some(doc) = doc.map(str::trim).filter(|d| !d.is_empty()) else {
        return String::new();
    };
    doc.lines()
        .map(|l| {
            let l = l.trim_end();
            if l.is_empty() {
                format!("{indent}///\n")
            } else {
                format!("{indent}/// {l}\n")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(ident("type"), "r#type");
        assert_eq!(ident("self"), "self_");
        assert_eq!(field_ident("userId"), "user_id");
        assert_eq!(field_ident("on-hold"), "on_hold");
        assert_eq!(field_ident("2fa"), "_2fa");
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("HTTPCode"), "httpcode");
        assert_eq!(variant_ident("on-hold"), "OnHold");
        assert_eq!(variant_ident("2"), "V2");
        assert_eq!(pascal("user_profile"), "UserProfile");
        assert_eq!(lit("a\"b\\\u{1}"), "\"a\\\"b\\\\\\u{1}\"");
        assert_eq!(doc_lines(Some("a\n\nb"), "  "), "  /// a\n  ///\n  /// b\n");
    }
}
