//! The UI's pure layer: plain data and functions over the generated API's
//! types — ids, display names, the fuzzy match, keyboard decisions, the
//! palette's ranking, the graph's viewBox arithmetic. Tested on the host.
//!
//! It must never use Leptos (no signals, no context, no components) and
//! never import from the layers above it (`context`, `components`,
//! `pages`, `app`; `tests/layers.rs` checks both).

pub mod fuzzy;
pub mod ids;
pub mod keys;
pub mod live;
pub mod names;
pub mod palette;
pub mod viewport;
