//! The IR as the Source tab shows it: a position in its text, and the
//! highlighted text of the last load.

use mizan::Mizan;
use serde::{Deserialize, Serialize};

/// A line/column position in the IR text (1-based).
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    /// Line.
    pub line: i64,
    /// Column, in characters.
    pub column: i64,
}

impl From<mizan_core::ir::Location> for SourceLocation {
    fn from(l: mizan_core::ir::Location) -> Self {
        SourceLocation {
            line: l.line as i64,
            column: l.column as i64,
        }
    }
}

/// The IR text of the last load (even a broken one) and of the shown IR.
#[derive(Mizan, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct IrSource {
    /// The KDL file, when the source is one.
    pub path: Option<String>,
    /// The IR on screen, highlighted (one HTML line per line of text; after
    /// a broken save, the last good IR).
    pub html: Option<String>,
    /// Why there is nothing to show, in a sentence, when `html` is `None`.
    pub missing: Option<String>,
}
