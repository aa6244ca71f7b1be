//! What an import did with every row: used, skipped by design, or rejected with a reason.
//!
//! An import never drops data silently: each reader fills an [`ImportReport`], the CLI prints
//! its [`ImportReport::summary`] and `--report` writes it as JSON.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Why one row of a source file could not be used.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    /// The INSEE code is not a commune of the loaded geography.
    UnknownCommune { code: String },
    /// The code is a former commune (commune déléguée or associée) merged into another.
    /// Never matched silently: see `--remap-merged` in the join.
    MergedCommune { code: String, successor: String },
    /// The postal code is not in the postal table.
    UnknownPostalCode { postal_code: String },
    /// The postal code is known but no commune of that postal code has this name.
    NameNotInPostalCode { postal_code: String, name: String, candidates: Vec<String> },
    /// Several communes match the postal code and name.
    AmbiguousPostalCode { postal_code: String, name: String, candidates: Vec<String> },
    /// A field that should hold a number does not.
    MalformedNumber { field: String, value: String },
    /// A required field is empty or the row is too short.
    MissingField { field: String },
    /// A field holds a value outside what the format allows.
    InvalidValue { field: String, value: String, expected: String },
    /// A geometry is missing, unparsable or invalid.
    InvalidGeometry { detail: String },
    /// The row cannot be placed anywhere (e.g. no address at all, a foreign address).
    NoLocation { detail: String },
    /// The same key was already given by an earlier row with a different value.
    Conflict { key: String, detail: String },
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCommune { code } => write!(f, "unknown commune code {code:?}"),
            Self::MergedCommune { code, successor } => {
                write!(f, "commune {code} no longer exists: merged into {successor}")
            }
            Self::UnknownPostalCode { postal_code } => write!(f, "unknown postal code {postal_code:?}"),
            Self::NameNotInPostalCode { postal_code, name, candidates } => write!(
                f,
                "no commune named {name:?} under postal code {postal_code} (candidates: {})",
                candidates.join(", ")
            ),
            Self::AmbiguousPostalCode { postal_code, name, candidates } => write!(
                f,
                "postal code {postal_code} with name {name:?} is ambiguous: {}",
                candidates.join(", ")
            ),
            Self::MalformedNumber { field, value } => write!(f, "field {field:?}: {value:?} is not a number"),
            Self::MissingField { field } => write!(f, "missing field {field:?}"),
            Self::InvalidValue { field, value, expected } => {
                write!(f, "field {field:?}: {value:?} is not {expected}")
            }
            Self::InvalidGeometry { detail } => write!(f, "invalid geometry: {detail}"),
            Self::NoLocation { detail } => write!(f, "cannot be placed: {detail}"),
            Self::Conflict { key, detail } => write!(f, "conflict on {key}: {detail}"),
        }
    }
}

impl RejectReason {
    /// A short stable name used to count rejections by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownCommune { .. } => "unknown_commune",
            Self::MergedCommune { .. } => "merged_commune",
            Self::UnknownPostalCode { .. } => "unknown_postal_code",
            Self::NameNotInPostalCode { .. } => "name_not_in_postal_code",
            Self::AmbiguousPostalCode { .. } => "ambiguous_postal_code",
            Self::MalformedNumber { .. } => "malformed_number",
            Self::MissingField { .. } => "missing_field",
            Self::InvalidValue { .. } => "invalid_value",
            Self::InvalidGeometry { .. } => "invalid_geometry",
            Self::NoLocation { .. } => "no_location",
            Self::Conflict { .. } => "conflict",
        }
    }
}

/// One rejected row: where it was and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// 1-based line number in the source file (the header is line 1 when there is one).
    pub line: u64,
    pub reason: RejectReason,
}

/// The account of one import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// File or resource read.
    pub source: String,
    /// Format name (`rpps`, `finess`, `zoning`, ...).
    pub format: String,
    /// Data rows read (header and manifest lines excluded).
    pub rows_read: u64,
    /// Rows that went into the result.
    pub rows_used: u64,
    /// Rows left out by design, counted by reason (e.g. "not a GP"): not errors.
    pub skipped: BTreeMap<String, u64>,
    /// Rows that could not be used, each with its line and reason.
    pub rejected: Vec<Rejection>,
    /// Facts worth knowing about the import as a whole (encoding detected, duplicates merged...).
    pub notes: Vec<String>,
}

impl ImportReport {
    pub fn new(source: impl Into<String>, format: impl Into<String>) -> Self {
        Self { source: source.into(), format: format.into(), ..Default::default() }
    }

    pub fn reject(&mut self, line: u64, reason: RejectReason) {
        self.rejected.push(Rejection { line, reason });
    }

    pub fn skip(&mut self, why: &str) {
        *self.skipped.entry(why.to_string()).or_default() += 1;
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn rows_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Rejections counted by kind, for summaries.
    pub fn rejected_by_kind(&self) -> BTreeMap<&'static str, u64> {
        let mut counts = BTreeMap::new();
        for r in &self.rejected {
            *counts.entry(r.reason.kind()).or_default() += 1;
        }
        counts
    }

    /// Share of considered rows (read minus skipped) that were used, in [0, 1].
    pub fn join_rate(&self) -> f64 {
        let considered = self.rows_read.saturating_sub(self.rows_skipped());
        if considered == 0 { 1.0 } else { self.rows_used as f64 / considered as f64 }
    }

    /// Human-readable multi-line summary, printed by the CLI.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} ({}): {} rows read, {} used, {} skipped, {} rejected (join rate {:.2} %)",
            self.source,
            self.format,
            self.rows_read,
            self.rows_used,
            self.rows_skipped(),
            self.rejected.len(),
            100.0 * self.join_rate()
        );
        for (why, n) in &self.skipped {
            s.push_str(&format!("\n  skipped {n:>8}  {why}"));
        }
        for (kind, n) in self.rejected_by_kind() {
            let example = self.rejected.iter().find(|r| r.reason.kind() == kind);
            let example = example.map(|r| format!(" (e.g. line {}: {})", r.line, r.reason)).unwrap_or_default();
            s.push_str(&format!("\n  rejected {n:>7}  {kind}{example}"));
        }
        for note in &self.notes {
            s.push_str(&format!("\n  note: {note}"));
        }
        s
    }
}

/// The result of reading one source: records that can be joined, and the report.
#[derive(Debug, Clone)]
pub struct Imported<T> {
    pub records: Vec<T>,
    pub report: ImportReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_rate_ignores_skipped_rows() {
        let mut r = ImportReport::new("f.csv", "test");
        r.rows_read = 10;
        r.rows_used = 6;
        r.skip("not a GP");
        r.skip("not a GP");
        r.reject(3, RejectReason::MissingField { field: "code".into() });
        r.reject(4, RejectReason::MissingField { field: "code".into() });
        assert_eq!(r.rows_skipped(), 2);
        assert!((r.join_rate() - 0.75).abs() < 1e-12);
        assert_eq!(r.rejected_by_kind().get("missing_field"), Some(&2));
        let s = r.summary();
        assert!(s.contains("line 3"), "{s}");
        assert!(s.contains("not a GP"), "{s}");
    }
}
