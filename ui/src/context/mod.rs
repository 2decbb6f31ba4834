//! The UI's shared context: what the app and the workspace provide and
//! every component and page reads — the mounted views (`views.rs`), the
//! UI state and the palette's opening and closing (`ui.rs`), the app-wide
//! command runner (`commands.rs`).
//!
//! Types and `use_*` hooks live here, apart from the components that
//! provide them (as `leptos_router` keeps its context types and hooks
//! apart from its components), so a component never imports a page or the
//! shell to find its context. It must never import from `components`,
//! `pages` or `app` (`tests/layers.rs` checks it).

pub mod commands;
pub mod live;
pub mod ui;
pub mod views;
