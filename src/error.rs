//! The library's one error type. Variants carry the data a user needs to fix the problem
//! (which file, which line, what was expected); the binary adds context with `anyhow`.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An input could not be turned into an article (not UTF-8, binary, empty, too large…).
    #[error("{origin}: {reason}")]
    BadInput { origin: String, reason: String },
    /// A data file (gazetteer, topics, training data) is malformed at a given line.
    #[error("{path}:{line}: {msg}")]
    Data {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// A configuration file (TOML) could not be parsed or is inconsistent.
    #[error("{path}: {msg}")]
    Config { path: PathBuf, msg: String },
    /// A hyper-parameter or option is out of range.
    #[error("invalid parameter {name} = {value}: {msg}")]
    InvalidParam {
        name: &'static str,
        value: String,
        msg: String,
    },
    /// A saved model cannot be used: missing files, bad checksum, unsupported version…
    #[error("model {path}: {msg}")]
    Model { path: PathBuf, msg: String },
    /// Training could not proceed (no data, one class only, solver failure).
    #[error("training: {0}")]
    Training(String),
    /// JSON (de)serialisation failed outside a file context.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// An error from linfa's dataset or metrics machinery (e.g. mismatched shapes in a
    /// confusion matrix); linfa's `Fit` requires the conversion.
    #[error("linfa: {0}")]
    Linfa(#[from] linfa::error::Error),
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A malformed record at 1-based `line` of the data file `path`.
    pub fn data(path: impl Into<PathBuf>, line: usize, msg: impl Into<String>) -> Self {
        Error::Data {
            path: path.into(),
            line,
            msg: msg.into(),
        }
    }

    /// Shorthand for a model error.
    pub fn model(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            msg: msg.into(),
        }
    }
}
