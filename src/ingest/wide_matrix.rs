//! A square "wide" travel-time matrix (CSV), as OSRM `/table` results are often saved: the first
//! column holds the origin commune code, the header row the destination codes, each cell the
//! time from the row's commune to the column's; codes may be quoted (`"38185"`), the delimiter
//! is sniffed (`,` `;` tab), the header's first cell is free (`id`, empty...). The caller gives
//! the unit (OSRM gives seconds). The result is the rows of [`time_matrix`](super::time_matrix)
//! (`from, to, minutes`), which [`write_time_rows`] writes in the format `--matrix` reads.
//!
//! # What is an error, what is rejected
//! The whole file is refused ([`Error::Format`] or [`Error::Invalid`], naming the file and the
//! line) when it is not a square matrix: fewer than one destination column, an empty or
//! repeated destination code, a line with more or fewer cells than the header (ragged: the
//! columns can no longer be trusted), an origin code on two lines, not as many origin lines as
//! destination columns, or origins and destinations that are not the same codes.
//!
//! Counts in the report are **cells** (one origin–destination pair each). Rejected, with the
//! line and the reason ([`RejectReason`]):
//! - a cell that is not a number (`MalformedNumber`, field = the destination code) or is
//!   negative (`InvalidValue`);
//! - an origin line whose code is unknown (with a registry: unknown, or a former commune unless
//!   `remap_merged`; without one: not shaped like an INSEE code) — one rejection for the line;
//! - a destination column whose code is unknown — one rejection on line 1 for the column;
//! - a pair given twice with two different times, `Conflict` (two codes of one current
//!   commune — arrondissements, or a former commune and its successor with `remap_merged` —
//!   are folded instead, keeping the fastest, whatever the order of the lines).
//!
//! A rejected line or column is listed once among the rejections; its cells are read and not
//! used, so they lower the join rate, and a note counts them. Empty, `NA` and `null` cells are
//! skipped (no time for that pair: the router found no route, and an unlisted pair is
//! unreachable for `--matrix` too). Municipal
//! arrondissements fold into their city keeping the fastest time, as in `time_matrix`. The
//! diagonal (a commune to itself) is kept as given.
//!
//! The file is held in memory (cells as text): fine for a département (512 × 512 cells, 1.8 MB),
//! not meant for a national matrix.

use super::generic_csv::{Placement, Table, parse_number, resolve_code};
use crate::model::report::{ImportReport, Imported, RejectReason};
use super::time_matrix::{PairRows, TimeRow};
use crate::model::CommuneRegistry;
use crate::model::registry::normalize_insee_code;
use crate::error::{Error, Result};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;

/// The unit of the cells of a wide matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds (OSRM `/table` durations).
    Seconds,
    /// Minutes.
    Minutes,
}

impl TimeUnit {
    /// A cell's value in minutes.
    pub fn to_minutes(self, value: f64) -> f64 {
        match self {
            TimeUnit::Seconds => value / 60.0,
            TimeUnit::Minutes => value,
        }
    }

    /// The unit's name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Minutes => "minutes",
        }
    }
}

impl std::str::FromStr for TimeUnit {
    type Err = String;

    /// `seconds` (`s`, `sec`) or `minutes` (`min`, `m`), any case.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "seconds" | "second" | "sec" | "s" => Ok(TimeUnit::Seconds),
            "minutes" | "minute" | "min" | "m" => Ok(TimeUnit::Minutes),
            other => Err(format!("unknown time unit {other:?}: seconds or minutes")),
        }
    }
}

/// Reads a wide matrix file. See the [module documentation](self). Without a registry, codes are
/// only checked for the shape of an INSEE code (and normalised: `3185` → `03185`).
pub fn read_wide_matrix(
    path: &Path,
    unit: TimeUnit,
    registry: Option<&CommuneRegistry>,
    remap_merged: bool,
) -> Result<Imported<TimeRow>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_wide_matrix(&path.display().to_string(), &bytes, unit, registry, remap_merged)
}

