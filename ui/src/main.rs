//! Entry point of the Mizan Studio UI: mounts [`app::App`] on `<body>`.
//!
//! Everything visible lives in `app.rs` (shell and routes), `pages/` (one
//! file per screen) and `components/`; this file only boots the app.

mod app;

fn main() {
    // Panics show up in the webview console instead of as "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
