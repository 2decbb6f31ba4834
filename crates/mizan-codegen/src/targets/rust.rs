//! Target `rust`: a typed async client over the `mizan-client` kernel.
//!
//! | file | contents |
//! |---|---|
//! | `mod.rs` | the module root: re-exports `types` and `client` |
//! | `types.rs` | the IR's named types as serde structs, enums (with `ALL`, `as_str()` — the wire name — and `Display`) and aliases |
//! | `client.rs` | `<Fn>Args`, `<Ctx>Params`, `<Ctx>Data`, and `Client` with one async method per function and `fetch_<ctx>_context` per context |
//!
//! The output folder is a Rust module (`mod api;`); the application depends
//! on `mizan-client` only (serde and serde_json come re-exported through it).

use askama::Template;
use mizan_core::ir::Ir;

use super::rust_model::RsModel;
use super::{GeneratedFile, Options, header_comment};
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "rust/mod.rs", escape = "none")]
pub(crate) struct ModRs<'a> {
    pub header: &'a str,
    pub leptos: bool,
}

#[derive(Template)]
#[template(path = "rust/types.rs", escape = "none")]
pub(crate) struct TypesRs<'a> {
    pub header: &'a str,
    pub m: &'a RsModel,
}

#[derive(Template)]
#[template(path = "rust/client.rs", escape = "none")]
pub(crate) struct ClientRs<'a> {
    pub header: &'a str,
    pub m: &'a RsModel,
}

/// Renders the three files of the `rust` target.
pub fn render(ir: &Ir, options: &Options) -> Result<Vec<GeneratedFile>> {
    let model = RsModel::new(ir, &options.base_url)?;
    render_model(&model, false, "rust")
}

/// Renders `mod.rs`, `types.rs` and `client.rs` from a prepared model
/// (`leptos` adds the `hooks` module to `mod.rs`).
pub(crate) fn render_model(m: &RsModel, leptos: bool, target: &'static str) -> Result<Vec<GeneratedFile>> {
    let header = header_comment("//");
    let header = header.as_str();
    let err = |e: askama::Error| Error::render(target, e);
    Ok(vec![
        file("mod.rs", ModRs { header, leptos }.render().map_err(err)?),
        file("types.rs", TypesRs { header, m }.render().map_err(err)?),
        file("client.rs", ClientRs { header, m }.render().map_err(err)?),
    ])
}

/// A generated file with exactly one trailing newline.
pub(crate) fn file(path: &str, mut contents: String) -> GeneratedFile {
    let trimmed = contents.trim_end_matches('\n').len();
    contents.truncate(trimmed);
    contents.push('\n');
    GeneratedFile::new(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An enum carries its wire names: `ALL` in the IR's order, `as_str`
    /// and `Display` give `on-hold`, never the Rust spelling `OnHold`.
    #[test]
    fn enums_know_their_wire_names() {
        let ir = mizan_core::ir::parse(
            "mizan-ir version=1 {\n    function f {\n        returns Status\n    }\n    enum Status {\n        variant active\n        variant on-hold\n    }\n}\n",
        )
        .unwrap();
        let files = render(&ir, &Options::default()).unwrap();
        let types = &files.iter().find(|f| f.path.ends_with("types.rs")).unwrap().contents;
        assert!(
            types.contains("    #[serde(rename = \"on-hold\")]\n    OnHold,"),
            "{types}"
        );
        assert!(
            types.contains("pub const ALL: [Self; 2] = [\n        Self::Active,\n        Self::OnHold,\n    ];"),
            "{types}"
        );
        assert!(types.contains("Self::OnHold => \"on-hold\","), "{types}");
        assert!(types.contains("impl ::std::fmt::Display for Status {"), "{types}");
    }
}
