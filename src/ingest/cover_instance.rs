//! A covering instance given as two CSV files (`medatlas suggest --costs c.csv --weights w.csv`),
//! e.g. to compare the site suggestion with PySAL `spopt` on the same input:
//!
//! - the weights file: `id,weight`, one row per demand point (the first two columns, whatever
//!   their names); a weight is a finite number ≥ 0;
//! - the costs file: `demand,candidate,cost`, one row per pair (the first three columns);
//!   `demand` is an id of the weights file, `candidate` any non-empty id (candidates are
//!   numbered in order of first appearance), `cost` a finite number ≥ 0. Pairs not listed never
//!   cover.
//!
//! The delimiter is sniffed (`,` `;` tab); numbers are read as Rust and Python write them
//! (`1e-3` too), or with a decimal comma in a file not separated by commas.
//!
//! Every row that cannot be used is rejected with its line and reason, in one report per file:
//! a weight or cost that is not a number or is negative, a missing id, a demand id the weights
//! file does not list, an id given twice in the weights file (the first row is kept), a pair
//! given twice with two different costs (the first is kept). The reader knows nothing of the
//! solver: it returns numbered demand points, candidates and pairs.

use super::generic_csv::{Row, Table, parse_number};
use crate::error::{Error, Result};
use crate::model::report::{ImportReport, RejectReason};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;

/// A covering instance read from its two files, ready for the solver: demand point `i` has
/// `weights[i]`, candidate `c` is named `candidates[c]`, and `pairs` holds
/// `(demand, candidate, cost)`, each ordered pair at most once.
#[derive(Debug, Clone, Default)]
pub struct CoverInstanceCsv {
    /// Ids of the demand points, in the weights file's order.
    pub demand_ids: Vec<String>,
    /// Weight of each demand point (same order as `demand_ids`).
    pub weights: Vec<f64>,
    /// Ids of the candidates, in order of first appearance in the costs file.
    pub candidates: Vec<String>,
    /// `(demand index, candidate index, cost)` of every usable row of the costs file.
    pub pairs: Vec<(usize, usize, f64)>,
    /// What was done with each row of the weights file.
    pub weights_report: ImportReport,
    /// What was done with each row of the costs file.
    pub costs_report: ImportReport,
}

/// Reads the costs and weights files. See the [module documentation](self).
pub fn read_cover_instance(costs: &Path, weights: &Path) -> Result<CoverInstanceCsv> {
    let weights_bytes = std::fs::read(weights).map_err(|e| Error::io(weights, e))?;
    let costs_bytes = std::fs::read(costs).map_err(|e| Error::io(costs, e))?;
    parse_cover_instance(&costs.display().to_string(), &costs_bytes, &weights.display().to_string(), &weights_bytes)
}

