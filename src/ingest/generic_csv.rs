//! Generic per-commune CSV: one row per commune code, with optional GP counts and any other
//! numeric indicator.
//!
//! # Columns
//!
//! Columns are found by header name, compared case-insensitively after folding accents and
//! treating any run of non-alphanumeric characters as `_` (so `Code INSEE`, `code-insee` and
//! `CODE_INSEE` are the same name):
//!
//! - the commune code (required): `code_commune`, `insee`, `code`, `codgeo`, `com` (also
//!   `code_insee`, `insee_com`, `depcom`, `codecommune`); a code written without its leading
//!   zero (`3185`) is padded;
//! - `gp_count` (or `gp`, `nb_generalistes`, `medecins_generalistes`), optional;
//! - `gp_near_retirement`, optional;
//! - every other column is kept in [`CommuneValues::extra`] under its header name as written
//!   **when it is numeric**. A column is numeric when every non-empty value it holds, over all
//!   the rows with the right number of fields, parses as a number (see below); a single
//!   non-number makes the whole column text, and text columns (a name, a département code
//!   such as `2A`) are ignored. The report notes which columns were kept and, for each ignored
//!   one, the first value that is not a number. An empty cell in a numeric column is simply
//!   absent from that row's `extra`.
//!
//! # Numbers
//!
//! `12`, `12.0`, `-3.5`, `1 234` (space, no-break space or narrow no-break space between
//! groups of three digits) and, when the delimiter is not `,`, the French decimal comma
//! `12,5` / `1 234,5`. Rejected: `1.234,5`, `1,234` with a `,` delimiter, exponents, `NaN`,
//! `inf`.
//!
//! # Rows
//!
//! - A non-number in `gp_count` or `gp_near_retirement` rejects the row with
//!   [`RejectReason::MalformedNumber`]; a negative or fractional count (`12.5`; `12.0` is
//!   fine), or more GPs near retirement than GPs, with [`RejectReason::InvalidValue`].
//! - The code goes through [`CommuneRegistry::commune_for_code`]: arrondissements count in
//!   their city (one record each, with `source_code` the arrondissement: the join adds them
//!   up), former communes are rejected unless `remap_merged`.
//! - A code given twice (after padding) rejects the second row with
//!   [`RejectReason::Conflict`], even when the values are equal.
//! - A row shorter than the header is rejected with [`RejectReason::MissingField`] naming the
//!   first missing column (a truncated line); a longer one, when the extra fields are not
//!   empty, with [`RejectReason::InvalidValue`].
//!
//! Whether counts are synthetic is not this reader's business: the join decides.

use super::Reader;
use super::CommuneValues;
use crate::model::report::{ImportReport, Imported, RejectReason};
use super::text::{self, Encoding};
use crate::model::registry::normalize_insee_code;
use crate::model::{CodeMatch, CommuneRegistry};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, HashMap};

/// Options of [`GenericCsvReader`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenericCsvOptions {
    /// Count rows of former communes in their successor instead of rejecting them.
    pub remap_merged: bool,
    /// Field delimiter; sniffed from the header line (`,` `;` or tab) when `None`.
    pub delimiter: Option<u8>,
}

/// Accepted names of the commune-code column (compared with [`header_key`]).
pub(crate) const CODE_COLUMNS: &[&str] =
    &["code_commune", "codecommune", "code_insee", "insee", "insee_com", "code", "codgeo", "com", "depcom"];
const GP_COLUMNS: &[&str] = &["gp_count", "gp", "nb_generalistes", "medecins_generalistes"];
const GP_NEAR_RETIREMENT_COLUMNS: &[&str] = &["gp_near_retirement"];

/// The generic csv format behind the [`Reader`] trait.
pub struct GenericCsvReader;

impl Reader for GenericCsvReader {
    type Record = CommuneValues;
    type Options = GenericCsvOptions;
    const KIND: &'static str = "generic_csv";

