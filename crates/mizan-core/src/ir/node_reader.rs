//! Reading one KDL node against the IR grammar: its arguments and
//! properties are consumed one by one, and anything left over, missing or of
//! the wrong type is a [`Problem`] with an offset and what was expected.

use super::Shape;
use super::kdl_tree::{KdlEntry, KdlNode, KdlValue};
use serde_json::Value;

/// A grammar problem before it gets a line and column.
pub(super) struct Problem {
    pub(super) code: &'static str,
    pub(super) offset: usize,
    pub(super) len: usize,
    pub(super) message: String,
    pub(super) help: Option<String>,
}

pub(super) type Res<T> = Result<T, Problem>;

pub(super) fn problem(offset: usize, message: impl Into<String>) -> Problem {
    Problem {
        code: "ir-grammar",
        offset,
        len: 1,
        message: message.into(),
        help: None,
    }
}

pub(super) fn with_help(mut p: Problem, help: impl Into<String>) -> Problem {
    p.help = Some(help.into());
    p
}

/// Consumes a node's entries one by one and complains about leftovers.
pub(super) struct NodeReader<'a> {
    node: &'a KdlNode,
    args: Vec<&'a KdlEntry>,
    next_arg: usize,
    props: Vec<&'a KdlEntry>,
}

impl<'a> NodeReader<'a> {
    pub(super) fn new(node: &'a KdlNode) -> Res<Self> {
        if let Some(ty) = &node.ty {
            return Err(problem(
                node.offset,
                format!("type annotations are not part of the IR: `({ty})`"),
            ));
        }
        let mut args = Vec::new();
        let mut props: Vec<&KdlEntry> = Vec::new();
        for e in &node.entries {
            if let Some(ty) = &e.ty {
                return Err(problem(
                    e.offset,
                    format!("type annotations are not part of the IR: `({ty})`"),
                ));
            }
            match &e.key {
                None => args.push(e),
                Some(k) => {
                    if props.iter().any(|p| p.key.as_deref() == Some(k)) {
                        return Err(problem(
                            e.offset,
                            format!("property `{k}` given twice on `{}`", node.name),
                        ));
                    }
                    props.push(e);
                }
            }
        }
        Ok(NodeReader {
            node,
            args,
            next_arg: 0,
            props,
        })
    }

    pub(super) fn what(&self) -> String {
        format!("`{}`", self.node.name)
    }

