//! The crate's one error type. Every variant becomes a [`MizanError`] with
//! the right wire code ([`StudioError::into_mizan`]) when a studio function
//! returns it.

use mizan::MizanError;
use std::path::PathBuf;

/// What can go wrong in the studio's backend.
#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    /// No project is open (or it has no IR yet) for something that needs one.
    #[error("no project is open")]
    NoProject,
    /// The project has no valid IR to work on yet.
    #[error("the project has no valid IR yet: {0}")]
    NoIr(String),
    /// The path given to `open_project` holds no `mizan.toml`, nor does any
    /// folder below it.
    #[error("no mizan.toml in {} or below it", path.display())]
    NotAProject {
        /// The path given.
        path: PathBuf,
    },
    /// A name that is not in the IR (a node, a mutation, a target, a file).
    #[error("{what} `{name}` is not in the project")]
    Unknown {
        /// `node`, `mutation`, `target`, `file`.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// A request that cannot be honoured as asked (bad glob, bad JSON).
    #[error("{0}")]
    Invalid(String),
    /// Something this shell does not offer (a folder picker in web mode).
    #[error("{0}")]
    Unavailable(String),
    /// The codegen refused (config, source, a file in the way).
    #[error(transparent)]
    Codegen(#[from] mizan_codegen::Error),
    /// File-system trouble outside the codegen.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl StudioError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StudioError::Io {
            path: path.into(),
            source,
        }
    }
}

impl StudioError {
    /// The wire error (`mizan`'s blanket conversion would make every error
    /// an `INTERNAL_ERROR` and hide the message).
    pub fn into_mizan(self) -> MizanError {
        let e = self;
        match e {
            StudioError::Unknown { .. } | StudioError::NotAProject { .. } => MizanError::not_found(e.to_string()),
            StudioError::Invalid(_) | StudioError::NoProject | StudioError::NoIr(_) => {
                MizanError::bad_request(e.to_string())
            }
            StudioError::Unavailable(_) => MizanError::not_implemented(e.to_string()),
            // Codegen and I/O errors are the user's project, not our bug:
            // show them (a generic INTERNAL_ERROR would hide the cause).
            StudioError::Codegen(_) | StudioError::Io { .. } => MizanError::bad_request(e.to_string()),
        }
    }
}
