//! Library errors. A bad file names the file, the line and the field.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    /// The file as a whole cannot be read in the expected format (wrong separator, missing
    /// header or manifest, truncated record...).
    #[error("{file}, line {line}, field {field:?}: {message}")]
    Format { file: String, line: u64, field: String, message: String },

    #[error("{file}: {message}")]
    Invalid { file: String, message: String },

    /// A coordinate transformation failed (FINESS Lambert/UTM coordinates to WGS84).
    #[error("{0}")]
    Projection(String),

    /// The embedded default data set lacks one of its files (a build error, not a user's).
    #[error("embedded data lacks {0}")]
    EmbeddedMissing(String),
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
