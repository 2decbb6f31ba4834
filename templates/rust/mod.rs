{{ header }}//! A typed client of this Mizan API over the `mizan-client` kernel.
//!
//! `types` holds the API's named types; `client` the [`Client`] with one
//! async method per function and one `fetch_<context>_context` per context.
{%- if leptos %}
//! `hooks` holds the Leptos bindings: `provide_mizan` (which also runs the
//! push loop), `use_mizan_status`, `use_<context>_context` and one
//! `use_<function>` action per function.
{%- endif %}
//!
//! ```ignore
//! let client = Client::new(mizan_client::MizanClient::http("http://127.0.0.1:8000/api/mizan")?);
//! // Server pushes (WebSocket `{base}/ws/`) refetch what other clients change:
//! let kernel = client.kernel().clone();
//! tokio::spawn(async move { kernel.run_push().await });
//! ```
//!
//! Arguments of shape `upload` are `mizan_client::Upload {filename,
//! content_type, bytes}`, sent as multipart file parts over HTTP.

pub mod client;
{%- if leptos %}
pub mod hooks;
{%- endif %}
pub mod types;

pub use client::*;
{%- if leptos %}
pub use hooks::*;
{%- endif %}
pub use types::*;
