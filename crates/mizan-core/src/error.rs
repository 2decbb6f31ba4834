//! The crate's one error type. Every variant carries enough context (line,
//! column, name, reason) for a precise message; none of them is ever produced
//! by a panic.

use crate::mwt::MwtRejection;

/// Result alias used across `mizan-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `mizan-core`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The IR text is not valid KDL or does not follow the IR grammar.
    #[error(transparent)]
    IrParse(Box<crate::ir::IrParseError>),

    /// An `X-Mizan-Invalidate` header value is malformed.
    #[error("invalid X-Mizan-Invalidate header at byte {offset}: {message}")]
    Header {
        /// Byte offset into the header value where the problem starts.
        offset: usize,
        /// What was expected there.
        message: String,
    },

    /// Resolution was asked about a function the IR does not define.
    #[error("unknown function `{name}`")]
    UnknownFunction {
        /// The requested function name.
        name: String,
    },

    /// A cache explanation was asked about a context the IR does not define.
    #[error("unknown context `{name}`")]
    UnknownContext {
        /// The requested context name.
        name: String,
    },

    /// An MWT token was rejected; the reason is for logs, clients see 401.
    #[error("token rejected: {0}")]
    Token(#[from] MwtRejection),

    /// A token could not be minted (bad key ring or claims).
    #[error("cannot mint token: {reason}")]
    Mint {
        /// Why minting failed.
        reason: String,
    },

    /// The cache backend failed (for Redis: unreachable, timeout, protocol).
    /// Adapters treat this as a miss and serve uncached.
    #[error("cache backend `{backend}` failed: {reason}")]
    Cache {
        /// Which backend (`memory`, `redis`).
        backend: &'static str,
        /// The underlying failure.
        reason: String,
    },
}

impl From<crate::ir::IrParseError> for Error {
    fn from(e: crate::ir::IrParseError) -> Self {
        Error::IrParse(Box::new(e))
    }
}
