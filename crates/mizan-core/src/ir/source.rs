//! Where things are in IR text: line/column [`Location`]s, the
//! [`IrParseError`] diagnostic, and the [`SourceMap`] that lets the checker
//! point diagnostics at the right line.

use miette::{Diagnostic, NamedSource, SourceSpan};

/// A line/column position (both 1-based; columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// The IR text could not be read.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{line}:{column}: {message}")]
#[diagnostic(code(mizan::ir::parse))]
pub struct IrParseError {
    /// `kdl-syntax` (not KDL at all) or `ir-grammar` (KDL, but not IR).
    pub code: &'static str,
    /// What is wrong, and what was expected.
    pub message: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column of the problem.
    pub column: usize,
    /// How to fix it, when known.
    #[help]
    pub help: Option<String>,
    /// The offending span.
    #[label("here")]
    pub span: SourceSpan,
    /// The text that was parsed (shared: errors stay small).
    #[source_code]
    pub source_code: std::sync::Arc<NamedSource<String>>,
}

/// Where each item of a parsed IR came from, by index into the IR's vectors
/// (which keep file order).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    line_starts: Vec<usize>,
    text_len: usize,
    /// One entry per `Ir::functions` element.
    pub functions: Vec<ItemSpans>,
    /// One entry per `Ir::contexts` element.
    pub contexts: Vec<ItemSpans>,
    /// One entry per `Ir::types` element.
    pub types: Vec<ItemSpans>,
}

/// Byte offsets of an item's node and of its child nodes.
#[derive(Debug, Clone, Default)]
pub struct ItemSpans {
    /// Offset of the item's name.
    pub offset: usize,
    /// `(child node name, offset)` in source order.
    pub children: Vec<(&'static str, usize)>,
}

impl ItemSpans {
    /// Offset of the `n`th child node called `kind` (e.g. the 2nd `affects`).
    pub fn nth(&self, kind: &str, n: usize) -> Option<usize> {
        self.children.iter().filter(|(k, _)| *k == kind).nth(n).map(|(_, o)| *o)
    }
}

impl SourceMap {
    pub(super) fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(text));
        SourceMap {
            line_starts,
            text_len: text.len(),
            ..SourceMap::default()
        }
    }

    /// Line and column of a byte offset (needs the same text for columns in
    /// characters; without it columns count bytes).
    pub fn location(&self, text: Option<&str>, offset: usize) -> Location {
        let offset = offset.min(self.text_len);
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = match text.and_then(|t| t.get(start..offset)) {
            Some(prefix) => prefix.chars().count() + 1,
            None => offset - start + 1,
        };
        Location { line, column }
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i + 1)
}
