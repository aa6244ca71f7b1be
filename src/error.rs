//! Library errors. A bad file names the file, the line and the field.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    /// The file as a whole cannot be read in the expected format (wrong separator, missing
    /// header or manifest, truncated record...).
    #[error("{file}, line {line}, field {field:?}: {message}")]
    Format { file: String, line: u64, field: String, message: String },

    #[error("{file}: {message}")]
    Invalid { file: String, message: String },

    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub fn format(file: impl Into<String>, line: u64, field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Format { file: file.into(), line, field: field.into(), message: message.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
