//! `#[mizan::client(...)]`: keeps the function as written and adds, next to
//! it, a hidden marker type (so `affects = this_fn` resolves) and a registry
//! entry with the function's IR description and handler.

use crate::docs::{doc_text, option_string};
use crate::serde_names::{ident_name, unsupported};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, FnArg, Ident, ItemFn, Lit, Pat, Path, ReturnType, Token, Type};

/// One `key` or `key = value` of the attribute.
struct Arg {
    key: Ident,
    value: Option<Expr>,
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Arg { key, value })
    }
}

/// A context reference: a `#[mizan::context]` type or a context name.
enum CtxRef {
    Type(Path),
    Name(String),
}

impl CtxRef {
    fn tokens(&self) -> TokenStream {
        match self {
            CtxRef::Type(p) => quote_spanned!(p.span()=> <#p as ::mizan::Context>::NAME.to_owned()),
            CtxRef::Name(n) => quote!(::std::string::String::from(#n)),
        }
    }
}

#[derive(Default)]
struct Options {
    context: Option<CtxRef>,
    affects: Vec<Expr>,
    merge: Vec<CtxRef>,
    auth: Option<TokenStream>,
    predicate: Option<Path>,
    private: bool,
    websocket: bool,
    rev: Option<u32>,
    cache: Option<TokenStream>,
    route: Option<String>,
    methods: Vec<String>,
}

fn string_lit(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
        _ => None,
    }
}

fn items(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Array(a) => a.elems.iter().collect(),
        other => vec![other],
    }
}

fn ctx_ref(e: &Expr) -> syn::Result<CtxRef> {
    match e {
        Expr::Path(p) => Ok(CtxRef::Type(p.path.clone())),
        other => string_lit(other)
            .map(CtxRef::Name)
            .ok_or_else(|| unsupported(other, "expected a #[mizan::context] type or a context name string")),
    }
}

fn parse_options(attr: TokenStream) -> syn::Result<Options> {
    let args = syn::parse::Parser::parse2(Punctuated::<Arg, Token![,]>::parse_terminated, attr)?;
    let mut o = Options::default();
    for Arg { key, value } in args {
        let name = key.to_string();
        let need = |v: &Option<Expr>| {
            v.clone()
                .ok_or_else(|| syn::Error::new(key.span(), format!("`{name}` needs a value: `{name} = ...`")))
        };
        match name.as_str() {
            "context" => o.context = Some(ctx_ref(&need(&value)?)?),
            "affects" => o.affects.extend(items(&need(&value)?).into_iter().cloned()),
            "merge" => {
                for e in items(&need(&value)?) {
                    o.merge.push(ctx_ref(e)?);
                }
            }
            "auth" => {
                let v = need(&value)?;
                o.auth = Some(match (&v, string_lit(&v).as_deref()) {
                    (_, Some("required")) => quote!(::mizan::__private::ir::Auth::Required),
                    (_, Some("staff")) => quote!(::mizan::__private::ir::Auth::Staff),
                    (_, Some("superuser")) => quote!(::mizan::__private::ir::Auth::Superuser),
                    (Expr::Path(p), None) => {
                        let last = p.path.segments.last().map(|s| ident_name(&s.ident)).unwrap_or_default();
                        o.predicate = Some(p.path.clone());
                        quote!(::mizan::__private::ir::Auth::Predicate(::std::string::String::from(#last)))
                    }
                    _ => {
                        return Err(unsupported(
                            &v,
                            "auth must be \"required\", \"staff\", \"superuser\" or the path of a predicate fn(&RequestHandle) -> bool",
                        ));
                    }
                });
            }
            "private" | "websocket" => {
                if let Some(v) = &value {
                    return Err(unsupported(v, &format!("`{name}` is a flag: write just `{name}`")));
                }
                if name == "private" {
                    o.private = true;
                } else {
                    o.websocket = true;
                }
            }
            "rev" => {
                let v = need(&value)?;
                let Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) = &v else {
                    return Err(unsupported(&v, "rev must be a non-negative integer"));
                };
                o.rev = Some(i.base10_parse()?);
            }
            "cache" => {
                let v = need(&value)?;
                o.cache = Some(match &v {
                    Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => {
                        let secs: u64 = i.base10_parse()?;
                        if secs == 0 {
                            return Err(unsupported(i, "cache needs a positive number of seconds (or `false`)"));
                        }
                        quote!(::mizan::__private::ir::CachePolicy::Ttl(#secs))
                    }
                    Expr::Lit(ExprLit { lit: Lit::Bool(b), .. }) if !b.value => {
                        quote!(::mizan::__private::ir::CachePolicy::None)
                    }
                    Expr::Lit(ExprLit { lit: Lit::Bool(_), .. }) => {
                        quote!(::mizan::__private::ir::CachePolicy::Forever)
                    }
                    _ => return Err(unsupported(&v, "cache must be a number of seconds or `false`")),
                });
            }
            "route" => {
                let v = need(&value)?;
                o.route = Some(
                    string_lit(&v)
                        .ok_or_else(|| unsupported(&v, "route must be a string such as \"/profile/:id/\""))?,
                );
            }
            "methods" => {
                for e in items(&need(&value)?) {
                    o.methods
                        .push(string_lit(e).ok_or_else(|| unsupported(e, "methods are strings such as \"GET\""))?);
                }
            }
            other => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{other}`; expected context, affects, merge, auth, private, websocket, rev, cache, route or methods"
                    ),
                ));
            }
        }
    }
    Ok(o)
}

/// `#[mizan(default = LITERAL)]` on a parameter, as JSON text.
fn param_default(attrs: &mut Vec<syn::Attribute>) -> syn::Result<Option<String>> {
    let mut default = None;
    let mut error = None;
    attrs.retain(|a| {
        if !a.path().is_ident("mizan") {
            return true;
        }
        let r = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                let e: Expr = meta.value()?.parse()?;
                default = Some(literal_json(&e)?);
                Ok(())
            } else {
                Err(meta.error("expected `default = LITERAL`"))
            }
        });
        if let Err(e) = r {
            error = Some(e);
        }
        false
    });
    match error {
        Some(e) => Err(e),
        None => Ok(default),
    }
}

fn literal_json(e: &Expr) -> syn::Result<String> {
    match e {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Int(i) => Ok(i.base10_digits().to_owned()),
            Lit::Float(f) => Ok(f.base10_digits().to_owned()),
            Lit::Bool(b) => Ok(b.value.to_string()),
            Lit::Str(s) => Ok(format!("{:?}", s.value()).replace("\\'", "'")),
            other => Err(unsupported(
                other,
                "default must be an integer, float, bool or string literal",
            )),
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => Ok(format!("-{}", literal_json(&u.expr)?)),
        other => Err(unsupported(
            other,
            "default must be an integer, float, bool or string literal",
        )),
    }
}

/// Whether the written return type is a `Result<..>`.
fn returns_result(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Result"))
}

/// The `T` of `Result<T, E>`, else the type itself.
fn output_type(ty: &Type) -> Type {
    if let Type::Path(p) = ty
        && let Some(seg) = p.path.segments.last()
        && seg.ident == "Result"
        && let syn::PathArguments::AngleBracketed(args) = &seg.arguments
        && let Some(syn::GenericArgument::Type(t)) = args.args.first()
    {
        return t.clone();
    }
    ty.clone()
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = parse_options(attr)?;
    let mut func: ItemFn = syn::parse2(item)?;
    if func.sig.asyncness.is_none() {
        return Err(unsupported(
            func.sig.fn_token,
            "#[mizan::client] functions must be `async fn`",
        ));
    }
    if !func.sig.generics.params.is_empty() {
        return Err(unsupported(
            &func.sig.generics,
            "#[mizan::client] functions cannot be generic",
        ));
    }
    let fn_ident = func.sig.ident.clone();
    let name = ident_name(&fn_ident);
    let mut inputs = func.sig.inputs.iter_mut();
    match inputs.next() {
        Some(FnArg::Typed(_)) => {}
        Some(FnArg::Receiver(r)) => return Err(unsupported(r, "#[mizan::client] functions cannot take `self`")),
        None => {
            return Err(syn::Error::new(
                func.sig.paren_token.span.join(),
                "the first parameter must be the request handle: `req: &mizan::RequestHandle<'_>`",
            ));
        }
    }
    let mut params = Vec::new();
    for input in inputs {
        let FnArg::Typed(pt) = input else { continue };
        let default = param_default(&mut pt.attrs)?;
        let Pat::Ident(pi) = &*pt.pat else {
            return Err(unsupported(
                &pt.pat,
                "parameters of #[mizan::client] functions must be plain names",
            ));
        };
        params.push((pi.ident.clone(), (*pt.ty).clone(), default));
    }

    let doc = option_string(&doc_text(&func.attrs));
    let (out_ty, is_result) = match &func.sig.output {
        ReturnType::Default => (syn::parse_quote!(()), false),
        ReturnType::Type(_, ty) => (output_type(ty), returns_result(ty)),
    };

    let mut describe = Vec::new();
    if let Some(c) = &options.context {
        let c = c.tokens();
        describe.push(quote!(f.context = ::core::option::Option::Some(#c);));
    }
    if options.websocket {
        describe.push(quote!(f.transport = ::mizan::__private::ir::Transport::Websocket;));
    }
    if let Some(auth) = &options.auth {
        describe.push(quote!(f.auth = #auth;));
    }
    if options.private {
        describe.push(quote!(f.private = true;));
    }
    if let Some(route) = &options.route {
        describe.push(quote!(f.route = ::core::option::Option::Some(::std::string::String::from(#route));));
    }
    for m in &options.methods {
        describe.push(quote!(f.methods.push(::std::string::String::from(#m));));
    }
    if let Some(rev) = options.rev {
        describe.push(quote!(f.rev = #rev;));
    }
    if let Some(cache) = &options.cache {
        describe.push(quote!(f.cache = #cache;));
    }
    let mut decode = Vec::new();
    let mut call_args = Vec::new();
    for (ident, ty, default) in &params {
        let wire = ident_name(ident);
        let (default_ir, default_fn, has_default) = match default {
            Some(json) => (
                quote!(::core::option::Option::Some(::mizan::__private::json(#json))),
                quote!(::core::option::Option::Some((|| ::mizan::__private::json(#json)) as fn() -> ::mizan::__private::Value)),
                true,
            ),
            None => (
                quote!(::core::option::Option::None),
                quote!(::core::option::Option::None),
                false,
            ),
        };
        describe.push(quote_spanned! {ty.span()=>
            f.params.push(::mizan::__private::ir::Param {
                name: ::std::string::String::from(#wire),
                shape: <#ty as ::mizan::MizanType>::shape(types),
                default: #default_ir,
                required: <#ty as ::mizan::MizanType>::REQUIRED && !#has_default,
            });
        });
        let var = format_ident!("__arg_{}", wire);
        decode.push(quote_spanned! {ty.span()=>
            let #var = __errors.take::<#ty>(__args, #wire, #default_fn);
        });
        call_args.push(var);
    }
    for target in &options.affects {
        describe.push(match target {
            Expr::Path(p) => {
                let path = &p.path;
                quote_spanned!(path.span()=> f.affects.push(<#path as ::mizan::__private::AsTarget>::TARGET.target());)
            }
            other => match string_lit(other) {
                Some(s) => {
                    quote!(f.affects.push(::mizan::__private::ir::Target::Context(::std::string::String::from(#s)));)
                }
                None => {
                    return Err(unsupported(
                        other,
                        "affects takes context types, function paths or context name strings",
                    ));
                }
            },
        });
    }
    for m in &options.merge {
        let c = m.tokens();
        describe.push(quote!(f.merge.push(#c);));
    }

    let encode = if is_result {
        quote!(match __out {
            ::core::result::Result::Ok(v) => ::mizan::__private::encode(v),
            ::core::result::Result::Err(e) => ::core::result::Result::Err(::core::convert::Into::into(e)),
        })
    } else {
        quote!(::mizan::__private::encode(__out))
    };
    let predicate = match &options.predicate {
        Some(p) => quote_spanned!(p.span()=> ::core::option::Option::Some(#p as ::mizan::__private::PredicateFn)),
        None => quote!(::core::option::Option::None),
    };
    let unwraps = call_args.iter().map(|v| {
        quote!(let ::core::option::Option::Some(#v) = #v else {
            return ::core::result::Result::Err(::mizan::MizanError::internal("argument decoding failed"));
        };)
    });
    let vis = &func.vis;
    let marker = Ident::new(&fn_ident.to_string(), Span::call_site());
    let out_ty_span = out_ty.span();
    let output_shape = quote_spanned!(out_ty_span=> <#out_ty as ::mizan::MizanType>::shape(types));

    Ok(quote! {
        #func

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #marker {}

        impl ::mizan::__private::AsTarget for #marker {
            const TARGET: ::mizan::__private::TargetRef = ::mizan::__private::TargetRef::Function(#name);
        }

        const _: () = {
            #[::mizan::__private::linkme::distributed_slice(::mizan::__private::FUNCTIONS)]
            #[linkme(crate = ::mizan::__private::linkme)]
            static __ENTRY: ::mizan::FunctionEntry = ::mizan::FunctionEntry {
                name: #name,
                location: ::core::concat!(::core::file!(), ":", ::core::line!()),
                describe: __describe,
                call: __call,
                predicate: #predicate,
            };

            fn __describe(types: &mut ::mizan::TypeRegistry) -> ::mizan::__private::ir::Function {
                let mut f = ::mizan::__private::ir::Function::new(#name, #output_shape);
                f.doc = #doc;
                #(#describe)*
                f
            }

            fn __call<'a>(
                __req: &'a ::mizan::RequestHandle<'a>,
                __args: &'a ::mizan::__private::Map<::std::string::String, ::mizan::__private::Value>,
            ) -> ::mizan::__private::BoxFuture<'a, ::core::result::Result<::mizan::__private::Value, ::mizan::MizanError>> {
                ::std::boxed::Box::pin(async move {
                    let mut __errors = ::mizan::__private::ArgErrors::default();
                    #(#decode)*
                    __errors.finish()?;
                    #(#unwraps)*
                    let __out = #fn_ident(__req, #(#call_args),*).await;
                    #encode
                })
            }
        };
    })
}
