//! SanteScope per-commune table (`communes_medecins_msp.csv`): GP and physician counts
//! (ANS annuaire, April 2026) and MSP presence (FINESS, March 2026) per commune.
//!
//! Format: `;`-separated (sniffed), UTF-8, header
//! `code_commune;nom;dept;region;population;nb_generalistes;nb_medecins_total;msp_presente;lat;lon;data_quality`.
//! Columns are found by name; `code_commune`, `nb_generalistes`, `nb_medecins_total` and
//! `msp_presente` are required, the others are ignored (`lat`/`lon` are not read: they are
//! missing for 92 communes and the commune geometry places a commune better).
//!
//! Output: one [`CommuneValues`] per row with `gp = nb_generalistes`,
//! `msp_present = (msp_presente == 1)` and `extra["nb_medecins_total"]`. Codes go through
//! [`CommuneRegistry::commune_for_code`], so a city given whole (`13055`) or by
//! arrondissements (`13201`…, one record each, `source_code` the arrondissement, added up by
//! the join) both work; former communes are rejected unless `remap_merged`.
//!
//! Rejected rows: a non-number count ([`RejectReason::MalformedNumber`]); a negative or
//! fractional count, more GPs than physicians, an `msp_presente` other than `1`/`0`
//! ([`RejectReason::InvalidValue`]); a code given twice ([`RejectReason::Conflict`]); a row of
//! the wrong width. An empty count or `msp_presente` is left `None`. The report notes the
//! upstream `data_quality` flags.
//!
//! # Caveats (from the data's PROVENANCE.md)
//!
//! This is **derived data**, flattened from a third-party hackathon project's JSON files, not
//! an official table, and not validated against official counts:
//!
//! - physicians with an **empty savoir-faire are counted as GPs** upstream, which inflates
//!   `nb_generalistes`;
//! - physicians and MSPs located only by postal code were assigned to the **most populated
//!   commune of the postal code**, moving them from small communes to the largest one;
//! - a physician practising in two communes counts in both (national sums double-count);
//! - `msp_presente` is a boolean derived from the postal code of the FINESS address, not from
//!   FINESS's commune field; there is no MSP count or position;
//! - the geography is the COG ≈ 2025 (34 969 communes).
//!
//! Use it for prototyping and sanity checks, not as ground truth.
//!
//! # Département shares of physicians aged 55+ (`dept_medecins_55plus_2025.csv`)
//!
//! [`parse_near_retirement_shares`] reads the companion table (`;`, header
//! `dept;part_medecins_55_ans_et_plus_2025;effectif_medecins_2025;...`): DREES 2025 effectifs
//! (RPPS), share of physicians aged 55+ of **all specialties** by département — not a GP
//! share. An empty share (975, 977, 978, 98) is skipped; a non-number or a share outside
//! [0, 1] is rejected, and so is a département given twice.

use super::Reader;
use super::CommuneValues;
use super::generic_csv::{CODE_COLUMNS, PlacedRow, ResolveCounters, Table, parse_count, parse_number, place_coded_row};
use crate::model::report::{ImportReport, Imported, RejectReason};
use crate::model::CommuneRegistry;
use crate::error::Result;
use std::collections::{BTreeMap, HashMap};

/// Options of [`SantescopeReader`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SantescopeOptions {
    /// Count rows of former communes in their successor instead of rejecting them.
    pub remap_merged: bool,
}

/// Name of the `extra` indicator holding the count of all physicians.
pub const NB_MEDECINS_TOTAL: &str = "nb_medecins_total";

/// Name of the share column of `dept_medecins_55plus_2025.csv`.
pub const SHARE_55PLUS: &str = "part_medecins_55_ans_et_plus_2025";

/// One département's share of physicians aged 55+.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentShare {
    /// Département code as written ("03", "2A", "971").
    pub dep: String,
    /// Share of physicians aged 55+, in [0, 1].
    pub share: f64,
    /// All physicians of the département (`effectif_medecins_2025`), when given.
    pub physicians: Option<u32>,
    /// 1-based line of the row.
    pub line: u64,
}

/// Parses `dept_medecins_55plus_2025.csv`; `name` names the source. See the
/// [module documentation](self).
pub fn parse_near_retirement_shares(name: &str, bytes: &[u8]) -> Result<Imported<DepartmentShare>> {
    let mut report = ImportReport::new(name, "drees-55plus");
    let table = Table::parse(name, bytes, None, &mut report)?;
    let dep_col = table.require_column(&["dept", "dep", "departement"], "dept")?;
    let share_col = table.require_column(&[SHARE_55PLUS], SHARE_55PLUS)?;
    let total_col = table.column(&["effectif_medecins_2025"]);
    let decimal_comma = table.delimiter != b',';
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut records = Vec::new();
    for row in &table.rows {
        report.rows_read += 1;
        if let Err(reason) = table.check_width(row) {
            report.reject(row.line, reason);
            continue;
        }
        let dep = row.fields[dep_col].clone();
        if dep.is_empty() {
            report.reject(row.line, RejectReason::MissingField { field: table.headers[dep_col].clone() });
            continue;
        }
        let raw = row.fields[share_col].as_str();
        if raw.is_empty() {
            report.skip("no share published for the département");
            continue;
        }
        let Some(share) = parse_number(raw, decimal_comma) else {
            report.reject(row.line, RejectReason::MalformedNumber { field: table.headers[share_col].clone(), value: raw.into() });
            continue;
        };
        if !(0.0..=1.0).contains(&share) {
            report.reject(
                row.line,
                RejectReason::InvalidValue { field: table.headers[share_col].clone(), value: raw.into(), expected: "a share in [0, 1]".into() },
            );
            continue;
        }
        let physicians = match total_col.map(|c| parse_count(&table.headers[c], &row.fields[c], decimal_comma)).transpose() {
            Ok(v) => v.flatten(),
            Err(reason) => {
                report.reject(row.line, reason);
                continue;
            }
        };
        if let Some(first) = seen.insert(dep.clone(), row.line) {
            report.reject(row.line, RejectReason::Conflict { key: dep, detail: format!("département already given on line {first}") });
            continue;
        }
        report.rows_used += 1;
        records.push(DepartmentShare { dep, share, physicians, line: row.line });
    }
    report.note("DREES 2025: share of physicians aged 55+ of ALL specialties and modes of practice, not of GPs only");
    Ok(Imported { records, report })
}

