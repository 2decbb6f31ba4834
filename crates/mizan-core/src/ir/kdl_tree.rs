//! A plain KDL v2 document tree with byte offsets, and how we read one.
//!
//! The `kdl` crate is the authority on KDL syntax, but it parses at about
//! 2 MB/s (it keeps formatting for round-trip editing), far too slow for a
//! 2,000-function IR. So [`read`] first tries a small strict reader for the
//! subset of KDL v2 that canonical IR text uses; on *anything* outside that
//! subset, or any syntax error, it re-parses with the `kdl` crate, which then
//! either produces the tree or the precise diagnostic. The fast reader is
//! therefore an accelerator only: it must never accept a document the `kdl`
//! crate rejects, nor read one differently (property-tested in
//! `tests/kdl_reader.rs`).

/// A KDL value.
#[derive(Debug, Clone, PartialEq)]
pub enum KdlValue {
    /// A string (bare identifier, quoted or raw).
    String(String),
    /// An integer.
    Integer(i128),
    /// A float.
    Float(f64),
    /// `#true` / `#false`.
    Bool(bool),
    /// `#null`.
    Null,
}

/// One argument or property of a node.
#[derive(Debug, Clone, PartialEq)]
pub struct KdlEntry {
    /// Property name; `None` for an argument.
    pub key: Option<String>,
    /// Type annotation, if any.
    pub ty: Option<String>,
    /// The value.
    pub value: KdlValue,
    /// Byte offset of the entry.
    pub offset: usize,
}

/// A node with its entries and children.
#[derive(Debug, Clone, PartialEq)]
pub struct KdlNode {
    /// Node name.
    pub name: String,
    /// Type annotation, if any.
    pub ty: Option<String>,
    /// Arguments and properties in source order.
    pub entries: Vec<KdlEntry>,
    /// Child nodes; `None` when the node has no `{ }` block.
    pub children: Option<Vec<KdlNode>>,
    /// Byte offset of the node name.
    pub offset: usize,
}

/// A KDL syntax error, as reported by the `kdl` crate.
#[derive(Debug, Clone, PartialEq)]
pub struct KdlSyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// Length of the offending span.
    pub len: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when the parser knows.
    pub help: Option<String>,
}

/// Deepest `{ }` nesting accepted (by both readers, so they agree). The
/// `kdl` crate parses children recursively with about 35 KiB of stack per
/// level in a debug build, so deeper input is refused before it gets
/// there: no input may overflow the stack (16 levels fit a 1 MiB thread).
/// The IR grammar itself nests four levels.
pub const MAX_DEPTH: usize = 16;

/// Reads a KDL v2 document into a tree (fast path, then the `kdl` crate).
/// Nesting deeper than [`MAX_DEPTH`] is a syntax error.
pub fn read(text: &str) -> Result<Vec<KdlNode>, KdlSyntaxError> {
    match read_fast(text) {
        Some(nodes) => Ok(nodes),
        None => {
            if let Some(offset) = too_deep(text) {
                return Err(KdlSyntaxError {
                    offset,
                    len: 1,
                    message: format!("children blocks nested deeper than {MAX_DEPTH} levels"),
                    help: Some("the Mizan IR nests four levels; this is not an IR".to_owned()),
                });
            }
            read_with_kdl_crate(text)
        }
    }
}

