//! The whole pipeline behind `mizan generate`: config → IR → rendered files
//! → plan → (unless checking) write. Nothing is written unless every step
//! before it succeeded.

use std::path::Path;

use mizan_core::ir::Ir;

use crate::config::Config;
use crate::error::Result;
use crate::source::{self, LoadedIr};
use crate::targets::{GeneratedFile, Options, Target};
use crate::writer::{self, Destination, Plan};

/// A prepared generation: everything computed, nothing written yet.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The loaded config.
    pub config: Config,
    /// IR check warnings (rendered lines).
    pub warnings: Vec<String>,
    /// Every generated file, in target order.
    pub files: Vec<GeneratedFile>,
    /// What writing them would change.
    pub plan: Plan,
}

impl Generation {
    /// Writes the plan's changes.
    pub fn apply(&self) -> Result<()> {
        writer::apply(&self.plan)
    }
}

/// Loads the config at `config_path`, obtains and checks the IR, renders
/// every configured target and compares with the output folder.
pub fn prepare(config_path: &Path) -> Result<Generation> {
    let config = Config::load(config_path)?;
    let LoadedIr { ir, warnings } = source::load(&config.source)?;
    let files = render_targets(&ir, &config.targets, &Options::from_config(&config))?;
    let plan = writer::plan(&Destination::of(&config), &files)?;
    Ok(Generation {
        config,
        warnings,
        files,
        plan,
    })
}

/// Renders `targets` for `ir` and concatenates their files.
pub fn render_targets(ir: &Ir, targets: &[Target], options: &Options) -> Result<Vec<GeneratedFile>> {
    let mut files = Vec::new();
    for t in targets {
        files.extend(t.render(ir, options)?);
    }
    Ok(files)
}
