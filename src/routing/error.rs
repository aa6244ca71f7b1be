//! The errors of the routing module: each names what failed (the executable and its input, the
//! request, the file and line) so that a long job that stops says where.

use std::path::PathBuf;

/// Why preparing, starting or querying OSRM, or building a matrix, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoutingError {
    /// An OSRM executable or profile is not where it is looked for.
    #[error("OSRM: {what} not found at {path} (run scripts/setup-osrm.sh, or set MEDATLAS_OSRM_DIR to a folder holding bin/osrm-* and profiles/car.lua)")]
    MissingTool {
        /// What is missing, e.g. "executable osrm-extract".
        what: String,
        /// Where it was looked for.
        path: PathBuf,
    },

    /// A file or folder could not be read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },

    /// An OSRM executable ran and failed (or could not be started).
    #[error("{tool} failed on {input} ({status}){}", if log.is_empty() { String::new() } else { format!(": {log}") })]
    Tool {
        /// The executable, e.g. "osrm-extract".
        tool: String,
        /// The file it was given.
        input: PathBuf,
        /// Its exit status, or why it could not be started.
        status: String,
        /// The last lines of its log (errors first).
        log: String,
    },

    /// `osrm-routed` was started but did not answer, or stopped.
    #[error("osrm-routed on {url} did not start: {detail}")]
    EngineStart {
        /// The address it was given.
        url: String,
        /// What happened, with the end of its log.
        detail: String,
    },

    /// The engine could not be reached (connection refused, reset, timed out), after retries.
    #[error("request {request} to {url}: no answer after {attempts} attempts: {detail}")]
    Connection {
        /// Which request (batch id and blocks).
        request: String,
        /// The engine's base URL.
        url: String,
        /// How many times it was tried.
        attempts: u32,
        /// The last error.
        detail: String,
    },

    /// The engine answered with an HTTP error that is not an OSRM answer (5xx after retries, or
    /// a 4xx without OSRM's JSON).
    #[error("request {request}: HTTP {status} after {attempts} attempts: {body}")]
    Http {
        /// Which request.
        request: String,
        /// The last HTTP status.
        status: u16,
        /// How many times it was tried.
        attempts: u32,
        /// The start of the body.
        body: String,
    },

    /// OSRM answered with a `code` other than "Ok".
    #[error("request {request}: OSRM answered {code}: {message}")]
    Osrm {
        /// Which request.
        request: String,
        /// OSRM's `code`, e.g. "TooBig", "InvalidQuery".
        code: String,
        /// OSRM's `message`.
        message: String,
    },

    /// The answer is not the JSON a `/table` request returns, or not of the request's size.
    #[error("request {request}: malformed answer: {detail}")]
    Malformed {
        /// Which request.
        request: String,
        /// What is wrong.
        detail: String,
    },

    /// A points file has rows that cannot be used (each with its line and reason).
    #[error("{file}: {}", problems.join("; "))]
    Points {
        /// The file.
        file: String,
        /// One "line N: reason" per rejected row (or a problem of the whole file).
        problems: Vec<String>,
    },

    /// A resume file (journal or partial) beside the output is not what this job wrote.
    #[error("{path}: {message} (delete it to start the job over)")]
    Resume {
        /// The journal or partial file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// An option is out of range or the options contradict each other.
    #[error("{0}")]
    Options(String),
}

impl RoutingError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RoutingError::Io { path: path.into(), source }
    }
}

/// The routing module's result.
pub type Result<T, E = RoutingError> = std::result::Result<T, E>;