    /// Parses the bytes of a generic per-commune CSV; `name` names the source in the report and
    /// in errors.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &GenericCsvOptions) -> Result<Imported<CommuneValues>> {
        let mut report = ImportReport::new(name, "generic_csv");
        let table = Table::parse(name, bytes, opts.delimiter, &mut report)?;
        let code_col = table.require_column(CODE_COLUMNS, "code_commune")?;
        let gp_col = table.column(GP_COLUMNS);
        let near_col = table.column(GP_NEAR_RETIREMENT_COLUMNS);
        let decimal_comma = table.delimiter != b',';

        // Decide, per column, whether it is numeric.
        let mut extra_cols: Vec<usize> = Vec::new();
        let mut kept_names: Vec<String> = Vec::new();
        let mut ignored: Vec<String> = Vec::new();
        for (col, header) in table.headers.iter().enumerate() {
            if header.is_empty() || Some(col) == gp_col || Some(col) == near_col || col == code_col {
                continue;
            }
            let mut non_empty = 0usize;
            let mut first_text: Option<(u64, &str)> = None;
            for row in table.rows.iter().filter(|r| r.fields.len() >= table.headers.len()) {
                let v = row.fields[col].as_str();
                if v.is_empty() {
                    continue;
                }
                non_empty += 1;
                if parse_number(v, decimal_comma).is_none() {
                    first_text = Some((row.line, v));
                    break;
                }
            }
            match first_text {
                Some((line, v)) => ignored.push(format!("{header:?} (line {line}: {v:?})")),
                None if non_empty == 0 => ignored.push(format!("{header:?} (empty)")),
                None => {
                    extra_cols.push(col);
                    kept_names.push(format!("{header:?}"));
                }
            }
        }
        if !kept_names.is_empty() {
            report.note(format!("numeric columns kept as extra indicators: {}", kept_names.join(", ")));
        }
        if !ignored.is_empty() {
            report.note(format!("columns ignored as not numeric: {}", ignored.join(", ")));
        }

