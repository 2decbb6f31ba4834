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
    if !plan.record.existed && !plan.adopted.is_empty() {
        eprintln!(
            "note: no record yet of the files {} generated in {} (written by an older mizan?): {} marked file(s) at the paths it generates are taken over; other marked files are left alone",
            show(&generation.config.path),
            show(&generation.config.output),
            plan.adopted.len()
        );
    }
    for l in &plan.left_alone {
        eprintln!("left alone: {} ({})", show(&l.path), l.why);
    }
    if check {
        if plan.is_clean() {
            return Ok(());
        }
        for c in &plan.changes {
            println!("would {} {}", c.kind.as_str(), show(&c.path));
        }
        if plan.record.changed {
            println!("would record {}", show(&plan.record.path));
        }
        return Err(Failure::Rejected(Some(if plan.changes.is_empty() {
            format!(
                "the list of generated files ({}) is missing or out of date; run `mizan generate` and commit it",
                show(&plan.record.path)
            )
        } else {
            format!(
                "{} generated file(s) out of date; run `mizan generate`",
                plan.changes.len()
            )
        })));
    }
    generation.apply().map_err(failure)?;
    for c in &plan.changes {
        println!("{} {}", c.kind.as_str(), show(&c.path));
    }
    let count = |k: ChangeKind| plan.changes.iter().filter(|c| c.kind == k).count();
    eprintln!(
        "generated {} file(s) in {}: {} created, {} updated, {} removed, {} unchanged; listed in {}",
        generation.files.len(),
        show(&generation.config.output),
        count(ChangeKind::Create),
        count(ChangeKind::Update),
        count(ChangeKind::Remove),
        plan.unchanged,
        plan.record
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
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
