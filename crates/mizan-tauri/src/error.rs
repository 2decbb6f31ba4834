//! The crate's one error type: what can stop the plugin from being built or
//! set up. A failed *request* is not an [`Error`]: it is a
//! [`mizan::MizanError`] from the dispatcher (or `BAD_REQUEST` for a
//! malformed envelope), rejected over IPC as its wire body
//! `{"code", "message", "details"?}`.

use mizan::RegistryError;

/// Everything that can go wrong while building or setting up the plugin.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `#[mizan::client]` functions linked into the app do not form a
    /// valid registry (duplicate names, conflicting types, an invalid
    /// invalidation graph). Names the functions or diagnostics involved.
    #[error("the Mizan server functions cannot be served: {0}")]
    Registry(#[from] RegistryError),

    /// Tauri refused to build the plugin (a reserved plugin name; cannot
    /// happen with the fixed name `mizan`, kept so building never panics).
    #[error("the Mizan plugin cannot be built: {0}")]
    Plugin(#[from] tauri::plugin::BuilderError),
}
