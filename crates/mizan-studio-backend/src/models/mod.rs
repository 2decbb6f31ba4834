//! What the studio's functions answer: plain serde structs registered in
//! the studio's IR with `#[derive(Mizan)]`, so the UI's generated client is
//! typed. One file per screen (or pane) that shows them; every type is
//! re-exported here, so `crate::models::X` names any of them.

mod activity;
mod diagnostics;
mod graph;
mod items;
mod preview;
mod project;
mod source;

pub use activity::*;
pub use diagnostics::*;
pub use graph::*;
pub use items::*;
pub use preview::*;
pub use project::*;
pub use source::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written `as_str`s are the serde wire names.
    #[test]
    fn as_str_is_the_wire_name() {
        let wire = |v: serde_json::Value| v.as_str().map(str::to_owned);
        for s in [Severity::Error, Severity::Warning] {
            assert_eq!(wire(serde_json::json!(s)).as_deref(), Some(s.as_str()));
        }
        for m in [
            GraphMode::Full,
            GraphMode::Focus,
            GraphMode::Context,
            GraphMode::Overview,
        ] {
            assert_eq!(wire(serde_json::json!(m)).as_deref(), Some(m.as_str()));
        }
        for k in [NamedTypeKind::Struct, NamedTypeKind::Enum, NamedTypeKind::Alias] {
            assert_eq!(wire(serde_json::json!(k)).as_deref(), Some(k.as_str()));
        }
    }
}
