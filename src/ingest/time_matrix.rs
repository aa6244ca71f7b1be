//! A commune-to-commune travel-time matrix (CSV): `from,to,minutes`, one row per ordered pair,
//! header by name (also `origin`/`dest`/`destination` and `time`/`duration`/`minutes`), the
//! delimiter sniffed (`,` `;` tab). `from` is the residents' commune, `to` the practice's.
//!
//! Codes go through the registry: an arrondissement counts as its city (the smallest time of
//! a city's rows is kept, and the report says how many rows were folded); a former commune is
//! rejected naming its successor unless `remap_merged`. Rejected rows, each with its line and
//! reason: unknown code, time not a number, negative or not finite, a pair given twice with
//! two different times.

use super::Reader;
use super::generic_csv::{Placement, Table, parse_number, resolve_code};
use crate::model::report::{ImportReport, Imported, RejectReason};
use crate::model::CommuneRegistry;
use crate::error::Result;
use std::collections::HashMap;

/// One usable row: current commune codes and the time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeRow {
    pub from: String,
    pub to: String,
    pub minutes: f64,
    pub line: u64,
}

/// The time matrix format behind the [`Reader`] trait (`remap_merged`: count rows under a former commune's code in its successor).
pub struct TimeMatrixReader;

impl Reader for TimeMatrixReader {
    type Record = TimeRow;
    type Options = bool;
    const KIND: &'static str = "time-matrix";

    /// Parses the bytes of a matrix file; `name` names the source.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, remap_merged: &bool) -> Result<Imported<TimeRow>> {
        let remap_merged = *remap_merged;
        let mut report = ImportReport::new(name, "time-matrix");
        let table = Table::parse(name, bytes, None, &mut report)?;
        let from_col = table.require_column(&["from", "origin", "code_from", "from_code"], "from")?;
        let to_col = table.require_column(&["to", "dest", "destination", "code_to", "to_code"], "to")?;
        let minutes_col = table.require_column(&["minutes", "time", "duration", "cost"], "minutes")?;
        let decimal_comma = table.delimiter != b',';

        let mut pairs = PairRows::default();
        for row in &table.rows {
            report.rows_read += 1;
            if let Err(reason) = table.check_width(row) {
                report.reject(row.line, reason);
                continue;
            }
            // The current commune of a code, and whether the code named something else (an
            // arrondissement or a former commune) that was folded into it.
            let resolve = |col: usize| {
                let raw = row.fields[col].as_str();
                if raw.is_empty() {
                    return Err(RejectReason::MissingField { field: table.headers[col].clone() });
                }
                resolve_code(registry, raw, remap_merged).map(|(code, placement)| (code, placement != Placement::Commune))
            };
            let (from, to) = match (resolve(from_col), resolve(to_col)) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(reason), _) | (_, Err(reason)) => {
                    report.reject(row.line, reason);
                    continue;
                }
            };
            let raw_minutes = row.fields[minutes_col].as_str();
            let minutes = match parse_number(raw_minutes, decimal_comma) {
                Some(m) if m >= 0.0 => m,
                Some(_) => {
                    let expected = "a travel time in minutes (≥ 0)".to_string();
                    report.reject(row.line, RejectReason::InvalidValue { field: table.headers[minutes_col].clone(), value: raw_minutes.into(), expected });
                    continue;
                }
                None => {
                    report.reject(row.line, RejectReason::MalformedNumber { field: table.headers[minutes_col].clone(), value: raw_minutes.into() });
                    continue;
                }
            };
            pairs.add(&from, &to, minutes, row.line, &mut report);
        }
        if pairs.folded > 0 {
            report.note(format!("{} rows of municipal arrondissements folded into their city (fastest time kept)", pairs.folded));
        }
        Ok(Imported { records: pairs.records, report })
    }
}

/// Why a row repeating a pair with the same time is skipped.
const SKIP_SAME_TIME: &str = "same pair given twice with the same time";

