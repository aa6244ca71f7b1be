//! The one reader trait every per-commune source format implements (as martin's `Source`):
//! a reader declares its kind, its record type and how it parses bytes against the commune
//! registry; reading a path (and the error naming the file) is written once, here.

use crate::error::{Error, Result};
use crate::model::CommuneRegistry;
use crate::model::report::Imported;
use std::path::Path;

/// A source format read into records keyed by current communes, with an import report that
/// accounts for every row.
pub trait Reader {
    /// What one row (or feature) becomes.
    type Record;
    /// The reader's options (`remap_merged` at least); the default reads the format as
    /// published.
    type Options: Default;
    /// Short name of the format (`"rpps"`, `"finess"`...), as the CLI and the table of sources
    /// (`crate::atlas::load::SOURCES`) name it.
    const KIND: &'static str;

    /// Parses the bytes of a source named `name` (used in the report and in errors).
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, options: &Self::Options) -> Result<Imported<Self::Record>>;

    /// The name a file is reported under: its path as given (a reader may prefer a shorter one).
    fn source_name(path: &Path) -> String {
        path.display().to_string()
    }

    /// Reads a file and parses it; an unreadable file is an error naming it.
    fn read(path: &Path, registry: &CommuneRegistry, options: &Self::Options) -> Result<Imported<Self::Record>> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&Self::source_name(path), &bytes, registry, options)
    }
}
