//! `#[mizan::context("name")]`: implements `mizan::Context` for the type,
//! makes it usable in `affects = ...`, and registers the context (with its
//! doc comment) so it appears in the IR even before it has members.

use crate::docs::doc_text;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, LitStr};

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let name: LitStr = syn::parse2(attr.clone())
        .map_err(|e| syn::Error::new(e.span(), "expected the context name: #[mizan::context(\"user\")]"))?;
    let value = name.value();
    if value.is_empty() || !value.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(syn::Error::new(
            name.span(),
            "a context name is an identifier such as \"user\"",
        ));
    }
    let item: Item = syn::parse2(item)?;
    let (ident, generics, attrs) = match &item {
        Item::Struct(s) => (&s.ident, &s.generics, &s.attrs),
        Item::Enum(e) => (&e.ident, &e.generics, &e.attrs),
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "#[mizan::context] goes on a struct, e.g. `pub struct UserCtx;`",
            ));
        }
    };
    if !generics.params.is_empty() {
        return Err(syn::Error::new_spanned(generics, "a context type cannot be generic"));
    }
    let doc = match doc_text(attrs) {
        Some(d) => quote!(::core::option::Option::Some(#d)),
        None => quote!(::core::option::Option::None),
    };
    Ok(quote! {
        #item

        impl ::mizan::Context for #ident {
            const NAME: &'static str = #name;
        }

        impl ::mizan::__private::AsTarget for #ident {
            const TARGET: ::mizan::__private::TargetRef = ::mizan::__private::TargetRef::Context(#name);
        }

        const _: () = {
            #[::mizan::__private::linkme::distributed_slice(::mizan::__private::CONTEXTS)]
            #[linkme(crate = ::mizan::__private::linkme)]
            static __CONTEXT: ::mizan::ContextEntry = ::mizan::ContextEntry {
                name: #name,
                doc: #doc,
                location: ::core::concat!(::core::file!(), ":", ::core::line!()),
            };
        };
    })
}