/// The offset of the first `{` nested deeper than [`MAX_DEPTH`], skipping
/// strings (quoted, multi-line, raw with any number of `#`) and comments
/// (line, nested block) the way KDL v2 lexes them. Linear, no recursion.
fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut i, mut depth) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => i = skip_quoted(b, i),
            b'#' => {
                let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                i += hashes;
                if b.get(i) == Some(&b'"') {
                    // Raw string: ends at `"` followed by as many `#`.
                    i += 1;
                    loop {
                        match b[i.min(b.len())..].iter().position(|&c| c == b'"') {
                            None => return None,
                            Some(q) => {
                                i += q + 1;
                                if b[i..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes {
                                    i += hashes;
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n + 1);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut level = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Past a quoted string starting at `b[start] == '"'` (single-line or
/// `"""` multi-line; backslash escapes the next byte).
fn skip_quoted(b: &[u8], start: usize) -> usize {
    let multi = b[start..].starts_with(b"\"\"\"");
    let mut i = start + if multi { 3 } else { 1 };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' if !multi => return i + 1,
            b'"' if b[i..].starts_with(b"\"\"\"") => return i + 3,
            _ => i += 1,
        }
    }
    b.len()
}

/// Reads with the `kdl` crate only (the authority; also used by tests).
pub fn read_with_kdl_crate(text: &str) -> Result<Vec<KdlNode>, KdlSyntaxError> {
    match kdl::KdlDocument::parse_v2(text) {
        Ok(doc) => Ok(convert_nodes(doc.nodes())),
        Err(err) => {
            let first = err.diagnostics.first();
            let (offset, len) = first.map(|d| (d.span.offset(), d.span.len())).unwrap_or((0, 0));
            let message = first
                .and_then(|d| d.message.clone().or_else(|| d.label.clone()))
                .unwrap_or_else(|| "invalid KDL".to_owned());
            Err(KdlSyntaxError {
                offset,
                len,
                message,
                help: first.and_then(|d| d.help.clone()),
            })
        }
    }
}

fn convert_nodes(nodes: &[kdl::KdlNode]) -> Vec<KdlNode> {
    nodes
        .iter()
        .map(|n| KdlNode {
            name: n.name().value().to_owned(),
            ty: n.ty().map(|t| t.value().to_owned()),
            entries: n
                .entries()
                .iter()
                .map(|e| KdlEntry {
                    key: e.name().map(|k| k.value().to_owned()),
                    ty: e.ty().map(|t| t.value().to_owned()),
                    value: match e.value() {
                        kdl::KdlValue::String(s) => KdlValue::String(s.clone()),
                        kdl::KdlValue::Integer(i) => KdlValue::Integer(*i),
                        kdl::KdlValue::Float(f) => KdlValue::Float(*f),
                        kdl::KdlValue::Bool(b) => KdlValue::Bool(*b),
                        kdl::KdlValue::Null => KdlValue::Null,
                    },
                    offset: e.span().offset(),
                })
                .collect(),
            children: n.children().map(|c| convert_nodes(c.nodes())),
            offset: n.name().span().offset(),
        })
        .collect()
}

/// The fast reader. `None` means "not sure": the caller falls back.
pub fn read_fast(text: &str) -> Option<Vec<KdlNode>> {
    let mut r = FastReader {
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    if text.starts_with('\u{feff}') {
        r.pos = 3;
    }
    let nodes = r.nodes()?;
    (r.pos == r.src.len()).then_some(nodes)
}

/// Children nested deeper than this go to the fallback, which refuses them.
const MAX_FAST_DEPTH: usize = MAX_DEPTH;

struct FastReader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl FastReader<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Skips spaces, tabs and `/* */` comments on the current line.
    fn skip_inline_space(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'/') if self.src.get(self.pos + 1) == Some(&b'*') => self.block_comment()?,
                _ => return Some(()),
            }
        }
    }

    fn block_comment(&mut self) -> Option<()> {
        self.pos += 2;
        let mut level = 1;
        while level > 0 {
            match (self.peek()?, self.src.get(self.pos + 1)) {
                (b'/', Some(b'*')) => {
                    level += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    level -= 1;
                    self.pos += 2;
                }
                (c, _) if c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r') => return None,
                (c, _) if c >= 0x80 => return None,
                _ => self.pos += 1,
            }
        }
        Some(())
    }

    /// Skips a newline (`\n` or `\r\n`); true if one was there.
    fn newline(&mut self) -> Option<bool> {
        match self.peek() {
            Some(b'\n') => {
                self.pos += 1;
                Some(true)
            }
            Some(b'\r') if self.src.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                Some(true)
            }
            Some(b'\r') => None,
            _ => Some(false),
        }
    }

    /// Skips a `//` comment up to (not including) the newline.
    fn line_comment(&mut self) -> Option<bool> {
        if self.src[self.pos..].starts_with(b"//") {
            while let Some(c) = self.peek() {
                if c == b'\n' || c == b'\r' {
                    break;
                }
                if (c < 0x20 && c != b'\t') || c >= 0x80 || c == 0x7f {
                    return None;
                }
                self.pos += 1;
            }
            return Some(true);
        }
        Some(false)
    }

    /// Skips blank lines and comments between nodes.
    fn skip_between_nodes(&mut self) -> Option<()> {
        loop {
            self.skip_inline_space()?;
            if self.line_comment()? || self.newline()? {
                continue;
            }
            return Some(());
        }
    }

    fn nodes(&mut self) -> Option<Vec<KdlNode>> {
        let mut nodes = Vec::new();
        loop {
            self.skip_between_nodes()?;
            match self.peek() {
                None | Some(b'}') => return Some(nodes),
                _ => nodes.push(self.node()?),
            }
        }
    }

    fn node(&mut self) -> Option<KdlNode> {
        let offset = self.pos;
        let name = self.string_token()?;
        let mut node = KdlNode {
            name,
            ty: None,
            entries: Vec::new(),
            children: None,
            offset,
        };
        loop {
            let before = self.pos;
            self.skip_inline_space()?;
            let spaced = self.pos > before;
            match self.peek() {
                None | Some(b'\n' | b'\r') => return Some(node),
                Some(b';') => {
                    self.pos += 1;
                    return Some(node);
                }
                Some(b'/') if self.src[self.pos..].starts_with(b"//") => return Some(node),
                Some(b'}') => return Some(node),
                Some(b'{') => {
                    self.pos += 1;
                    self.depth += 1;
                    if self.depth > MAX_FAST_DEPTH {
                        return None;
                    }
                    let children = self.nodes()?;
                    if self.peek() != Some(b'}') {
                        return None;
                    }
                    self.pos += 1;
                    self.depth -= 1;
                    node.children = Some(children);
                    // After a children block only a terminator may follow.
                    self.skip_inline_space()?;
                    return match self.peek() {
                        Some(b';') => {
                            self.pos += 1;
                            Some(node)
                        }
                        None | Some(b'\n' | b'\r' | b'}') => Some(node),
                        Some(b'/') if self.src[self.pos..].starts_with(b"//") => Some(node),
                        _ => None,
                    };
                }
                Some(_) if !spaced || node.children.is_some() => return None,
                Some(_) => node.entries.push(self.entry()?),
            }
        }
    }

    fn entry(&mut self) -> Option<KdlEntry> {
        let offset = self.pos;
        let first = self.value()?;
        if self.peek() == Some(b'=') {
            let KdlValue::String(key) = first else { return None };
            self.pos += 1;
            let value = self.value()?;
            return Some(KdlEntry {
                key: Some(key),
                ty: None,
                value,
                offset,
            });
        }
        Some(KdlEntry {
            key: None,
            ty: None,
            value: first,
            offset,
        })
    }

    /// A value followed by something that can end it.
    fn value(&mut self) -> Option<KdlValue> {
        let value = match self.peek()? {
            b'#' => self.keyword()?,
            b'0'..=b'9' => self.number()?,
            b'-' if matches!(self.src.get(self.pos + 1), Some(b'0'..=b'9')) => self.number()?,
            _ => KdlValue::String(self.string_token()?),
        };
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'}' | b'=') => Some(value),
            _ => None,
        }
    }

    fn keyword(&mut self) -> Option<KdlValue> {
        for (word, value) in [
            ("#true", KdlValue::Bool(true)),
            ("#false", KdlValue::Bool(false)),
            ("#null", KdlValue::Null),
        ] {
            if self.src[self.pos..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Some(value);
            }
        }
        None
    }

    fn number(&mut self) -> Option<KdlValue> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |r: &mut Self| {
            let s = r.pos;
            while matches!(r.peek(), Some(b'0'..=b'9')) {
                r.pos += 1;
            }
            r.pos > s
        };
        if !digits(self) {
            return None;
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if !digits(self) {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        let text = &self.text[start..self.pos];
        if float {
            text.parse::<f64>().ok().filter(|f| f.is_finite()).map(KdlValue::Float)
        } else {
            text.parse::<i128>().ok().map(KdlValue::Integer)
        }
    }

    /// A bare identifier or a single-line quoted string.
    fn string_token(&mut self) -> Option<String> {
        if self.peek()? == b'"' {
            return self.quoted();
        }
        let start = self.pos;
        let first = self.peek()?;
        if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
            return None;
        }
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b';' | b'}' | b'=' => break,
                b'\\' | b'/' | b'(' | b')' | b'{' | b'[' | b']' | b'"' | b'#' => return None,
                0x21..=0x7e => self.pos += 1,
                _ => return None,
            }
        }
        let ident = &self.text[start..self.pos];
        if ident.is_empty() || matches!(ident, "true" | "false" | "null" | "inf" | "nan") {
            return None;
        }
        Some(ident.to_owned())
    }

    fn quoted(&mut self) -> Option<String> {
        if self.src[self.pos..].starts_with(b"\"\"\"") {
            return None; // multi-line strings: leave to the kdl crate
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let stop = rest.find(['"', '\\'])?;
            let chunk = &rest[..stop];
            if chunk.chars().any(is_suspicious_in_string) {
                return None;
            }
            out.push_str(chunk);
            self.pos += stop;
            if self.peek()? == b'"' {
                self.pos += 1;
                return Some(out);
            }
            self.pos += 1;
            let escaped = match self.peek()? {
                b'"' => '"',
                b'\\' => '\\',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b's' => ' ',
                b'u' => {
                    let rest = &self.text[self.pos + 1..];
                    let hex = rest.strip_prefix('{')?.split('}').next()?;
                    if hex.is_empty() || hex.len() > 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return None;
                    }
                    self.pos += hex.len() + 2;
                    char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                }
                _ => return None,
            };
            self.pos += 1;
            out.push(escaped);
        }
    }
}