/// Parses the bytes of the two files; the names are those the reports and errors give them.
/// Fails only on a file that cannot be read as CSV at all (empty, too few columns).
pub fn parse_cover_instance(costs_name: &str, costs: &[u8], weights_name: &str, weights: &[u8]) -> Result<CoverInstanceCsv> {
    let mut out = CoverInstanceCsv {
        weights_report: ImportReport::new(weights_name, "cover-weights"),
        costs_report: ImportReport::new(costs_name, "cover-costs"),
        ..CoverInstanceCsv::default()
    };
    let table = Table::parse(weights_name, weights, None, &mut out.weights_report)?;
    require_columns(&table, &["id", "weight"])?;
    let mut ids: HashMap<String, (usize, u64)> = HashMap::new();
    for row in &table.rows {
        let report = &mut out.weights_report;
        report.rows_read += 1;
        let (id, weight) = match (id_field(&table, row, 0), number_field(&table, row, 1, "a weight (a number ≥ 0)")) {
            (Ok(id), Ok(w)) => (id, w),
            (Err(reason), _) | (_, Err(reason)) => {
                report.reject(row.line, reason);
                continue;
            }
        };
        match ids.entry(id.to_string()) {
            Entry::Occupied(first) => {
                let detail = format!("id already given on line {}", first.get().1);
                report.reject(row.line, RejectReason::Conflict { key: id.to_string(), detail });
            }
            Entry::Vacant(slot) => {
                slot.insert((out.weights.len(), row.line));
                out.demand_ids.push(id.to_string());
                out.weights.push(weight);
                report.rows_used += 1;
            }
        }
    }

    let table = Table::parse(costs_name, costs, None, &mut out.costs_report)?;
    require_columns(&table, &["demand", "candidate", "cost"])?;
    let mut candidate_ids: HashMap<String, usize> = HashMap::new();
    // (demand, candidate) → (position in `pairs`, line), for pairs given twice.
    let mut seen: HashMap<(usize, usize), (usize, u64)> = HashMap::new();
    for row in &table.rows {
        let report = &mut out.costs_report;
        report.rows_read += 1;
        let fields = (id_field(&table, row, 0), id_field(&table, row, 1), number_field(&table, row, 2, "a cost (a number ≥ 0)"));
        let (demand, candidate, cost) = match fields {
            (Ok(d), Ok(c), Ok(t)) => (d, c, t),
            (Err(reason), _, _) | (_, Err(reason), _) | (_, _, Err(reason)) => {
                report.reject(row.line, reason);
                continue;
            }
        };
        let Some(&(d, _)) = ids.get(demand) else {
            let expected = format!("an id of {weights_name}");
            report.reject(row.line, RejectReason::InvalidValue { field: table.headers[0].clone(), value: demand.to_string(), expected });
            continue;
        };
        let next = out.candidates.len();
        let c = *candidate_ids.entry(candidate.to_string()).or_insert_with(|| {
            out.candidates.push(candidate.to_string());
            next
        });
        match seen.entry((d, c)) {
            Entry::Occupied(first) => {
                let (k, line) = *first.get();
                if out.pairs[k].2 == cost {
                    report.skip("same pair given twice with the same cost");
                } else {
                    let detail = format!("pair already given on line {line} with cost {}", out.pairs[k].2);
                    report.reject(row.line, RejectReason::Conflict { key: format!("{demand}→{candidate}"), detail });
                }
            }
            Entry::Vacant(slot) => {
                slot.insert((out.pairs.len(), row.line));
                out.pairs.push((d, c, cost));
                report.rows_used += 1;
            }
        }
    }
    Ok(out)
}

/// Columns are read by position: a file with fewer header fields than `what` is an error
/// naming the first one missing.
fn require_columns(table: &Table, what: &[&str]) -> Result<()> {
    match what.get(table.headers.len()) {
        None => Ok(()),
        Some(field) => Err(Error::format(
            &table.file,
            1,
            *field,
            format!("expected {} columns ({}), found {}: {}", what.len(), what.join(","), table.headers.len(), table.headers.join(" | ")),
        )),
    }
}

/// Field `col` of a row, which must not be empty.
fn id_field<'r>(table: &Table, row: &'r Row, col: usize) -> Result<&'r str, RejectReason> {
    match row.fields.get(col).map(String::as_str) {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(RejectReason::MissingField { field: table.headers[col].clone() }),
    }
}