/// A code as read, resolved: the current commune, and whether it was folded from another code.
type Resolved = std::result::Result<(String, bool), RejectReason>;

fn resolve(registry: Option<&CommuneRegistry>, raw: &str, field: &str, remap_merged: bool) -> Resolved {
    match registry {
        Some(r) => resolve_code(r, raw, remap_merged).map(|(code, placement)| (code, placement != Placement::Commune)),
        None => normalize_insee_code(raw).map(|c| (c, false)).ok_or_else(|| RejectReason::InvalidValue {
            field: field.to_string(),
            value: raw.to_string(),
            expected: "an INSEE commune code".into(),
        }),
    }
}

/// The key two spellings of one code share (`3185` and `03185`), for the square checks.
fn code_key(raw: &str) -> String {
    normalize_insee_code(raw).unwrap_or_else(|| raw.trim().to_string())
}

/// Whether a cell says "no time for this pair".
fn is_no_time(raw: &str) -> bool {
    raw.is_empty() || raw.eq_ignore_ascii_case("na") || raw.eq_ignore_ascii_case("null")
}

/// At most five codes of a set, for error messages.
fn some_codes(codes: &BTreeSet<&String>) -> String {
    let mut shown: Vec<&str> = codes.iter().take(5).map(|c| c.as_str()).collect();
    if codes.len() > 5 {
        shown.push("…");
    }
    shown.join(", ")
}

const SKIP_NO_TIME: &str = "empty, NA or null cell: no time for the pair";