        let mut records = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut counters = ResolveCounters::default();
        for row in &table.rows {
            report.rows_read += 1;
            let Some(PlacedRow { commune, placement, source_code }) =
                place_coded_row(&table, row, code_col, registry, opts.remap_merged, &mut seen, &mut report)
            else {
                continue;
            };

            let field = |col: Option<usize>| col.map(|c| (table.headers[c].as_str(), row.fields[c].as_str()));
            let gp = match field(gp_col).map(|(f, v)| parse_count(f, v, decimal_comma)).transpose() {
                Ok(v) => v.flatten(),
                Err(reason) => {
                    report.reject(row.line, reason);
                    continue;
                }
            };
            let near = match field(near_col).map(|(f, v)| parse_count(f, v, decimal_comma)).transpose() {
                Ok(v) => v.flatten(),
                Err(reason) => {
                    report.reject(row.line, reason);
                    continue;
                }
            };
            if let (Some(gp), Some(n), Some((f, v))) = (gp, near, field(near_col))
                && n > gp
            {
                report.reject(
                    row.line,
                    RejectReason::InvalidValue {
                        field: f.to_string(),
                        value: v.to_string(),
                        expected: format!("at most the GP count ({gp})"),
                    },
                );
                continue;
            }
            let mut extra = BTreeMap::new();
            for &col in &extra_cols {
                if let Some(v) = parse_number(&row.fields[col], decimal_comma) {
                    extra.insert(table.headers[col].clone(), v);
                }
            }
            report.rows_used += 1;
            counters.add(placement);
            records.push(CommuneValues {
                commune,
                source_code,
                line: row.line,
                gp,
                gp_near_retirement: near,
                zoning: None,
                msp_present: None,
                extra,
                // A generic table gives totals only.
                gp_by_mode: None,
            });
        }
        counters.notes(&mut report);
        Ok(Imported { records, report })
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the CSV readers of this crate (zoning, santescope).

/// One data row of a [`Table`]: its 1-based line and its fields, trimmed.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

/// A delimited text file read into memory.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub file: String,
    pub delimiter: u8,
    /// Header names as written, trimmed.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Decodes `bytes` ([`text::decode`]), sniffs the delimiter from the header line unless
    /// given, and reads every row. Fails on an empty file (no header) only; rows of the wrong
    /// width are kept for the caller to reject ([`Table::check_width`]).
    pub fn parse(file: &str, bytes: &[u8], delimiter: Option<u8>, report: &mut ImportReport) -> Result<Table> {
        let (text, encoding) = text::decode(bytes);
        if encoding == Encoding::Windows1252 {
            report.note("not valid UTF-8: decoded as Windows-1252");
        }
        let Some(header_line) = text.lines().find(|l| !l.trim().is_empty()) else {
            return Err(Error::format(file, 1, "", "empty file: no header line"));
        };
        let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(header_line));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        // 1-based line of a byte offset (csv's own line count is off by one after the header).
        let mut newlines = LineCounter::new(text.as_bytes());
        let csv_error = |e: csv::Error| {
            let line = e.position().map(|p| LineCounter::new(text.as_bytes()).line_at(p.byte())).unwrap_or(0);
            Error::format(file, line, "", format!("unreadable CSV: {e}"))
        };
        let headers: Vec<String> = reader.headers().map_err(csv_error)?.iter().map(|h| h.trim().to_string()).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map(|p| newlines.line_at(p.byte())).unwrap_or(0);
            rows.push(Row { line, fields: record.iter().map(|f| f.trim().to_string()).collect() });
        }
        Ok(Table { file: file.to_string(), delimiter, headers, rows })
    }

    /// Index of the first column whose name is one of `aliases` (see [`header_key`]).
    /// Aliases are tried in order, so the earliest alias wins over the leftmost column.
    pub fn column(&self, aliases: &[&str]) -> Option<usize> {
        let keys: Vec<String> = self.headers.iter().map(|h| header_key(h)).collect();
        aliases.iter().find_map(|a| keys.iter().position(|k| k == a))
    }

    /// Like [`Table::column`], but a missing column is an error naming the file, the header
    /// line and `what`.
    pub fn require_column(&self, aliases: &[&str], what: &str) -> Result<usize> {
        self.column(aliases).ok_or_else(|| self.missing_column(aliases, what))
    }

    /// The error for a missing column: names the file, line 1, `what`, the accepted names and
    /// the header found.
    pub fn missing_column(&self, aliases: &[&str], what: &str) -> Error {
        Error::format(
            &self.file,
            1,
            what,
            format!(
                "no {what} column in the header (accepted names: {}; found: {}; delimiter {:?})",
                aliases.join(", "),
                self.headers.join(" | "),
                self.delimiter as char
            ),
        )
    }

    /// A row shorter than the header names its first missing column; a longer one is refused
    /// unless the extra fields are empty.
    pub fn check_width(&self, row: &Row) -> Result<(), RejectReason> {
        let n = self.headers.len();
        if row.fields.len() < n {
            return Err(RejectReason::MissingField { field: self.headers[row.fields.len()].clone() });
        }
        if row.fields[n..].iter().any(|f| !f.is_empty()) {
            return Err(RejectReason::InvalidValue {
                field: "row".into(),
                value: format!("{} fields", row.fields.len()),
                expected: format!("{n} fields as in the header"),
            });
        }
        Ok(())
    }
}

/// Line numbers of increasing byte offsets, counting newlines incrementally.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, offset: 0, line: 1 }
    }

    /// 1-based line of the record csv says starts at `byte`; offsets must not decrease
    /// between calls. csv reports the position right after the previous record's terminator,
    /// which for CRLF is the `\n`: line breaks there are skipped (no record starts with one,
    /// as csv skips blank lines).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut target = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len()).max(self.offset);
        while matches!(self.bytes.get(target), Some(b'\r' | b'\n')) {
            target += 1;
        }
        self.line += self.bytes[self.offset..target].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = target;
        self.line
    }
}

