//! # mizan
//!
//! Write server functions once; clients invalidate themselves.
//!
//! ```
//! #[derive(mizan::Mizan, serde::Serialize, serde::Deserialize)]
//! pub struct Profile { pub user_id: i64, pub name: String }
//!
//! #[mizan::context("user")]
//! pub struct UserCtx;
//!
//! #[mizan::client(context = UserCtx)]
//! pub async fn user_profile(req: &mizan::RequestHandle<'_>, user_id: i64) -> Profile {
//!     Profile { user_id, name: format!("user_{user_id}") }
//! }
//!
//! #[mizan::client(affects = UserCtx)]
//! pub async fn rename(req: &mizan::RequestHandle<'_>, user_id: i64, name: String)
//!     -> Result<Profile, mizan::MizanError> {
//!     Ok(Profile { user_id, name })
//! }
//!
//! let ir = mizan::build_ir().expect("a valid IR");
//! assert_eq!(ir.functions.len(), 2);
//! ```
//!
//! Every annotated function lands in a compile-time registry
//! ([`Registry::from_linked`]), which is the IR ([`build_ir`]) and the
//! dispatch table ([`Registry::call`], [`Registry::fetch`]). Adapters
//! (`mizan-axum`, `mizan-tauri`) only move envelopes; auth, validation and
//! invalidation happen here, identically on every transport.
//!
//! Invariant: this crate knows no transport; it never reads sockets, files
//! or clocks (except the [`devtools`] tap, feature `devtools`, which stamps
//! events while someone is attached).

pub mod cache;
pub mod commit;
#[cfg(feature = "devtools")]
pub mod devtools;
mod dispatch;
mod error;
mod handle;
pub mod push;
mod registry;
mod types;

pub use cache::{CacheReason, CacheStatus, Fetched, OriginCache};
pub use commit::{Commit, CommitHook, Stage};
pub use error::{MizanError, RegistryError};
pub use handle::{Extensions, Origin, Principal, RequestHandle, is_valid_client_id};
pub use mizan_core;
pub use mizan_macros::{Mizan, client, context};
pub use push::{Audience, Push, PushBus, PushHub, Subscription};
pub use registry::{ContextEntry, FunctionEntry, Registry, build_ir};
pub use types::{MizanType, TypeRegistry, Upload};

/// A `#[mizan::context("name")]` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Mizan context",
    label = "expected a type declared with #[mizan::context(\"name\")], or a context name string"
)]
pub trait Context {
    /// The context name.
    const NAME: &'static str;
}

/// Support for the macros' expansions. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::registry::{CONTEXTS, FUNCTIONS, PredicateFn};
    pub use futures::future::BoxFuture;
    pub use linkme;
    pub use mizan_core::ir;
    pub use serde_json::{Map, Value};

    use crate::{MizanError, MizanType};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// What an `affects` path names.
    #[derive(Debug, Clone, Copy)]
    pub enum TargetRef {
        /// A context.
        Context(&'static str),
        /// A function.
        Function(&'static str),
    }

    impl TargetRef {
        /// The IR target.
        pub fn target(self) -> ir::Target {
            match self {
                TargetRef::Context(n) => ir::Target::Context(n.to_owned()),
                TargetRef::Function(n) => ir::Target::Function(n.to_owned()),
            }
        }
    }

    /// Implemented by context types and by the hidden marker type generated
    /// next to every client function, so `affects = X` works for both.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is neither a Mizan context nor a #[mizan::client] function",
        label = "affects takes #[mizan::context] types, #[mizan::client] functions or context name strings"
    )]
    pub trait AsTarget {
        /// What `X` names.
        const TARGET: TargetRef;
    }

    /// Per-field argument errors collected while decoding.
    #[derive(Default)]
    pub struct ArgErrors(Vec<(String, Vec<String>)>);

    impl ArgErrors {
        /// Decodes argument `name`: present → deserialized; absent → the
        /// default, `None` for optional types, or a "required" error.
        pub fn take<T: DeserializeOwned + MizanType>(
            &mut self,
            args: &Map<String, Value>,
            name: &str,
            default: Option<fn() -> Value>,
        ) -> Option<T> {
            let decoded = match (args.get(name), default) {
                (Some(v), _) => T::deserialize(v),
                (None, Some(default)) => T::deserialize(&default()),
                (None, None) if !T::REQUIRED => T::deserialize(&Value::Null),
                (None, None) => {
                    self.0
                        .push((name.to_owned(), vec!["this argument is required".to_owned()]));
                    return None;
                }
            };
            match decoded {
                Ok(v) => Some(v),
                Err(e) => {
                    self.0.push((name.to_owned(), vec![e.to_string()]));
                    None
                }
            }
        }

        /// `VALIDATION_ERROR` if anything failed.
        pub fn finish(self) -> Result<(), MizanError> {
            if self.0.is_empty() {
                Ok(())
            } else {
                Err(MizanError::validation(self.0))
            }
        }
    }

    /// Encodes a handler's result.
    pub fn encode<T: Serialize>(value: T) -> Result<Value, MizanError> {
        serde_json::to_value(value).map_err(|e| MizanError::internal(format!("cannot serialize the result: {e}")))
    }

    /// Converts a JSON literal written in an attribute into a `Value`.
    pub fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }
}
