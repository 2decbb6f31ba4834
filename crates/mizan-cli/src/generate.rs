//! `mizan generate` and `mizan ir export`: thin wrappers over
//! `mizan-codegen`.

use crate::Failure;
use mizan_codegen::writer::ChangeKind;
use mizan_codegen::{Config, Error, source};
use mizan_core::ir::emit;
use std::path::Path;

/// The config file used when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "mizan.toml";

/// Maps a codegen error to an exit code: an unreadable config is a bad
/// command line (2); everything else is rejected input (1).
fn failure(e: Error) -> Failure {
    match e {
        Error::ConfigRead { .. } => Failure::Usage(e.to_string()),
        other => Failure::Rejected(Some(format!("error: {other}"))),
    }
}

/// `mizan generate`: write (or with `check`, list) what the targets produce.
pub fn generate(config: &Path, check: bool) -> Result<(), Failure> {
    let generation = mizan_codegen::prepare(config).map_err(failure)?;
    for w in &generation.warnings {
        eprintln!("{w}");
    }
    let plan = &generation.plan;
    if check {
        if plan.is_clean() {
            return Ok(());
        }
        for c in &plan.changes {
            println!("would {} {}", c.kind.as_str(), show(&c.path));
        }
        return Err(Failure::Rejected(Some(format!(
            "{} generated file(s) out of date; run `mizan generate`",
            plan.changes.len()
        ))));
    }
    generation.apply().map_err(failure)?;
    for c in &plan.changes {
        println!("{} {}", c.kind.as_str(), show(&c.path));
    }
    let count = |k: ChangeKind| plan.changes.iter().filter(|c| c.kind == k).count();
    eprintln!(
        "generated {} file(s) in {}: {} created, {} updated, {} removed, {} unchanged",
        generation.files.len(),
        show(&generation.config.output),
        count(ChangeKind::Create),
        count(ChangeKind::Update),
        count(ChangeKind::Remove),
        plan.unchanged
    );
    Ok(())
}

/// A path for messages, without a leading `./`.
fn show(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

/// `mizan ir export`: print the configured source's IR in canonical form.
pub fn ir_export(config: &Path) -> Result<(), Failure> {
    let config = Config::load(config).map_err(failure)?;
    let text = source::read_text(&config.source).map_err(failure)?;
    let loaded = source::parse_checked(&config.source.describe(), &text).map_err(failure)?;
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    print!("{}", emit(&loaded.ir));
    Ok(())
}