/// Parses the bytes of a wide matrix; `name` names the source. See [`read_wide_matrix`].
pub fn parse_wide_matrix(
    name: &str,
    bytes: &[u8],
    unit: TimeUnit,
    registry: Option<&CommuneRegistry>,
    remap_merged: bool,
) -> Result<Imported<TimeRow>> {
    let mut report = ImportReport::new(name, "wide-matrix");
    let table = Table::parse(name, bytes, None, &mut report)?;
    let decimal_comma = table.delimiter != b',';
    let origin_field = table.headers[0].clone();
    let destinations = &table.headers[1..];
    if destinations.is_empty() {
        let message = format!(
            "a wide matrix needs an origin column and destination columns; the header has {} field (delimiter {:?})",
            table.headers.len(),
            table.delimiter as char
        );
        return Err(Error::format(name, 1, "", message));
    }

    // The square checks, on the codes as written (normalised), before any resolution.
    let mut columns: HashMap<String, usize> = HashMap::new();
    for (j, raw) in destinations.iter().enumerate() {
        if raw.is_empty() {
            return Err(Error::format(name, 1, "", format!("destination column {} has no code in the header", j + 2)));
        }
        if let Some(first) = columns.insert(code_key(raw), j) {
            let message = format!("destination {raw:?} appears twice in the header (columns {} and {})", first + 2, j + 2);
            return Err(Error::format(name, 1, raw.as_str(), message));
        }
    }
    let mut origins: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        if let Err(reason) = table.check_width(row) {
            let message = format!(
                "not a rectangular matrix: {} fields on this line, {} in the header ({reason})",
                row.fields.len(),
                table.headers.len()
            );
            return Err(Error::format(name, row.line, "", message));
        }
        let raw = row.fields[0].as_str();
        if raw.is_empty() {
            return Err(Error::format(name, row.line, origin_field.as_str(), "no origin code on this line"));
        }
        if let Some(first) = origins.insert(code_key(raw), row.line) {
            return Err(Error::format(name, row.line, origin_field.as_str(), format!("origin {raw:?} already on line {first}")));
        }
    }
    if table.rows.len() != destinations.len() {
        return Err(Error::Invalid {
            file: name.to_string(),
            message: format!(
                "not a square matrix: {} origin lines, {} destination columns",
                table.rows.len(),
                destinations.len()
            ),
        });
    }
    let only_rows: BTreeSet<&String> = origins.keys().filter(|c| !columns.contains_key(*c)).collect();
    if !only_rows.is_empty() {
        let only_columns: BTreeSet<&String> = columns.keys().filter(|c| !origins.contains_key(*c)).collect();
        return Err(Error::Invalid {
            file: name.to_string(),
            message: format!(
                "origins and destinations differ: {} origin code(s) not in the header ({}), {} header code(s) without a line ({})",
                only_rows.len(),
                some_codes(&only_rows),
                only_columns.len(),
                some_codes(&only_columns)
            ),
        });
    }

    // Destination columns, resolved once; an unknown one is rejected once, on the header line.
    let resolved_columns: Vec<Option<(String, bool)>> = destinations
        .iter()
        .map(|raw| match resolve(registry, raw, raw, remap_merged) {
            Ok(c) => Some(c),
            Err(reason) => {
                report.reject(1, reason);
                None
            }
        })
        .collect();

    let mut pairs = PairRows::default();
    // Cells not used because their origin line or destination column was rejected.
    let mut cells_of_rejected = 0u64;
    for row in &table.rows {
        let cells = &row.fields[1..table.headers.len()];
        report.rows_read += cells.len() as u64;
        let from = match resolve(registry, &row.fields[0], &origin_field, remap_merged) {
            Ok(f) => f,
            Err(reason) => {
                report.reject(row.line, reason);
                cells_of_rejected += cells.len() as u64;
                continue;
            }
        };
        for (j, raw) in cells.iter().enumerate() {
            let Some(to) = &resolved_columns[j] else {
                cells_of_rejected += 1;
                continue;
            };
            if is_no_time(raw) {
                report.skip(SKIP_NO_TIME);
                continue;
            }
            let field = destinations[j].as_str();
            let value = match parse_number(raw, decimal_comma) {
                Some(v) if v >= 0.0 => v,
                Some(_) => {
                    let expected = format!("a travel time in {} (≥ 0)", unit.name());
                    report.reject(row.line, RejectReason::InvalidValue { field: field.into(), value: raw.clone(), expected });
                    continue;
                }
                None => {
                    report.reject(row.line, RejectReason::MalformedNumber { field: field.into(), value: raw.clone() });
                    continue;
                }
            };
            let minutes = unit.to_minutes(value);
            pairs.add(&from, to, minutes, row.line, &mut report);
        }
    }
    report.note(format!(
        "counts are cells (origin × destination pairs): {} lines × {} columns, {} converted to minutes",
        table.rows.len(),
        destinations.len(),
        unit.name()
    ));
    if cells_of_rejected > 0 {
        report.note(format!("{cells_of_rejected} cells not used: their origin line or destination column is rejected (listed once each)"));
    }
    if pairs.folded > 0 {
        report.note(format!(
            "{} cells of municipal arrondissements or former communes folded into their commune (fastest time kept)",
            pairs.folded
        ));
    }
    Ok(Imported { records: pairs.records, report })
}

/// Writes rows as the CSV `from,to,minutes` that [`time_matrix`](super::time_matrix) reads
/// (`,`-separated, `.` decimals, minutes written exactly, without exponent).
pub fn write_time_rows<W: Write>(rows: &[TimeRow], out: W) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["from", "to", "minutes"])?;
    for r in rows {
        // `{}` of an f64 is the shortest text that reads back to the same value, never with an
        // exponent (which `time_matrix`'s number parser refuses).
        w.write_record([r.from.as_str(), r.to.as_str(), &format!("{}", r.minutes)])?;
    }
    w.flush()
}