/// Characters whose treatment inside strings the fast reader leaves to the
/// `kdl` crate: control characters (incl. raw tabs and newlines), C1
/// controls, Unicode line separators, direction marks and the BOM.
fn is_suspicious_in_string(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_reader_reads_the_ir_subset() {
        let text = "mizan-ir version=1 {\n    function a {\n        doc \"x\\ny \\u{e9}\"\n        rev 2\n        param p list<string> default=1.5 required=#false\n    }\n}\n";
        let fast = read_fast(text).expect("fast path");
        assert_eq!(fast, read_with_kdl_crate(text).unwrap());
        let function = &fast[0].children.as_ref().unwrap()[0];
        assert_eq!(function.offset, 25);
    }

    #[test]
    fn unusual_syntax_falls_back_to_the_kdl_crate() {
        for text in [
            "a /-b c",
            "(t)a 1",
            "a 0x1F",
            "a #inf",
            "a \"\"\"\n  x\n  \"\"\"",
            "a #\"raw\"#",
        ] {
            assert!(read_fast(text).is_none(), "{text}");
            assert!(read(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn errors_come_from_the_kdl_crate() {
        let err = read("a {\n  b \"unterminated\n}").unwrap_err();
        assert!(err.offset > 0, "{err:?}");
        assert!(read("a b=").is_err());
        assert!(read("true 1").is_err());
    }

    /// Runs `f` on a thread with a small (1 MiB) stack, so an unbounded
    /// recursion shows as a crash of this test rather than passing on a
    /// big main-thread stack.
    fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn no_nesting_overflows_the_stack() {
        let deep = |open: &str, n: usize| format!("{}{}", open.repeat(n), "}".repeat(n));
        for (what, text) in [
            ("plain blocks", deep("a {", 100_000)),
            ("kdl-only syntax at every level", deep("(t)a /*c*/ {", 50_000)),
            (
                "braces in strings cannot hide depth",
                deep("a \"}}\" #\"}\"# {", 50_000),
            ),
            ("unbalanced", "a {".repeat(200_000)),
        ] {
            let err = small_stack(move || read(&text)).unwrap_err();
            assert!(err.message.contains("nested deeper than"), "{what}: {err:?}");
            assert!(err.offset > 0, "{what}: {err:?}");
        }
        // Up to the limit, both readers still work (the `kdl` crate too).
        for open in ["a {", "(t)a {"] {
            let text = deep(open, MAX_DEPTH);
            assert!(small_stack(move || read(&text)).is_ok(), "{open}");
        }
        // Braces inside strings and comments are not nesting.
        let text = format!("a \"{}\" /* {} */ #\"{{\"# // {{\nb", "{".repeat(500), "{".repeat(500));
        assert!(read(&text).is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// The fast reader is only an accelerator: whenever it accepts, the
        /// `kdl` crate must accept and read the same tree.
        #[test]
        fn fast_reader_agrees_with_the_kdl_crate(tokens in proptest::collection::vec(proptest::sample::select(vec![
            "a", "node", "b1", "list<a,b>", "x-y", "true", "null", "\"s\\n\"", "\"q\\\"\"", "\"é\"", "\"\\u{41}\"",
            "\"\\s\"", "\"\\/\"", "\"tab\tx\"", "1", "-2", "007", "1.5", "1e3", "-1.5E-3", "1.", ".5", "+1", "0x1f", "1_0",
            "#true", "#false", "#null", "#inf", " ", "  ", "\t", "\n", "\r\n", "\r", "{", "}", ";", "=", "k=", "k=1",
            "/*c*/", "/*/*n*/*/", "//c\n", "/-", "(t)", "\\", "\u{feff}", "\u{2028}", "#\"raw\"#", "\"\"\"",
        ]), 0..24)) {
            let text: String = tokens.concat();
            if let Some(fast) = read_fast(&text) {
                let reference = read_with_kdl_crate(&text);
                proptest::prop_assert_eq!(Ok(fast), reference, "{:?}", text);
            }
        }
    }
}
