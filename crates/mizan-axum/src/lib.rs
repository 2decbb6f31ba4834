//! # mizan-axum
//!
//! Serve Mizan server functions over HTTP with axum (SPEC §3):
//!
//! ```no_run
//! use mizan_core::cache::RedisCache;
//! use std::sync::Arc;
//! # struct Db;
//! # async fn lookup(token: String) -> Option<mizan::Principal> { None }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = mizan::Registry::from_linked()?;
//! let mut extensions = mizan::Extensions::new();
//! extensions.insert(Db); // what server functions get from `req.state::<Db>()`
//! let state = mizan_axum::MizanState::builder(registry)
//!     .extensions(extensions)
//!     .mwt_secret("the MWT secret") // X-Mizan-Token
//!     .bearer(|token| async move { lookup(token).await }) // Authorization: Bearer
//!     .cache("the cache secret", Arc::new(RedisCache::new("redis://127.0.0.1/")?))
//!     .build();
//! let app = axum::Router::new().nest("/api/mizan", mizan_axum::router(state));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! ## Cross-origin requests (SPEC §3.3)
//!
//! A browser sends `multipart/form-data` posts and WebSocket upgrades to
//! any site without a CORS preflight, with the user's cookies. So every
//! `POST /call/` and every `/ws/` upgrade whose `Origin` header is present
//! and not allowed is refused with 403 `FORBIDDEN` before the caller is
//! identified, the body read or a function run:
//!
//! * allowed by default: the request's own origin — `Origin`'s host and
//!   port equal to `Host`'s (the scheme is not compared: behind a TLS
//!   proxy the server cannot know it);
//! * allowed when listed: exact origins given to
//!   [`MizanStateBuilder::allowed_origins`] (`https://app.example.com`; no
//!   wildcards, no paths, never `null`) — a front end served from another
//!   origin, a dev server proxying with a rewritten `Host`, a desktop
//!   webview (`tauri://localhost`);
//! * refused: any other origin, `Origin: null`, a malformed `Origin` (the
//!   message says which rule), an `Origin` without a `Host` to compare it
//!   with, and `Sec-Fetch-Site: cross-site` without a listed `Origin`;
//! * unaffected: requests without `Origin` (curl, server to server, native
//!   and Node clients), `GET /session/` and `/ctx/` reads (a page on
//!   another site cannot read their answers), and Tauri IPC (no HTTP).
//!
//! An application's own routes can apply the same rule with
//! [`MizanState::check_origin`].
//!
//! Architecture invariant: **the adapter moves envelopes**. It identifies
//! the caller, decodes the body or query string, asks [`mizan::Registry`]
//! — which enforces auth and privacy before any body runs, validates
//! arguments, isolates panics and resolves invalidation — and encodes the
//! answer, the `X-Mizan-Invalidate` header and the origin cache around it.
//! It never re-implements any of those (nor the header, cache keys or MWT,
//! which live in `mizan-core`). It is an API boundary: applications build a
//! [`MizanState`] and nest [`router`].

#![warn(missing_docs)]

mod auth;
#[cfg(feature = "devtools")]
mod devtools;
mod error;
mod multipart;
mod origin;
mod push_bus;
mod router;
mod state;
mod ws;

pub use auth::{AuthOutcome, Authenticator, BearerAuthenticator, MwtAuthenticator, TOKEN_HEADER};
pub use error::Error;
/// The devtools channel (feature `devtools`): `Options`, `Devtools`, the
/// event types and the observer's client.
#[cfg(feature = "devtools")]
pub use mizan_devtools;
pub use push_bus::{PUSH_CHANNEL, RedisPushBus};
pub use router::router;
pub use state::{DEFAULT_BODY_LIMIT, DEFAULT_MAX_CONNECTIONS, MizanState, MizanStateBuilder};

/// `X-Mizan-Invalidate` (lower case, as `http` header names are).
pub const INVALIDATE_HEADER: &str = "x-mizan-invalidate";

/// `X-Mizan-Client`: the calling client's id, echoed in the pushes its
/// calls cause.
pub const CLIENT_HEADER: &str = "x-mizan-client";

/// `X-Mizan-Cache: HIT|MISS` on context responses when the cache is enabled.
pub const CACHE_HEADER: &str = "x-mizan-cache";
