//! The problems panel: the check diagnostics of the last load.

use mizan::Mizan;
use serde::{Deserialize, Serialize};

use super::source::SourceLocation;

/// One check diagnostic (or a parse/source error) of the last load.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DiagnosticView {
    /// Stable code (`dangling-affects`, `kdl-syntax`, `source-failed`, ...).
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The message.
    pub message: String,
    /// Names involved, first the item it is about.
    pub names: Vec<String>,
    /// Graph node the diagnostic belongs on (`fn:NAME` / `ctx:NAME`).
    pub node: Option<String>,
    /// Where in the IR text.
    pub location: Option<SourceLocation>,
}

/// Every diagnostic of the last load.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct DiagnosticsView {
    /// Diagnostics, in text order.
    pub items: Vec<DiagnosticView>,
    /// Errors among them.
    pub errors: i64,
    /// Warnings among them.
    pub warnings: i64,
    /// True when they belong to a load that failed (the graph shows the
    /// last good IR).
    pub from_failed_load: bool,
}
