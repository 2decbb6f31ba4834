//! JSON shown to people: pretty-printed in a monospace block, keys and
//! values coloured by a small tokenizer (no highlighting library in the
//! wasm; the backend highlights anything larger).

use leptos::prelude::*;
use serde_json::Value;

/// `value` pretty-printed (two-space indent, like the CLI).
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Classes of the tokens of pretty JSON text.
fn tokens(text: &str) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let s: String = chars[start..i].iter().collect();
            // A string followed by `:` is a key.
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let class = if chars.get(j) == Some(&':') { "j-key" } else { "j-str" };
            out.push((class, s));
        } else if c == '-' || c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '-' | '+' | '.')) {
                i += 1;
            }
            out.push(("j-num", chars[start..i].iter().collect()));
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(("j-lit", chars[start..i].iter().collect()));
        } else {
            let start = i;
            while i < chars.len() && !(chars[i] == '"' || chars[i] == '-' || chars[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            out.push(("j-punct", chars[start..i].iter().collect()));
        }
    }
    out
}

/// A coloured, pretty-printed JSON block.
#[component]
pub fn JsonBlock(
    /// The value.
    value: Value,
    /// `data-testid` of the block.
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    let text = pretty(&value);
    view! {
        <pre class="json mono" data-testid=testid>
            {tokens(&text).into_iter().map(|(class, s)| view! { <span class=class>{s}</span> }).collect_view()}
        </pre>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_the_text() {
        let text = pretty(&serde_json::json!({"a": [1, -2.5, "x:y", true, null], "b\"c": {}}));
        let joined: String = tokens(&text).into_iter().map(|(_, s)| s).collect();
        assert_eq!(joined, text);
        assert!(tokens(&text).iter().any(|(c, s)| *c == "j-key" && s == "\"a\""));
    }
}
