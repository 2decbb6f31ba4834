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
