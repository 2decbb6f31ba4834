//! The live tabs' text forms: headers and mounted instances typed one a
//! line, and the fields of a JSON object edited one by one from a form
//! generated from the IR's params.

use serde_json::{Map, Value};

/// `Name: value` lines (blank lines skipped).
pub fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("header line {}: expected `Name: value`", i + 1));
        };
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
            return Err(format!("header line {}: `{name}` is not a header name", i + 1));
        }
        out.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(out)
}

/// `context {"param": value}` lines (params optional): the instances a
/// client has mounted.
pub fn parse_mounted(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (context, params) = match line.find(|c: char| c.is_whitespace() || c == '{') {
            Some(at) => (line[..at].trim(), line[at..].trim()),
            None => (line, ""),
        };
        let params = if params.is_empty() { "{}" } else { params };
        match serde_json::from_str::<Value>(params) {
            Ok(Value::Object(_)) => out.push((context.to_owned(), params.to_owned())),
            _ => {
                return Err(format!(
                    "mounted line {}: expected `context {{\"param\": value}}`",
                    i + 1
                ));
            }
        }
    }
    Ok(out)
}

/// The object in `text` (empty when it is not one).
fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Field `name` of the object in `text`, as a form shows it (strings
/// bare, anything else as JSON, absent as empty).
pub fn field(text: &str, name: &str) -> String {
    match object(text).get(name) {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// `text` with field `name` set from what was typed, read by the IR
/// shape (`integer`, `number`, `boolean`, `string`, anything else as
/// JSON, falling back to a string); empty input removes the field.
/// Returns `None` when `text` is not a JSON object (the user is
/// editing it by hand: the form does not overwrite it).
pub fn set_field(text: &str, name: &str, typed: &str, shape: &str) -> Option<String> {
    let mut obj = match serde_json::from_str::<Value>(if text.trim().is_empty() { "{}" } else { text }) {
        Ok(Value::Object(m)) => m,
        _ => return None,
    };
    let typed = typed.trim();
    if typed.is_empty() {
        obj.remove(name);
    } else {
        let base = shape.trim_start_matches("optional<").trim_end_matches('>');
        let value = match base {
            "string" | "datetime" => Value::String(typed.to_owned()),
            "integer" => typed
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(typed.to_owned())),
            "number" => typed
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(typed.to_owned())),
            "boolean" => match typed {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            },
            _ => serde_json::from_str(typed).unwrap_or_else(|_| Value::String(typed.to_owned())),
        };
        obj.insert(name.to_owned(), value);
    }
    Some(serde_json::to_string(&Value::Object(obj)).unwrap_or_default())
}

/// Seconds in words: `45 s`, `12 min 5 s`, `3 h 20 min`, `7 days`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ if s % 86400 == 0 => format!("{} day{}", s / 86400, if s / 86400 == 1 { "" } else { "s" }),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_words() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(725), "12 min 5 s");
        assert_eq!(duration(12_000), "3 h 20 min");
        assert_eq!(duration(604_800), "7 days");
        assert_eq!(duration(604_797), "6 d 23 h");
        assert_eq!(duration(-3), "0 s");
    }

    #[test]
    fn headers_one_a_line() {
        assert_eq!(
            parse_headers("X-Trace: 1\n\nAuthorization: Bearer a:b").unwrap(),
            vec![("X-Trace".into(), "1".into()), ("Authorization".into(), "Bearer a:b".into())]
        );
        assert!(parse_headers("nope").unwrap_err().contains("line 1"));
        assert!(parse_headers("bad name: x").unwrap_err().contains("not a header name"));
    }

    #[test]
    fn mounted_instances_one_a_line() {
        assert_eq!(
            parse_mounted("user {\"user_id\": 5}\nitems\nstats {}").unwrap(),
            vec![
                ("user".into(), "{\"user_id\": 5}".into()),
                ("items".into(), "{}".into()),
                ("stats".into(), "{}".into())
            ]
        );
        assert!(parse_mounted("user {5}").unwrap_err().contains("line 1"));
    }

    #[test]
    fn fields_follow_the_shape() {
        assert_eq!(set_field("{}", "user_id", "5", "integer").unwrap(), r#"{"user_id":5}"#);
        assert_eq!(set_field("{}", "user_id", "05x", "integer").unwrap(), r#"{"user_id":"05x"}"#);
        assert_eq!(set_field(r#"{"a":1}"#, "a", "", "integer").unwrap(), "{}");
        assert_eq!(set_field("", "ok", "true", "boolean").unwrap(), r#"{"ok":true}"#);
        assert_eq!(set_field("{}", "tags", "[\"a\"]", "list<string>").unwrap(), r#"{"tags":["a"]}"#);
        assert_eq!(set_field("{}", "n", "5", "string").unwrap(), r#"{"n":"5"}"#);
        assert_eq!(set_field("{oops", "n", "5", "string"), None);
        assert_eq!(field(r#"{"n":"x","m":5}"#, "n"), "x");
        assert_eq!(field(r#"{"n":"x","m":5}"#, "m"), "5");
        assert_eq!(field("{", "m"), "");
    }
}
