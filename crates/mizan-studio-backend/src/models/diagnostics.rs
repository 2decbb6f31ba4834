//! The problems panel: the check diagnostics of the last load.

use mizan::Mizan;
use serde::{Deserialize, Serialize};

use super::source::SourceLocation;

/// How bad a diagnostic is (the core's `check::Severity`).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The IR must not be used.
    Error,
    /// Suspicious but usable.
    Warning,
}

impl Severity {
    /// `error` or `warning` (the wire name; the SVG export's class).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl From<mizan_core::check::Severity> for Severity {
    fn from(s: mizan_core::check::Severity) -> Self {
        match s {
            mizan_core::check::Severity::Error => Severity::Error,
            mizan_core::check::Severity::Warning => Severity::Warning,
        }
    }
}

/// One check diagnostic (or a parse/source error) of the last load.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DiagnosticView {
    /// Stable code (`dangling-affects`, `kdl-syntax`, `source-failed`, ...).
    pub code: String,
    /// How bad it is.
    pub severity: Severity,
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
