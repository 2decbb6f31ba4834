//! # mizan-devtools
//!
//! The devtools channel of a running Mizan app (issue #15, part 1): the
//! app's [`mizan::devtools::Tap`] served on a **loopback** WebSocket that
//! only holders of a random secret may open, a discovery file telling
//! observers where it is, and the observer's side of it.
//!
//! * App side ([`serve`], [`Replayer`]): what `mizan-axum`'s and
//!   `mizan-tauri`'s `devtools` features call. Debug builds only.
//! * Observer side ([`discover`], [`Client`]): what Mizan Studio's Traffic
//!   tab uses — list running apps, connect with their secret, receive
//!   [`ServerFrame`]s (`hello`, then `event`s), send [`Replay`]s.
//!
//! The wire protocol is in [`protocol`]; the events are `mizan`'s
//! ([`mizan::devtools::Event`]).
//!
//! Invariant: **only the secret's holder attaches, and only from this
//! machine**: the listener binds 127.0.0.1, the upgrade needs
//! `Authorization: Bearer <secret>` (compared in constant time) and no
//! `Origin` (a browser page cannot open it), and the discovery file and its
//! directory are readable by the user only. The channel never carries a
//! token: principals are ids, replay headers are used and forgotten.

#![warn(missing_docs)]

mod client;
pub mod discovery;
mod error;
pub mod protocol;
mod server;

pub use client::{Client, Frames, ReplaySender};
pub use discovery::{Discovery, DiscoveryFile, discover};
pub use error::Error;
pub use mizan::devtools::{
    CallEvent, Caller, CommitEvent, Event, EventError, EventKind, FetchEvent, PushEvent, Status, Transport,
};
pub use protocol::{ClientFrame, Hello, PROTOCOL, Replay, Replayed, ServerFrame};
pub use server::{Devtools, Options, ReplayFuture, Replayer, serve};