    pub(super) fn arg(&mut self, expected: &str) -> Res<&'a KdlEntry> {
        let e = self
            .args
            .get(self.next_arg)
            .copied()
            .ok_or_else(|| problem(self.node.offset, format!("{} needs {expected}", self.what())))?;
        self.next_arg += 1;
        Ok(e)
    }

    pub(super) fn string_arg(&mut self, expected: &str) -> Res<String> {
        let e = self.arg(expected)?;
        as_string(e)
            .map(str::to_owned)
            .ok_or_else(|| problem(e.offset, format!("expected {expected}, found {}", describe(&e.value))))
    }

    pub(super) fn name_arg(&mut self, what: &str) -> Res<(String, usize)> {
        let e = self.arg(what)?;
        match as_string(e) {
            Some(s) if !s.is_empty() => Ok((s.to_owned(), e.offset)),
            _ => Err(problem(
                e.offset,
                format!("expected {what} (a non-empty string), found {}", describe(&e.value)),
            )),
        }
    }

    pub(super) fn shape_arg(&mut self) -> Res<Shape> {
        let e = self.arg("a shape such as `string` or `list<Profile>`")?;
        let text =
            as_string(e).ok_or_else(|| problem(e.offset, format!("expected a shape, found {}", describe(&e.value))))?;
        Shape::parse(text).map_err(|(at, msg)| {
            problem(
                e.offset,
                format!("invalid shape `{text}` at character {}: {msg}", at + 1),
            )
        })
    }

    pub(super) fn integer_arg(&mut self, expected: &str) -> Res<i128> {
        let e = self.arg(expected)?;
        match e.value {
            KdlValue::Integer(i) => Ok(i),
            ref v => Err(problem(e.offset, format!("expected {expected}, found {}", describe(v)))),
        }
    }

    pub(super) fn rest_args(&mut self, expected: &str) -> Res<Vec<String>> {
        let mut out = Vec::new();
        while self.next_arg < self.args.len() {
            out.push(self.string_arg(expected)?);
        }
        Ok(out)
    }

    pub(super) fn take_prop(&mut self, key: &str) -> Option<&'a KdlEntry> {
        let i = self.props.iter().position(|p| p.key.as_deref() == Some(key))?;
        Some(self.props.remove(i))
    }

    pub(super) fn integer_prop(&mut self, key: &str) -> Res<Option<i128>> {
        match self.take_prop(key) {
            None => Ok(None),
            Some(KdlEntry {
                value: KdlValue::Integer(i),
                ..
            }) => Ok(Some(*i)),
            Some(e) => Err(problem(
                e.offset,
                format!("`{key}` must be an integer, found {}", describe(&e.value)),
            )),
        }
    }

    pub(super) fn bool_prop(&mut self, key: &str) -> Res<Option<bool>> {
        match self.take_prop(key) {
            None => Ok(None),
            Some(KdlEntry {
                value: KdlValue::Bool(b),
                ..
            }) => Ok(Some(*b)),
            Some(e) => Err(with_help(
                problem(
                    e.offset,
                    format!("`{key}` must be `#true` or `#false`, found {}", describe(&e.value)),
                ),
                "KDL v2 booleans are written `#true` and `#false`",
            )),
        }
    }

    pub(super) fn string_prop(&mut self, key: &str) -> Res<Option<(String, usize)>> {
        match self.take_prop(key) {
            None => Ok(None),
            Some(e) => match as_string(e) {
                Some(s) => Ok(Some((s.to_owned(), e.offset))),
                None => Err(problem(
                    e.offset,
                    format!("`{key}` must be a string, found {}", describe(&e.value)),
                )),
            },
        }
    }

    /// `default=V` (a KDL scalar) or `default-json="..."` (any JSON).
    pub(super) fn default_prop(&mut self) -> Res<Option<Value>> {
        let scalar = self.take_prop("default");
        let json = self.take_prop("default-json");
        match (scalar, json) {
            (Some(_), Some(j)) => Err(problem(j.offset, "give either `default` or `default-json`, not both")),
            (Some(e), None) => kdl_to_json(&e.value)
                .map(Some)
                .ok_or_else(|| problem(e.offset, "integer default out of range")),
            (None, Some(e)) => {
                let text = as_string(e).ok_or_else(|| problem(e.offset, "`default-json` must be a string of JSON"))?;
                serde_json::from_str(text)
                    .map(Some)
                    .map_err(|err| problem(e.offset, format!("`default-json` is not valid JSON: {err}")))
            }
            (None, None) => Ok(None),
        }
    }

    pub(super) fn finish(&self) -> Res<()> {
        if let Some(e) = self.args.get(self.next_arg) {
            return Err(problem(
                e.offset,
                format!("unexpected argument {} on {}", describe(&e.value), self.what()),
            ));
        }
        if let Some(e) = self.props.first() {
            let key = e.key.as_deref().unwrap_or_default();
            return Err(problem(
                e.offset,
                format!("unknown property `{key}` on {}", self.what()),
            ));
        }
        Ok(())
    }

    pub(super) fn children(&self) -> &'a [KdlNode] {
        self.node.children.as_deref().unwrap_or_default()
    }

    pub(super) fn no_children(&self) -> Res<()> {
        match self.children().first() {
            Some(c) => Err(problem(c.offset, format!("{} takes no children", self.what()))),
            None => Ok(()),
        }
    }
}

pub(super) fn as_string(e: &KdlEntry) -> Option<&str> {
    match &e.value {
        KdlValue::String(s) => Some(s),
        _ => None,
    }
}

pub(super) fn describe(v: &KdlValue) -> String {
    match v {
        KdlValue::String(s) => format!("the string {s:?}"),
        KdlValue::Integer(i) => format!("the integer {i}"),
        KdlValue::Float(f) => format!("the number {f}"),
        KdlValue::Bool(b) => format!("#{b}"),
        KdlValue::Null => "#null".to_owned(),
    }
}

pub(super) fn kdl_to_json(v: &KdlValue) -> Option<Value> {
    Some(match v {
        KdlValue::String(s) => Value::String(s.clone()),
        KdlValue::Integer(i) => {
            if let Ok(n) = i64::try_from(*i) {
                Value::from(n)
            } else {
                Value::from(u64::try_from(*i).ok()?)
            }
        }
        KdlValue::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number)?,
        KdlValue::Bool(b) => Value::Bool(*b),
        KdlValue::Null => Value::Null,
    })
}