/// The delimiter of a header line: the most frequent of `;`, tab and `,` (ties in that order),
/// `,` when there is none.
pub(crate) fn sniff_delimiter(header_line: &str) -> u8 {
    let count = |d: char| header_line.chars().filter(|&c| c == d).count();
    let mut best = (b',', 0);
    for d in [b';', b'\t', b','] {
        let n = count(d as char);
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// The key a header name is compared by: accents folded, lower case, any run of
/// non-alphanumeric characters as one `_`, none at the ends (`"Code postal"` → `code_postal`).
pub(crate) fn header_key(header: &str) -> String {
    let folded = deunicode::deunicode(header).to_ascii_lowercase();
    let mut key = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    while key.ends_with('_') {
        key.pop();
    }
    key
}

/// Parses a number as written in French and international CSV files (see the module
/// documentation). `decimal_comma` allows `12,5` (only when `,` is not the delimiter).
/// Returns `None` for anything else, including empty text.
pub(crate) fn parse_number(raw: &str, decimal_comma: bool) -> Option<f64> {
    let t = raw.trim();
    let (sign, body) = match t.as_bytes().first()? {
        b'-' => ("-", &t[1..]),
        b'+' => ("", &t[1..]),
        _ => ("", t),
    };
    let (int_part, frac_part) = match (body.find('.'), body.find(',')) {
        (Some(_), Some(_)) => return None,
        (None, Some(_)) if !decimal_comma => return None,
        (Some(i), None) | (None, Some(i)) => (&body[..i], Some(&body[i + 1..])),
        (None, None) => (body, None),
    };
    let is_sep = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}');
    let mut digits = String::with_capacity(t.len());
    if int_part.contains(is_sep) {
        for (i, group) in int_part.split(is_sep).enumerate() {
            let ok_len = if i == 0 { (1..=3).contains(&group.len()) } else { group.len() == 3 };
            if !ok_len || !group.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.push_str(group);
        }
    } else {
        if !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(int_part);
    }
    let frac = frac_part.unwrap_or("");
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (digits.is_empty() && frac.is_empty()) {
        return None;
    }
    let v: f64 =
        format!("{sign}{}.{}", if digits.is_empty() { "0" } else { &digits }, if frac.is_empty() { "0" } else { frac })
            .parse()
            .ok()?;
    v.is_finite().then_some(v)
}

/// Parses a head count: empty → `Ok(None)`; not a number → `MalformedNumber`; negative,
/// fractional or too large → `InvalidValue`. `12.0` is 12.
pub(crate) fn parse_count(field: &str, raw: &str, decimal_comma: bool) -> Result<Option<u32>, RejectReason> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let Some(v) = parse_number(raw, decimal_comma) else {
        return Err(RejectReason::MalformedNumber { field: field.to_string(), value: raw.to_string() });
    };
    let invalid = |expected: &str| RejectReason::InvalidValue {
        field: field.to_string(),
        value: raw.to_string(),
        expected: expected.to_string(),
    };
    if v < 0.0 {
        return Err(invalid("a count (≥ 0)"));
    }
    if v.fract() != 0.0 {
        return Err(invalid("a whole number"));
    }
    if v > f64::from(u32::MAX) {
        return Err(invalid("a count below 2^32"));
    }
    Ok(Some(v as u32))
}

/// How a code was placed by [`resolve_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    Commune,
    Arrondissement,
    Remapped,
}

/// A row whose commune code was found, resolved and not seen before.
pub(crate) struct PlacedRow {
    pub commune: String,
    pub placement: Placement,
    /// The code as written, normalised: the key of duplicate detection.
    pub source_code: String,
}

/// The first steps every per-commune CSV reader takes on a row: check its width, read and
/// resolve its code, reject a code already given. Rejections go to the report; `None` means
/// the row is done with.
pub(crate) fn place_coded_row(
    table: &Table,
    row: &Row,
    code_col: usize,
    registry: &CommuneRegistry,
    remap_merged: bool,
    seen: &mut HashMap<String, u64>,
    report: &mut ImportReport,
) -> Option<PlacedRow> {
    if let Err(reason) = table.check_width(row) {
        report.reject(row.line, reason);
        return None;
    }
    let raw_code = row.fields[code_col].as_str();
    if raw_code.is_empty() {
        report.reject(row.line, RejectReason::MissingField { field: table.headers[code_col].clone() });
        return None;
    }
    let (commune, placement) = match resolve_code(registry, raw_code, remap_merged) {
        Ok(c) => c,
        Err(reason) => {
            report.reject(row.line, reason);
            return None;
        }
    };
    let source_code = normalize_insee_code(raw_code).unwrap_or_else(|| raw_code.to_string());
    if let Some(first) = seen.get(&source_code) {
        let detail = format!("code already given on line {first}");
        report.reject(row.line, RejectReason::Conflict { key: source_code, detail });
        return None;
    }
    seen.insert(source_code.clone(), row.line);
    Some(PlacedRow { commune, placement, source_code })
}

