//! `#[derive(Mizan)]`: the IR type of a struct (named fields: a struct;
//! one unnamed field: an alias of it) or of a unit-only enum (a string
//! enum), with serde's wire names. `#[mizan(identity)]` on a field marks the
//! identity used by merge upserts; `#[mizan(rename = "Name")]` on the type
//! changes its IR name.

use crate::docs::{doc_text, option_string};
use crate::serde_names::{SerdeAttrs, ident_name, unsupported};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, LitStr};

/// `#[mizan(...)]` options on the type or a field.
#[derive(Default)]
struct MizanAttrs {
    identity: bool,
    rename: Option<String>,
}

fn mizan_attrs(attrs: &[Attribute]) -> syn::Result<MizanAttrs> {
    let mut out = MizanAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("mizan")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("identity") {
                out.identity = true;
                Ok(())
            } else if meta.path.is_ident("rename") {
                out.rename = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error("expected `identity` (on a field) or `rename = \"Name\"` (on the type)"))
            }
        })?;
    }
    Ok(out)
}

pub fn expand(item: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(item)?;
    if !input.generics.params.is_empty() {
        return Err(unsupported(
            &input.generics,
            "#[derive(Mizan)] does not support generic types",
        ));
    }
    let ident = &input.ident;
    let container = SerdeAttrs::read(&input.attrs)?;
    let type_name = mizan_attrs(&input.attrs)?.rename.unwrap_or_else(|| ident_name(ident));
    let doc = option_string(&doc_text(&input.attrs));
    let kind = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => {
                let mut fields = Vec::new();
                let mut identity = None;
                for field in &named.named {
                    let serde = SerdeAttrs::read(&field.attrs)?;
                    if serde.skip {
                        continue;
                    }
                    if serde.flatten {
                        return Err(unsupported(
                            field,
                            "#[serde(flatten)] is not supported by #[derive(Mizan)]",
                        ));
                    }
                    let field_ident = field
                        .ident
                        .as_ref()
                        .ok_or_else(|| unsupported(field, "unnamed field"))?;
                    let wire = serde.rename.clone().unwrap_or_else(|| {
                        let raw = ident_name(field_ident);
                        container.rename_all.map(|r| r.field(&raw)).unwrap_or(raw)
                    });
                    if mizan_attrs(&field.attrs)?.identity {
                        if identity.is_some() {
                            return Err(unsupported(field, "only one field can be the identity"));
                        }
                        identity = Some(wire.clone());
                    }
                    let optional = serde.default || serde.skip_serializing_if || container.default;
                    let fdoc = option_string(&doc_text(&field.attrs));
                    let ty = &field.ty;
                    fields.push(quote_spanned! {ty.span()=>
                        ::mizan::__private::ir::Field {
                            name: ::std::string::String::from(#wire),
                            shape: <#ty as ::mizan::MizanType>::shape(types),
                            optional: #optional,
                            default: ::core::option::Option::None,
                            doc: #fdoc,
                        }
                    });
                }
                let identity = match identity {
                    Some(id) => quote!(::core::option::Option::Some(::std::string::String::from(#id))),
                    None => quote!(::core::option::Option::None),
                };
                quote!(::mizan::__private::ir::TypeKind::Struct(::mizan::__private::ir::StructDef {
                    fields: ::std::vec![#(#fields),*],
                    identity: #identity,
                }))
            }
            Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                let ty = &unnamed.unnamed[0].ty;
                quote_spanned!(ty.span()=> ::mizan::__private::ir::TypeKind::Alias(<#ty as ::mizan::MizanType>::shape(types)))
            }
            other => {
                return Err(unsupported(
                    other,
                    "#[derive(Mizan)] needs named fields or exactly one unnamed field",
                ));
            }
        },
        Data::Enum(e) => {
            if container.tagged {
                return Err(unsupported(
                    ident,
                    "tagged and untagged enums are not supported; use a unit-only enum or a struct",
                ));
            }
            let mut variants = Vec::new();
            for v in &e.variants {
                if !matches!(v.fields, Fields::Unit) {
                    return Err(unsupported(
                        v,
                        "#[derive(Mizan)] enums must have unit variants only (they are string enums)",
                    ));
                }
                let serde = SerdeAttrs::read(&v.attrs)?;
                if serde.skip {
                    continue;
                }
                let raw = ident_name(&v.ident);
                let wire = serde
                    .rename
                    .unwrap_or_else(|| container.rename_all.map(|r| r.variant(&raw)).unwrap_or(raw));
                let vdoc = option_string(&doc_text(&v.attrs));
                variants.push(
                    quote!(::mizan::__private::ir::Variant { name: ::std::string::String::from(#wire), doc: #vdoc }),
                );
            }
            quote!(::mizan::__private::ir::TypeKind::Enum(::std::vec![#(#variants),*]))
        }
        Data::Union(u) => return Err(unsupported(u.union_token, "#[derive(Mizan)] does not support unions")),
    };
    Ok(quote! {
        impl ::mizan::MizanType for #ident {
            fn shape(types: &mut ::mizan::TypeRegistry) -> ::mizan::__private::ir::Shape {
                types.named(#type_name, |types| ::mizan::__private::ir::TypeDef {
                    name: ::std::string::String::from(#type_name),
                    doc: #doc,
                    kind: #kind,
                })
            }
        }
    })
}
