//! Entry point of the Mizan Studio UI: mounts [`app::App`] on `<body>`.
//!
//! The modules are layers, each importing only from itself and the layers
//! before it (`tests/layers.rs` fails on an upward import):
//!
//! 1. `api/` — the client our own `leptos` codegen target generates from
//!    the backend's IR (`ui/mizan.toml`; never edit it by hand), and
//!    `backend.rs`, the one module that connects it to the studio's
//!    backend;
//! 2. `pure/` — plain data and functions, no Leptos (ids, names, fuzzy
//!    match, keys, the palette's ranking, viewport arithmetic);
//! 3. `context/` — what the app and the workspace provide and every piece
//!    reads (the mounted views, UI state, the command runner, opening the
//!    palette), and `timing.rs` (first-paint reports);
//! 4. `components/` — the screens' pieces;
//! 5. `pages/` — the two screens (no project open, the workspace);
//! 6. `app.rs` — the shell, and this file.

// Generated (never formatted or edited by hand): the whole API is there
// whether or not the UI uses it yet.
#[rustfmt::skip]
#[allow(dead_code, unused_imports, clippy::all)]
mod api;
mod app;
mod backend;
mod components;
mod context;
mod pages;
mod pure;
mod timing;

fn main() {
    // Panics show up in the webview console instead of as "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
