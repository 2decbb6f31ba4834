//! Wire names the way serde computes them: `rename`, `rename_all`, raw
//! identifiers.

use syn::{Attribute, LitStr, spanned::Spanned};

/// A serde `rename_all` rule.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    fn parse(s: &LitStr) -> syn::Result<Self> {
        Ok(match s.value().as_str() {
            "lowercase" => RenameRule::Lower,
            "UPPERCASE" => RenameRule::Upper,
            "PascalCase" => RenameRule::Pascal,
            "camelCase" => RenameRule::Camel,
            "snake_case" => RenameRule::Snake,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnake,
            "kebab-case" => RenameRule::Kebab,
            "SCREAMING-KEBAB-CASE" => RenameRule::ScreamingKebab,
            other => {
                return Err(syn::Error::new(
                    s.span(),
                    format!("unknown serde rename_all rule `{other}`"),
                ));
            }
        })
    }

    /// Applies to a field name (snake_case input), like serde.
    pub fn field(self, name: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => name.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => name.to_ascii_uppercase(),
            RenameRule::Pascal => name.split('_').map(capitalize).collect(),
            RenameRule::Camel => {
                let pascal: String = name.split('_').map(capitalize).collect();
                lower_first(&pascal)
            }
            RenameRule::Kebab => name.replace('_', "-"),
            RenameRule::ScreamingKebab => name.replace('_', "-").to_ascii_uppercase(),
        }
    }

    /// Applies to a variant name (PascalCase input), like serde.
    pub fn variant(self, name: &str) -> String {
        let snake = || {
            let mut out = String::new();
            for (i, c) in name.char_indices() {
                if c.is_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            out
        };
        match self {
            RenameRule::Pascal => name.to_owned(),
            RenameRule::Lower => name.to_ascii_lowercase(),
            RenameRule::Upper => name.to_ascii_uppercase(),
            RenameRule::Camel => lower_first(name),
            RenameRule::Snake => snake(),
            RenameRule::ScreamingSnake => snake().to_ascii_uppercase(),
            RenameRule::Kebab => snake().replace('_', "-"),
            RenameRule::ScreamingKebab => snake().replace('_', "-").to_ascii_uppercase(),
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The serde attributes we honour on an item, field or variant.
#[derive(Default)]
pub struct SerdeAttrs {
    pub rename: Option<String>,
    pub rename_all: Option<RenameRule>,
    pub default: bool,
    pub skip: bool,
    pub skip_serializing_if: bool,
    pub flatten: bool,
    pub tagged: bool,
}

impl SerdeAttrs {
    /// Reads every `#[serde(...)]` of `attrs`; unknown keys are ignored
    /// (serde itself validates them).
    pub fn read(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = SerdeAttrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
            attr.parse_nested_meta(|meta| {
                let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                match key.as_str() {
                    "rename" | "rename_all" => {
                        // `rename = "x"` or `rename(serialize = "x", ...)`.
                        let value = if meta.input.peek(syn::Token![=]) {
                            Some(meta.value()?.parse::<LitStr>()?)
                        } else {
                            let mut serialize = None;
                            meta.parse_nested_meta(|inner| {
                                let v = inner.value()?.parse::<LitStr>()?;
                                if inner.path.is_ident("serialize") {
                                    serialize = Some(v);
                                }
                                Ok(())
                            })?;
                            serialize
                        };
                        if let Some(v) = value {
                            if key == "rename" {
                                out.rename = Some(v.value());
                            } else {
                                out.rename_all = Some(RenameRule::parse(&v)?);
                            }
                        }
                    }
                    "default" => {
                        out.default = true;
                        skip_value(&meta)?;
                    }
                    "skip" | "skip_serializing" => out.skip = true,
                    "skip_serializing_if" => {
                        out.skip_serializing_if = true;
                        skip_value(&meta)?;
                    }
                    "flatten" => out.flatten = true,
                    "tag" | "untagged" | "content" => {
                        out.tagged = true;
                        skip_value(&meta)?;
                    }
                    _ => skip_value(&meta)?,
                }
                Ok(())
            })?;
        }
        Ok(out)
    }
}

/// Consumes `= value` or `(...)` after a key we do not interpret.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<proc_macro2::TokenStream>()?;
    }
    Ok(())
}

/// The wire name of an identifier (raw `r#` prefix removed).
pub fn ident_name(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// An error at `tokens` saying `what` is not supported.
pub fn unsupported(tokens: impl Spanned, what: &str) -> syn::Error {
    syn::Error::new(tokens.span(), what)
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn renames_like_serde() {
        assert_eq!(Camel.field("user_id"), "userId");
        assert_eq!(Pascal.field("user_id"), "UserId");
        assert_eq!(ScreamingKebab.field("user_id"), "USER-ID");
        assert_eq!(Snake.variant("OnHold"), "on_hold");
        assert_eq!(Kebab.variant("OnHold"), "on-hold");
        assert_eq!(Camel.variant("OnHold"), "onHold");
        assert_eq!(Lower.variant("OnHold"), "onhold");
    }
}
