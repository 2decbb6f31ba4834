//! Pieces of the screens.

pub mod cache;
pub mod candidates;
pub mod clients;
pub mod diagnostics;
pub mod drop_hint;
pub mod environment;
pub mod export;
pub mod graph;
pub mod inspector;
pub mod job;
pub mod json;
pub mod palette;
pub mod replay;
pub mod shortcuts;
pub mod show_more;
pub mod sidebar;
pub mod tokens;
pub mod traffic;
pub mod source;
pub mod status_bar;
pub mod top_bar;
pub mod trace;
pub mod whatif;