/// [`write_time_rows`] to a file (created or truncated).
pub fn write_time_rows_file(path: &Path, rows: &[TimeRow]) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    write_time_rows(rows, std::io::BufWriter::new(file)).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Reader;
    use crate::ingest::time_matrix::TimeMatrixReader;

    fn registry() -> CommuneRegistry {
        CommuneRegistry::builder()
            .commune("38185", "Grenoble")
            .commune("38421", "Saint-Martin-d'Hères")
            .commune("38151", "Échirolles")
            .commune("13055", "Marseille")
            .arrondissement("13201", "Marseille 1er", "13055")
            .arrondissement("13202", "Marseille 2e", "13055")
            .build()
    }

    fn parse(text: &str, unit: TimeUnit, registry: Option<&CommuneRegistry>) -> Result<Imported<TimeRow>> {
        parse_wide_matrix("w.csv", text.as_bytes(), unit, registry, false)
    }

    fn pairs(got: &Imported<TimeRow>) -> Vec<(&str, &str, f64)> {
        got.records.iter().map(|r| (r.from.as_str(), r.to.as_str(), r.minutes)).collect()
    }

    #[test]
    fn reads_quoted_codes_in_seconds_row_by_row() {
        let text = "\"id\",\"38185\",\"38421\"\n\"38185\",0,390\n\"38421\",420,0\n";
        let got = parse(text, TimeUnit::Seconds, Some(&registry())).unwrap();
        assert_eq!(pairs(&got), vec![("38185", "38185", 0.0), ("38185", "38421", 6.5), ("38421", "38185", 7.0), ("38421", "38421", 0.0)]);
        assert_eq!(got.records[2].line, 3);
        assert_eq!((got.report.rows_read, got.report.rows_used), (4, 4));
        assert!(got.report.rejected.is_empty());
    }

    #[test]
    fn minutes_and_semicolons_with_decimal_commas() {
        let text = "code;38185;38421\n38185;0;6,5\n38421;7;0\n";
        let got = parse(text, TimeUnit::Minutes, None).unwrap();
        assert_eq!(pairs(&got)[1], ("38185", "38421", 6.5));
    }

    #[test]
    fn bad_cells_and_unknown_codes_are_rejected_with_line_and_reason() {
        // 38999 is unknown: its column is rejected once on line 1, its line once on line 5.
        let text = "id,38185,38421,38151,38999\n\
                    38185,0,abc,-60,60\n\
                    38421,120,0,,60\n\
                    38151,NA,180,0,60\n\
                    38999,60,60,60,0\n";
        let got = parse(text, TimeUnit::Seconds, Some(&registry())).unwrap();
        let r = &got.report;
        let kinds: Vec<(u64, &str, String)> = r
            .rejected
            .iter()
            .map(|x| {
                let field = match &x.reason {
                    RejectReason::MalformedNumber { field, .. } | RejectReason::InvalidValue { field, .. } => field.clone(),
                    RejectReason::UnknownCommune { code } => code.clone(),
                    other => format!("{other}"),
                };
                (x.line, x.reason.kind(), field)
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (1, "unknown_commune", "38999".into()),
                (2, "malformed_number", "38421".into()),
                (2, "invalid_value", "38151".into()),
                (5, "unknown_commune", "38999".into()),
            ]
        );
        // Used: 38185→38185, 38421→{38185, 38421}, 38151→{38421, 38151}.
        assert_eq!(pairs(&got).len(), 5);
        assert_eq!(r.rows_read, 16);
        assert_eq!(r.rows_used, 5);
        // Skipped: the 2 empty/NA cells only. Not used: 2 rejected cells, 3 cells of the 38999
        // column outside its line, the 4 cells of line 5; they count against the join rate.
        assert_eq!(r.rows_skipped(), 2);
        assert_eq!(r.skipped.get(SKIP_NO_TIME), Some(&2));
        assert!(r.notes.iter().any(|n| n.starts_with("7 cells not used")), "{:?}", r.notes);
        assert!((r.join_rate() - 5.0 / 14.0).abs() < 1e-12);
    }

    #[test]
    fn without_a_registry_codes_are_normalised_and_must_look_like_insee_codes() {
        let text = "id,3185,x1\n3185,0,5\nx1,5,0\n";
        let got = parse(text, TimeUnit::Minutes, None).unwrap();
        assert_eq!(pairs(&got), vec![("03185", "03185", 0.0)]);
        assert_eq!(got.report.rejected.len(), 2, "{:?}", got.report.rejected);
    }

    #[test]
    fn arrondissements_fold_into_their_city_keeping_the_fastest() {
        let text = "id,13201,13202,38185\n13201,0,5,300\n13202,5,0,290\n38185,310,280,0\n";
        let got = parse(text, TimeUnit::Minutes, Some(&registry())).unwrap();
        let find = |f: &str, t: &str| got.records.iter().find(|r| r.from == f && r.to == t).map(|r| r.minutes);
        assert_eq!(find("13055", "38185"), Some(290.0));
        assert_eq!(find("38185", "13055"), Some(280.0));
        assert_eq!(find("13055", "13055"), Some(0.0));
        assert_eq!(got.records.len(), 4);
    }

    #[test]
    fn a_city_and_its_arrondissement_keep_the_fastest_in_either_order() {
        // 13055's own line and column before or after its arrondissement's: same times, no conflict.
        for text in ["id,13055,13201,38185\n13055,0,2,300\n13201,2,0,290\n38185,310,280,0\n", "id,13201,13055,38185\n13201,0,2,300\n13055,2,0,290\n38185,310,280,0\n"] {
            let got = parse(text, TimeUnit::Minutes, Some(&registry())).unwrap();
            let find = |f: &str, t: &str| got.records.iter().find(|r| r.from == f && r.to == t).map(|r| r.minutes);
            assert_eq!((find("13055", "38185"), find("38185", "13055"), find("13055", "13055")), (Some(290.0), Some(280.0), Some(0.0)), "{text}");
            assert!(got.report.rejected.is_empty(), "{text}: {:?}", got.report.rejected);
            assert_eq!(got.report.rows_used, 9);
        }
    }

    #[test]
    fn a_file_that_is_not_square_is_an_error_naming_the_problem() {
        let err = |text: &str| parse(text, TimeUnit::Minutes, None).unwrap_err().to_string();
        let ragged = err("id,38185,38421\n38185,0,5\n38421,5\n");
        assert!(ragged.contains("line 3") && ragged.contains("rectangular"), "{ragged}");
        let too_long = err("id,38185,38421\n38185,0,5,7\n38421,5,0\n");
        assert!(too_long.contains("line 2"), "{too_long}");
        let rows = err("id,38185,38421\n38185,0,5\n");
        assert!(rows.contains("not a square matrix: 1 origin lines, 2 destination columns"), "{rows}");
        let differ = err("id,38185,38421\n38185,0,5\n38151,5,0\n");
        assert!(differ.contains("38151") && differ.contains("38421"), "{differ}");
        let twice = err("id,38185,38185\n38185,0,5\n38421,5,0\n");
        assert!(twice.contains("twice"), "{twice}");
        let origin_twice = err("id,38185,38421\n38185,0,5\n38185,5,0\n");
        assert!(origin_twice.contains("line 3") && origin_twice.contains("already on line 2"), "{origin_twice}");
        let one_column = err("id\n38185\n");
        assert!(one_column.contains("destination"), "{one_column}");
        assert!(err("").contains("empty"));
    }

    #[test]
    fn written_rows_read_back_through_the_time_matrix_reader() {
        let text = "\"id\",\"38185\",\"38421\"\n\"38185\",0,547\n\"38421\",813.8,0\n";
        let got = parse(text, TimeUnit::Seconds, None).unwrap();
        let mut out = Vec::new();
        write_time_rows(&got.records, &mut out).unwrap();
        let back = TimeMatrixReader::parse("rows.csv", &out, &registry(), &false).unwrap();
        assert!(back.report.rejected.is_empty(), "{:?}", back.report.rejected);
        let read: Vec<(String, String, f64)> = back.records.into_iter().map(|r| (r.from, r.to, r.minutes)).collect();
        let written: Vec<(String, String, f64)> = got.records.into_iter().map(|r| (r.from, r.to, r.minutes)).collect();
        assert_eq!(read, written, "minutes must read back bit for bit");
        assert_eq!(written[2].2, 813.8 / 60.0);
    }

    #[test]
    fn units_parse_by_name() {
        assert_eq!("seconds".parse::<TimeUnit>(), Ok(TimeUnit::Seconds));
        assert_eq!("MIN".parse::<TimeUnit>(), Ok(TimeUnit::Minutes));
        assert!("hours".parse::<TimeUnit>().is_err());
    }
}