/// The santescope format behind the [`Reader`] trait.
pub struct SantescopeReader;

impl Reader for SantescopeReader {
    type Record = CommuneValues;
    type Options = SantescopeOptions;
    const KIND: &'static str = "santescope";

    /// Parses the bytes of a SanteScope per-commune table; `name` names the source.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &SantescopeOptions) -> Result<Imported<CommuneValues>> {
        let mut report = ImportReport::new(name, "santescope");
        let table = Table::parse(name, bytes, None, &mut report)?;
        let code_col = table.require_column(CODE_COLUMNS, "code_commune")?;
        let gp_col = table.require_column(&["nb_generalistes"], "nb_generalistes")?;
        let total_col = table.require_column(&[NB_MEDECINS_TOTAL], NB_MEDECINS_TOTAL)?;
        let msp_col = table.require_column(&["msp_presente"], "msp_presente")?;
        let quality_col = table.column(&["data_quality"]);
        let decimal_comma = table.delimiter != b',';

        let mut records = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut counters = ResolveCounters::default();
        let mut quality: BTreeMap<String, u64> = BTreeMap::new();
        for row in &table.rows {
            report.rows_read += 1;
            let Some(PlacedRow { commune, placement, source_code }) =
                place_coded_row(&table, row, code_col, registry, opts.remap_merged, &mut seen, &mut report)
            else {
                continue;
            };

            let count = |col: usize| parse_count(&table.headers[col], &row.fields[col], decimal_comma);
            let (gp, total) = match (count(gp_col), count(total_col)) {
                (Ok(gp), Ok(total)) => (gp, total),
                (Err(reason), _) | (_, Err(reason)) => {
                    report.reject(row.line, reason);
                    continue;
                }
            };
            if let (Some(gp), Some(total)) = (gp, total)
                && gp > total
            {
                report.reject(
                    row.line,
                    RejectReason::InvalidValue {
                        field: table.headers[gp_col].clone(),
                        value: gp.to_string(),
                        expected: format!("at most nb_medecins_total ({total})"),
                    },
                );
                continue;
            }
            let msp_present = match row.fields[msp_col].as_str() {
                "" => None,
                "1" => Some(true),
                "0" => Some(false),
                other => {
                    report.reject(
                        row.line,
                        RejectReason::InvalidValue {
                            field: table.headers[msp_col].clone(),
                            value: other.to_string(),
                            expected: "1 or 0".into(),
                        },
                    );
                    continue;
                }
            };
            if let Some(q) = quality_col.map(|c| row.fields[c].as_str()).filter(|q| !q.is_empty()) {
                *quality.entry(q.to_string()).or_default() += 1;
            }
            let mut extra = BTreeMap::new();
            if let Some(total) = total {
                extra.insert(NB_MEDECINS_TOTAL.to_string(), f64::from(total));
            }
            report.rows_used += 1;
            counters.add(placement);
            records.push(CommuneValues {
                commune,
                source_code,
                line: row.line,
                gp,
                gp_near_retirement: None,
                zoning: None,
                msp_present,
                extra,
                // SanteScope gives totals only.
                gp_by_mode: None,
            });
        }
        if !quality.is_empty() {
            let flags: Vec<String> = quality.iter().map(|(q, n)| format!("{q} {n}")).collect();
            report.note(format!("upstream data_quality of the rows used: {}", flags.join(", ")));
        }
        report.note("derived data (SanteScope): GPs include physicians with no savoir-faire; doctors located by postal code were put in its most populated commune");
        counters.notes(&mut report);
        Ok(Imported { records, report })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_read_skipped_or_rejected_with_their_line() {
        let text = "dept;part_medecins_55_ans_et_plus_2025;effectif_medecins_2025;trend_cagr;trend_delta_annuel\n\
03;0.47418335089567965;949;-0.01;-0.1\n\
975;;;;\n\
15;1.4;396;0;0\n\
43;abc;628;0;0\n\
03;0.5;949;0;0\n\
2A;0,5;300;0;0\n";
        let Imported { records, report } = parse_near_retirement_shares("shares.csv", text.as_bytes()).expect("parses");
        let got: Vec<(&str, f64, Option<u32>, u64)> = records.iter().map(|r| (r.dep.as_str(), r.share, r.physicians, r.line)).collect();
        assert_eq!(got, [("03", 0.47418335089567965, Some(949), 2), ("2A", 0.5, Some(300), 7)]);
        assert_eq!(report.rows_read, 6);
        assert_eq!(report.rows_skipped(), 1);
        let rejected: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
        assert_eq!(rejected, [(4, "invalid_value"), (5, "malformed_number"), (6, "conflict")]);
    }

    #[test]
    fn a_file_without_the_share_column_is_an_error() {
        assert!(parse_near_retirement_shares("x.csv", b"dept;share\n03;0.4\n").is_err());
    }
}
