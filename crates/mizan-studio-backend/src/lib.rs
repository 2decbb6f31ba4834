//! # mizan-studio-backend
//!
//! Mizan Studio's backend: the studio is our own first app on Mizan. Its
//! API is a set of `#[mizan::client]` functions ([`api`]) over a [`Studio`]
//! passed through the request `Extensions` (never a global): the open
//! project and its load status ([`project`]), the invalidation graph laid
//! out by a Sugiyama layout ([`layout`]), browse data ([`browse`]), graph exports (SVG, the core's Mermaid; [`export`]),
//! client previews and regeneration through the codegen's own planner and
//! writer ([`preview`]), highlighting ([`highlight`]), watch ([`watch`]),
//! persisted settings ([`settings`]) and what the desktop shell lends it —
//! a folder picker, dropped paths ([`shell`]).
//!
//! Architecture invariant: **no Tauri, no HTTP, no window.** The desktop
//! shell (`src-tauri`, through `mizan-tauri`) and web mode (`mizan-axum`)
//! only move envelopes to [`mizan::Registry`]; everything here runs and is
//! tested through the dispatcher. Heavy work (layout, highlighting, diffs,
//! regeneration) happens here, never in the wasm UI.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let registry = Arc::new(mizan::Registry::from_linked()?);
//! let studio = mizan_studio_backend::Studio::new(Default::default());
//! studio.attach(&registry);
//! let mut extensions = mizan::Extensions::new();
//! extensions.insert(studio.clone());
//! # Ok(()) }
//! ```

pub mod api;
pub mod browse;
pub mod error;
pub mod export;
pub mod highlight;
pub mod layout;
pub mod live;
pub mod memory;
pub mod models;
pub mod preview;
pub mod project;
pub mod settings;
pub mod shell;
pub mod studio;
pub mod watch;

pub use error::StudioError;
pub use shell::{FolderPicker, PickFuture};
pub use studio::{Studio, StudioOptions, Trigger};

/// The studio's canonical IR (what `mizan-studio --print-ir` prints).
pub fn studio_ir() -> Result<String, mizan::RegistryError> {
    mizan::Registry::from_linked().map(|r| r.ir_text())
}

/// Forces the linker to keep this crate's registry entries in binaries that
/// only reach it through `Registry::from_linked` (call it once at startup).
pub fn link() {
    std::hint::black_box(api::project_info as *const () as usize);
    std::hint::black_box(live::api::environments as *const () as usize);
}