/// Time rows, one per ordered pair of current communes, as the matrix readers collect them.
/// A pair given again through a folded code (an arrondissement, a remapped former commune)
/// keeps the fastest time whatever the order of the rows; the same pair given twice otherwise
/// is a conflict, unless the times agree (skipped).
#[derive(Debug, Default)]
pub(crate) struct PairRows {
    pub(crate) records: Vec<TimeRow>,
    /// (from, to) → position in `records` and whether a folded code gave it.
    seen: HashMap<(String, String), (usize, bool)>,
    /// Rows folded into an earlier one of the same pair.
    pub(crate) folded: u64,
}

impl PairRows {
    /// Adds one time; `from` and `to` are current communes with whether a folded code named
    /// them. Counts the row as used, or rejects or skips it in `report`.
    pub(crate) fn add(&mut self, from: &(String, bool), to: &(String, bool), minutes: f64, line: u64, report: &mut ImportReport) {
        let key = (from.0.clone(), to.0.clone());
        let folding = from.1 || to.1;
        match self.seen.get_mut(&key) {
            // Either row named a part of the commune (its own row may come first or last).
            Some((k, by_folding)) if folding || *by_folding => {
                *by_folding = true;
                let k = *k;
                self.folded += 1;
                self.records[k].minutes = self.records[k].minutes.min(minutes);
                report.rows_used += 1;
            }
            Some(&mut (k, _)) if self.records[k].minutes != minutes => {
                let detail = format!("pair already given on line {} with {} min", self.records[k].line, self.records[k].minutes);
                report.reject(line, RejectReason::Conflict { key: format!("{}→{}", key.0, key.1), detail });
            }
            Some(_) => report.skip(SKIP_SAME_TIME),
            None => {
                self.seen.insert(key, (self.records.len(), folding));
                self.records.push(TimeRow { from: from.0.clone(), to: to.0.clone(), minutes, line });
                report.rows_used += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> CommuneRegistry {
        CommuneRegistry::builder()
            .commune("03185", "Montluçon")
            .commune("03095", "Désertines")
            .commune("13055", "Marseille")
            .arrondissement("13201", "Marseille 1er", "13055")
            .arrondissement("13202", "Marseille 2e", "13055")
            .build()
    }

    #[test]
    fn reads_pairs_and_rejects_each_bad_row_with_its_reason() {
        let csv = "from;to;minutes\n03185;03095;7,5\n03095;03185;8\n99999;03185;3\n03185;03095;9\n03185;13055;-2\n03185;13055;abc\n03185;;4\n13201;03185;300\n13202;03185;290\n";
        let got = TimeMatrixReader::parse("m.csv", csv.as_bytes(), &registry(), &false).unwrap();
        let r = &got.report;
        assert_eq!(r.rows_read, 9);
        assert_eq!(got.records.len(), 3);
        assert_eq!(got.records[0], TimeRow { from: "03185".into(), to: "03095".into(), minutes: 7.5, line: 2 });
        let marseille = got.records.iter().find(|t| t.from == "13055").unwrap();
        assert_eq!(marseille.minutes, 290.0, "arrondissements fold into the city, fastest kept");
        let kinds: Vec<(u64, &str)> = r.rejected.iter().map(|x| (x.line, x.reason.kind())).collect();
        assert_eq!(
            kinds,
            vec![(4, "unknown_commune"), (5, "conflict"), (6, "invalid_value"), (7, "malformed_number"), (8, "missing_field")]
        );
    }

    #[test]
    fn a_city_and_its_arrondissement_keep_the_fastest_in_either_order() {
        // The city's own row before or after its arrondissement's: the same time, no conflict.
        for csv in ["from,to,minutes\n13055,03185,300\n13201,03185,290\n", "from,to,minutes\n13201,03185,300\n13055,03185,290\n"] {
            let got = TimeMatrixReader::parse("m.csv", csv.as_bytes(), &registry(), &false).unwrap();
            assert_eq!(got.records.len(), 1, "{csv}");
            assert_eq!(got.records[0].minutes, 290.0, "{csv}");
            assert!(got.report.rejected.is_empty(), "{csv}: {:?}", got.report.rejected);
            assert_eq!(got.report.rows_used, 2);
        }
    }

    #[test]
    fn a_file_without_a_minutes_column_is_an_error_naming_it() {
        let err = TimeMatrixReader::parse("m.csv", b"from,to,km\n03185,03095,4\n", &registry(), &false).unwrap_err();
        assert!(err.to_string().contains("minutes"), "{err}");
    }
}
