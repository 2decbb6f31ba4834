//! Compiles the generated `rust` and `leptos` clients (written here by the
//! test) and code using them, under `cargo clippy -- -D warnings`.

/// The `leptos` target for the every-construct IR.
pub mod every_leptos;
/// The `rust` target for the every-construct IR.
pub mod every_rust;
/// The `leptos` target for the AFI fixture.
pub mod leptos_api;
/// The `rust` target for the AFI fixture.
pub mod rust_api;
pub mod usage;
