//! Python spellings for the `python` target: identifiers from wire names
//! (keywords get a trailing `_`), string literals, docstrings and `#:`
//! attribute comments.

/// Python keywords (hard ones: soft keywords are valid identifiers).
pub(crate) const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// A wire name as a Python identifier: keywords get a trailing `_`, other
/// characters become `_`, a leading digit gets a `_` prefix.
pub(crate) fn ident(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `user_profile` → `UserProfile`.
pub(crate) fn pascal(name: &str) -> String {
    let mut out = String::new();
    for part in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// A Python string literal (double quotes; JSON escaping is valid Python).
pub(crate) fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A docstring for `doc`, indented by `indent` (continuation lines too).
pub(crate) fn docstring(doc: &str, indent: &str) -> String {
    let mut text = doc.trim().replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    if text.ends_with('"') && !text.ends_with("\\\"") {
        text.pop();
        text.push_str("\\\"");
    }
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    if rest.is_empty() {
        format!("{indent}\"\"\"{first}\"\"\"")
    } else {
        let mut out = format!("{indent}\"\"\"{first}\n");
        for l in rest {
            if l.trim().is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!("{indent}{}\n", l.trim_end()));
            }
        }
        out.push_str(&format!("{indent}\"\"\""));
        out
    }
}

/// `#: ` comment lines (attribute docs), each ending in `\n`.
pub(crate) fn comment_lines(doc: Option<&str>, indent: &str) -> String {
    let Some(doc) = doc.map(str::trim).filter(|d| !d.is_empty()) else {
        return String::new();
    };
    doc.lines()
        .map(|l| format!("{indent}#: {}\n", l.trim_end()).replace(" \n", "\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_literals_and_docs() {
        assert_eq!(ident("class"), "class_");
        assert_eq!(ident("on-hold"), "on_hold");
        assert_eq!(ident("2fa"), "_2fa");
        assert_eq!(docstring("a\nb", "  "), "  \"\"\"a\n  b\n  \"\"\"");
        assert_eq!(
            docstring("say \"\"\"hi\"\"\"", ""),
            "\"\"\"say \\\"\\\"\\\"hi\\\"\\\"\\\"\"\"\""
        );
    }
}
