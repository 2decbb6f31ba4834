//! Procedural macros of `mizan`. Entry points only: each delegates to an
//! `expand()` returning `syn::Result`, whose errors become `compile_error!`
//! at the user's span. Use them through the `mizan` crate.

mod client;
mod context;
mod derive;
mod docs;
mod serde_names;

use proc_macro::TokenStream;

/// Registers an async function as a Mizan server function.
///
/// Options: `context = Ctx | "name"`, `affects = X | [X, "ctx", ...]`
/// (context types, function paths, context names), `merge = Ctx | [...]`,
/// `auth = "required" | "staff" | "superuser" | predicate_fn`, `private`,
/// `websocket`, `rev = N`, `cache = SECONDS | false`, `route = "/path/"`,
/// `methods = "GET" | ["GET", "POST"]`. A parameter may carry
/// `#[mizan(default = LITERAL)]`.
#[proc_macro_attribute]
pub fn client(attr: TokenStream, item: TokenStream) -> TokenStream {
    client::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares a context type: `#[mizan::context("user")] pub struct UserCtx;`.
#[proc_macro_attribute]
pub fn context(attr: TokenStream, item: TokenStream) -> TokenStream {
    context::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Describes a struct or unit enum for the IR, honouring serde renames.
#[proc_macro_derive(Mizan, attributes(mizan))]
pub fn derive_mizan(item: TokenStream) -> TokenStream {
    derive::expand(item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
