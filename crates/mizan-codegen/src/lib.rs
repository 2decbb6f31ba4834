//! # mizan-codegen
//!
//! Generates typed clients and the edge manifest from the canonical IR.
//!
//! * [`config`] reads `mizan.toml` (output folder, targets, IR source);
//! * [`source`] obtains the IR text (a KDL file or a command) and checks it;
//! * [`targets`] renders each target to `(relative path, contents)` files,
//!   with askama templates from the workspace's `templates/<target>/`;
//! * [`writer`] compares them with the output folder and writes atomically,
//!   replacing or deleting only files this config's [`record`] lists (and
//!   that still carry the generated-file header), never through a link;
//! * [`generate`] chains the four (`mizan generate`).
//!
//! Architecture invariant: targets are pure (IR in, bytes out); only
//! `source` (runs commands, reads files) and `writer` (writes files) do I/O.

#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod generate;
pub mod record;
pub mod source;
pub mod targets;
pub mod writer;

pub use config::{Config, Source};
pub use error::{Error, Result};
pub use generate::{Generation, prepare, render_targets};
pub use targets::{GeneratedFile, Options, Target};
