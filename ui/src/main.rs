//! Entry point of the Mizan Studio UI: mounts [`app::App`] on `<body>`.
//!
//! `app.rs` is the shell; `pages/` holds the two screens (no project open,
//! the workspace); `components/` their pieces (the palette, shortcuts and
//! trace among them, over the pure `palette.rs` and `keys.rs`;
//! `commands.rs` runs the studio's commands); `backend.rs` is the one
//! module that connects to the studio's backend, through the client in
//! `api/` that our own `leptos` codegen target generates from the backend's
//! IR (`ui/mizan.toml`; never edit it by hand).

// Generated (never formatted or edited by hand): the whole API is there
// whether or not the UI uses it yet.
#[rustfmt::skip]
#[allow(dead_code, unused_imports, clippy::all)]
mod api;
mod app;
mod backend;
mod commands;
mod components;
mod fuzzy;
mod keys;
mod pages;
mod palette;
mod state;
mod timing;

fn main() {
    // Panics show up in the webview console instead of as "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