/// Field `col` of a row as a finite number ≥ 0.
fn number_field(table: &Table, row: &Row, col: usize, expected: &str) -> Result<f64, RejectReason> {
    let field = || table.headers[col].clone();
    let raw = match row.fields.get(col).map(String::as_str) {
        Some(raw) if !raw.is_empty() => raw,
        _ => return Err(RejectReason::MissingField { field: field() }),
    };
    // Rust's own syntax first (exponents, as Python's repr writes them), then a decimal comma.
    let value = raw.parse::<f64>().ok().or_else(|| parse_number(raw, table.delimiter != b','));
    match value {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Some(_) => Err(RejectReason::InvalidValue { field: field(), value: raw.to_string(), expected: expected.to_string() }),
        None => Err(RejectReason::MalformedNumber { field: field(), value: raw.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(costs: &str, weights: &str) -> CoverInstanceCsv {
        parse_cover_instance("c.csv", costs.as_bytes(), "w.csv", weights.as_bytes()).expect("readable files")
    }

    #[test]
    fn reads_points_candidates_and_pairs_in_file_order() {
        let got = parse("demand,candidate,cost\na,X,3\nb,Y,1.5e1\nb,X,0\n", "id,weight\na,10\nb,2.5\n");
        assert_eq!(got.demand_ids, vec!["a", "b"]);
        assert_eq!(got.weights, vec![10.0, 2.5]);
        assert_eq!(got.candidates, vec!["X", "Y"]);
        assert_eq!(got.pairs, vec![(0, 0, 3.0), (1, 1, 15.0), (1, 0, 0.0)]);
        assert_eq!((got.weights_report.rows_used, got.costs_report.rows_used), (2, 3));
        assert!(got.weights_report.rejected.is_empty() && got.costs_report.rejected.is_empty());
    }

    #[test]
    fn every_bad_row_is_rejected_with_its_line_and_field() {
        let weights = "id,weight\na,1\nb,-2\nc,heavy\n,4\na,5\nd,inf\ne,3\n";
        let costs = "demand,candidate,cost\na,X,1\nzz,X,1\na,,2\ne,Y,-1\ne,Y,n/a\na,X,7\na,X,1\ne,Y,2\n";
        let got = parse(costs, weights);
        let w: Vec<(u64, &str, String)> = got
            .weights_report
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.kind(), r.reason.to_string()))
            .collect();
        let kinds: Vec<(u64, &str)> = w.iter().map(|(l, k, _)| (*l, *k)).collect();
        assert_eq!(kinds, vec![(3, "invalid_value"), (4, "malformed_number"), (5, "missing_field"), (6, "conflict"), (7, "invalid_value")]);
        assert!(w[0].2.contains("weight") && w[0].2.contains("-2"), "{}", w[0].2);
        assert!(w[3].2.contains("line 2"), "the duplicate names the first line: {}", w[3].2);
        assert_eq!(got.demand_ids, vec!["a", "e"], "the first row of a duplicated id is kept");
        assert_eq!(got.weights, vec![1.0, 3.0]);
        assert_eq!(got.weights_report.rows_read, 7);

        let c: Vec<(u64, &str)> = got.costs_report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
        assert_eq!(c, vec![(3, "invalid_value"), (4, "missing_field"), (5, "invalid_value"), (6, "malformed_number"), (7, "conflict")]);
        let unknown = got.costs_report.rejected[0].reason.to_string();
        assert!(unknown.contains("zz") && unknown.contains("w.csv"), "{unknown}");
        assert_eq!(got.costs_report.skipped.get("same pair given twice with the same cost"), Some(&1));
        assert_eq!(got.pairs, vec![(0, 0, 1.0), (1, 1, 2.0)]);
        assert_eq!(got.candidates, vec!["X", "Y"]);
    }

    #[test]
    fn semicolons_and_decimal_commas_are_read() {
        let got = parse("demand;candidate;cost\na;X;2,5\n", "id;weight\na;1,25\n");
        assert_eq!(got.weights, vec![1.25]);
        assert_eq!(got.pairs, vec![(0, 0, 2.5)]);
    }

    #[test]
    fn a_file_with_too_few_columns_is_an_error_naming_it() {
        let err = parse_cover_instance("c.csv", b"demand,candidate\na,X\n", "w.csv", b"id,weight\na,1\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("c.csv") && msg.contains("cost"), "{msg}");
        let err = parse_cover_instance("c.csv", b"demand,candidate,cost\n", "w.csv", b"").unwrap_err();
        assert!(err.to_string().contains("w.csv"), "{err}");
    }
}
