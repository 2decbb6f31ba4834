//! Target `leptos`: Leptos 0.8 signals and actions over the typed Rust
//! client (the `rust` target's files plus `hooks.rs`).
//!
//! | file | contents |
//! |---|---|
//! | `mod.rs`, `types.rs`, `client.rs` | as in the `rust` target |
//! | `hooks.rs` | `provide_mizan`, `use_mizan`, `ContextState`, `use_<ctx>_context(params)`, `use_<fn>()` actions |
//!
//! Because it contains the `rust` target, listing both in `mizan.toml` keeps
//! only `leptos` (the config does that).
//! The application depends on `leptos` 0.8 and `mizan-client`.

use askama::Template;
use mizan_core::ir::Ir;

use super::rust::{file, render_model};
use super::rust_model::RsModel;
use super::{GeneratedFile, Options, header_comment};
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "leptos/hooks.rs", escape = "none")]
struct HooksRs<'a> {
    header: &'a str,
    m: &'a RsModel,
}

/// Renders the four files of the `leptos` target.
pub fn render(ir: &Ir, options: &Options) -> Result<Vec<GeneratedFile>> {
    let model = RsModel::new(ir, &options.base_url)?;
    let mut files = render_model(&model, true, "leptos")?;
    let header = header_comment("//");
    let hooks = HooksRs {
        header: &header,
        m: &model,
    }
    .render()
    .map_err(|e| Error::render("leptos", e))?;
    files.push(file("hooks.rs", hooks));
    Ok(files)
}
