//! The crate's one error type.

use std::path::{Path, PathBuf};

/// What can go wrong serving or attaching to a devtools channel.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system operation on the discovery directory or file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The discovery directory is not private to this user.
    #[error("refusing the devtools discovery directory {}: {reason}", path.display())]
    UnsafeDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The loopback listener could not be opened.
    #[error("cannot listen for devtools on 127.0.0.1: {0}")]
    Listen(#[source] std::io::Error),
    /// No random secret could be made.
    #[error("cannot make a devtools secret: {0}")]
    Random(String),
    /// The app refused the secret (HTTP 401 at the upgrade).
    #[error("the app at {url} refused the devtools secret")]
    Refused {
        /// The app's URL.
        url: String,
    },
    /// Connecting or talking to the app failed.
    #[error("devtools connection to {url} failed: {reason}")]
    Connection {
        /// The app's URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The app sent a frame this client cannot read.
    #[error("unexpected devtools frame: {reason}")]
    Protocol {
        /// Why.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}
