//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while configuring, loading the IR, rendering
/// or writing generated files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `mizan.toml` could not be read.
    #[error("cannot read {path}: {source}")]
    ConfigRead {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `mizan.toml` is not valid TOML or has unknown / ill-typed keys.
    #[error("{path}: {message}")]
    ConfigInvalid {
        /// The config file.
        path: PathBuf,
        /// What is wrong (from the TOML parser, with line and column).
        message: String,
    },
    /// `output` leaves the project folder (the folder of `mizan.toml`) and
    /// the config does not say `allow_output_outside = true`.
    #[error(
        "{config}:{line}: `output` {output:?} {how} outside the project folder {root}; keep generated files inside it, or set `allow_output_outside = true`",
        output = output.display().to_string(),
        how = match resolved {
            Some(r) => format!("resolves (through a symbolic link) to {}, which is", r.display()),
            None => "is".to_string(),
        },
        root = std::path::absolute(root).unwrap_or_else(|_| root.clone()).display()
    )]
    OutputOutside {
        /// The config file.
        config: PathBuf,
        /// The line of `output` in it.
        line: usize,
        /// `output` as written.
        output: PathBuf,
        /// The project folder.
        root: PathBuf,
        /// Where a link on the way leads (the lexical path was inside).
        resolved: Option<PathBuf>,
    },
    /// A target name in `targets = [...]` that Mizan does not know.
    #[error("unknown target `{name}` (expected one of: {expected})")]
    UnknownTarget {
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        expected: String,
    },
    /// The IR source (a file or a command) failed.
    #[error("IR source {source_desc}: {message}")]
    Source {
        /// What the source was (`kdl file ...`, `command ...`).
        source_desc: String,
        /// What went wrong (for commands: the exit status and stderr).
        message: String,
    },
    /// The IR text does not parse.
    #[error("invalid IR from {source_desc}: {message}")]
    IrParse {
        /// Where the IR came from.
        source_desc: String,
        /// The parse error with line and column.
        message: String,
    },
    /// The IR parses but has check errors (one line per diagnostic).
    #[error("IR from {source_desc} has errors:\n{diagnostics}")]
    IrCheck {
        /// Where the IR came from.
        source_desc: String,
        /// The error diagnostics, one per line.
        diagnostics: String,
    },
    /// A target failed to render (a template error or an IR construct the
    /// target cannot express).
    #[error("target `{target}`: {message}")]
    Render {
        /// The target name.
        target: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A target is listed but not implemented yet.
    #[error("target `{target}` is not yet implemented")]
    NotImplemented {
        /// The target name.
        target: &'static str,
    },
    /// Two targets (or one target twice) produced the same output path.
    #[error("two generated files share the path {path}")]
    DuplicatePath {
        /// The relative path.
        path: String,
    },
    /// A generated path would escape the output directory or is not
    /// relative.
    #[error("generated path {path:?} is not a plain relative path")]
    BadPath {
        /// The offending path.
        path: String,
    },
    /// A generated path holds something that is not ours (no header, a
    /// folder, another config's file, a marked file this config did not
    /// record); Mizan never touches it.
    #[error("{path} {why}; refusing to write it")]
    NotOurs {
        /// The file.
        path: PathBuf,
        /// Why it is not ours (`writer::Foreign`, rendered).
        why: String,
    },
    /// The output folder, or a folder or file on a generated or recorded
    /// path below it, is a symbolic link: nothing is read or written
    /// through it.
    #[error(
        "{path} is a symbolic link; mizan neither reads nor writes through links in the output folder (replace it with a real folder or file)"
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// A record of generated files (`.mizan-generated-*.txt` in the output
    /// folder) cannot be read; nothing is written until it is fixed or
    /// deleted.
    #[error("{path}:{line}: {message} (the list of files mizan generated here for one config; fix or delete it)")]
    BadRecord {
        /// The record.
        path: PathBuf,
        /// The line at fault.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// File-system failure while reading, writing or removing output.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Render`] from an askama failure.
    pub(crate) fn render(target: &'static str, err: impl std::fmt::Display) -> Self {
        Error::Render {
            target,
            message: err.to_string(),
        }
    }
}
