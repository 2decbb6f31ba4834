//! Doc comments (`#[doc = "..."]`) to the IR's `doc` text.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// Joins the doc lines of `attrs`, dropping the one space rustdoc adds;
/// `None` when there are none.
pub fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).trim_end().to_owned())
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// `Some("text")` / `None` as tokens.
pub fn option_string(doc: &Option<String>) -> proc_macro2::TokenStream {
    match doc {
        Some(d) => quote::quote!(::core::option::Option::Some(::std::string::String::from(#d))),
        None => quote::quote!(::core::option::Option::None),
    }
}
