//! Target `manifest`: the edge manifest (SPEC §9) as `mizan.manifest.json`.
//!
//! JSON has no comments, so the generated-file marker travels as a
//! `"$comment"` key (the JSON Schema convention), which sorts first.

use mizan_core::ir::Ir;
use mizan_core::manifest;
use serde_json::Value;

use super::{GeneratedFile, HEADER_MARKER, Options};
use crate::error::{Error, Result};

/// The manifest's file name.
pub const FILE: &str = "mizan.manifest.json";

/// Renders `mizan.manifest.json` for the configured base URL.
pub fn render(ir: &Ir, options: &Options) -> Result<Vec<GeneratedFile>> {
    let mut doc = manifest::build(ir, &options.base_url);
    let Value::Object(map) = &mut doc else {
        return Err(Error::Render {
            target: "manifest",
            message: "the manifest is not a JSON object".into(),
        });
    };
    map.insert(
        "$comment".into(),
        Value::String(format!("{HEADER_MARKER}. Regenerate with `mizan generate`.")),
    );
    Ok(vec![GeneratedFile::new(FILE, manifest::to_text(&doc))])
}
