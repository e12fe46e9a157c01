//! The crate's error type: every message says what went wrong, where, and what to do next.

use std::path::{Path, PathBuf};

/// Errors raised while loading a suite, running systems or scoring outputs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The suite configuration (`evalgate.toml`) is invalid.
    #[error("{0}")]
    Config(String),
    /// A dataset could not be loaded or failed verification.
    #[error("{0}")]
    Dataset(String),
    /// A metric could not be computed.
    #[error("{0}")]
    Metric(String),
    /// A system under test failed to produce an output.
    #[error("{0}")]
    System(String),
    /// A baseline snapshot could not be read or does not match the run.
    #[error("{0}")]
    Baseline(String),
    /// A report, merge or history operation failed.
    #[error("{0}")]
    Report(String),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was attempted ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Shorthand for results carrying [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error while reading `path`.
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        }
    }

    /// An I/O error while writing `path`.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action: "cannot write",
            path: path.to_path_buf(),
            source,
        }
    }
}
