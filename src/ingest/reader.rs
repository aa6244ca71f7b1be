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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::generic_csv::GenericCsvReader;

    #[test]
    fn read_parses_the_file_under_its_path_and_names_a_missing_one() {
        let registry = CommuneRegistry::default();
        let dir = std::env::temp_dir().join(format!("medatlas-reader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("values.csv");
        std::fs::write(&path, "code,gp_count\n99999,3\n").unwrap();
        let imported = GenericCsvReader::read(&path, &registry, &Default::default()).unwrap();
        assert_eq!(imported.report.source, path.display().to_string());
        assert_eq!(imported.report.rows_read, 1);
        assert_eq!(imported.report.format, GenericCsvReader::KIND);
        let missing = dir.join("missing.csv");
        match GenericCsvReader::read(&missing, &registry, &Default::default()) {
            Err(Error::Io { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected an I/O error naming the file, got {:?}", other.map(|i| i.report.rows_read)),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
