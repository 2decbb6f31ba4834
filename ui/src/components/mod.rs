//! Pieces of the screens.

pub mod diagnostics;
pub mod drop_hint;
pub mod graph;
pub mod inspector;
pub mod json;
pub mod sidebar;
pub mod status_bar;
pub mod top_bar;
pub mod viewport;
pub mod whatif;