/// Counts of used rows whose code was placed other than directly, for the report's notes.
#[derive(Debug, Default)]
pub(crate) struct ResolveCounters {
    arrondissements: u64,
    remapped: u64,
}

impl ResolveCounters {
    /// Counts a row that was used.
    pub fn add(&mut self, placement: Placement) {
        match placement {
            Placement::Commune => {}
            Placement::Arrondissement => self.arrondissements += 1,
            Placement::Remapped => self.remapped += 1,
        }
    }

    pub fn notes(&self, report: &mut ImportReport) {
        if self.arrondissements > 0 {
            report.note(format!("{} rows of municipal arrondissements counted in their city", self.arrondissements));
        }
        if self.remapped > 0 {
            report.note(format!("{} rows of former communes counted in their successor (remap_merged)", self.remapped));
        }
    }
}

/// [`CommuneRegistry::commune_for_code`], saying how the code was placed.
pub(crate) fn resolve_code(
    registry: &CommuneRegistry,
    raw: &str,
    remap_merged: bool,
) -> Result<(String, Placement), RejectReason> {
    let commune = registry.commune_for_code(raw, remap_merged)?;
    let placement = match registry.resolve_code(raw) {
        CodeMatch::Arrondissement { .. } => Placement::Arrondissement,
        CodeMatch::Merged { .. } => Placement::Remapped,
        _ => Placement::Commune,
    };
    Ok((commune, placement))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_french_and_international_writing() {
        assert_eq!(parse_number("12", false), Some(12.0));
        assert_eq!(parse_number(" 12.0 ", false), Some(12.0));
        assert_eq!(parse_number("1 234", false), Some(1234.0));
        assert_eq!(parse_number("1\u{a0}234\u{202f}567", true), Some(1_234_567.0));
        assert_eq!(parse_number("12,5", true), Some(12.5));
        assert_eq!(parse_number("1 234,5", true), Some(1234.5));
        assert_eq!(parse_number("-3.5", false), Some(-3.5));
        assert_eq!(parse_number(".5", false), Some(0.5));
        assert_eq!(parse_number("12,5", false), None);
        assert_eq!(parse_number("1.234,5", true), None);
        assert_eq!(parse_number("12 34", false), None);
        assert_eq!(parse_number("1e3", false), None);
        assert_eq!(parse_number("NaN", false), None);
        assert_eq!(parse_number("inf", false), None);
        assert_eq!(parse_number("", false), None);
        assert_eq!(parse_number("-", false), None);
        assert_eq!(parse_number(".", false), None);
        assert_eq!(parse_number("12a", false), None);
    }

    #[test]
    fn counts_are_whole_and_non_negative() {
        assert_eq!(parse_count("gp", "12.0", false), Ok(Some(12)));
        assert_eq!(parse_count("gp", "", false), Ok(None));
        assert!(matches!(parse_count("gp", "12.5", false), Err(RejectReason::InvalidValue { .. })));
        assert!(matches!(parse_count("gp", "-1", false), Err(RejectReason::InvalidValue { .. })));
        assert!(matches!(parse_count("gp", "5000000000", false), Err(RejectReason::InvalidValue { .. })));
        assert_eq!(
            parse_count("gp", "douze", false),
            Err(RejectReason::MalformedNumber { field: "gp".into(), value: "douze".into() })
        );
    }

    #[test]
    fn headers_and_delimiters() {
        assert_eq!(header_key(" Code postal "), "code_postal");
        assert_eq!(header_key("Nom_Commune"), "nom_commune");
        assert_eq!(header_key("Médecins--généralistes"), "medecins_generalistes");
        assert_eq!(sniff_delimiter("Code_postal,Nom_commune,Zonage"), b',');
        assert_eq!(sniff_delimiter("code_commune;nom;dept"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc,d"), b'\t');
        assert_eq!(sniff_delimiter("code"), b',');
    }
}
