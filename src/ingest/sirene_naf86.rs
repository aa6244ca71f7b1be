//! Reader for SIRENE health establishments counted per commune by NAF 86 category
//! (`PS_communes.csv` of the 2019 "déserts médicaux" notebooks, see
//! `../shared/data/sirene_naf86_communes_2019/PROVENANCE.md`): `;`-separated, a
//! `codecommuneetablissement` column, then one column per category (`generaliste` = NAF 86.21Z
//! « Activité des médecins généralistes », `infirmiers`, `dentiste`…), counts written `54.0`.
//!
//! # What the numbers are
//! Active **establishments** (SIRET) in SIRENE early 2019, not physicians: a group practice is
//! one establishment for several GPs, a GP may hold several, salaried GPs are absent. They are
//! kept as extra indicators named `sirene_2019_<category>` (e.g. `sirene_2019_generaliste`),
//! never as GP counts, and every report says so.
//!
//! # Rules
//! - Every category column of the header is kept; a column that is not a count in some row
//!   rejects that row (`malformed_number` or `invalid_value`, naming the column).
//! - Codes are the COG of early 2019: municipal arrondissements add up in their city; a code
//!   of a commune merged since is rejected (`merged_commune`) unless `remap_merged`; a code
//!   given twice is a conflict.
//! - Communes absent from the file have no establishment of these categories (the file lists
//!   only communes with at least one): they get no value, not 0 — the join cannot tell an
//!   absent row from a missing file.

use super::generic_csv::{PlacedRow, ResolveCounters, Table, parse_count, place_coded_row};
use super::{CommuneValues, Reader};
use crate::error::Result;
use crate::model::CommuneRegistry;
use crate::model::report::{ImportReport, Imported};
use std::collections::{BTreeMap, HashMap};

/// Options of [`SireneNaf86Reader`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SireneNaf86Options {
    /// Count rows of communes merged since 2019 in their successor instead of rejecting them.
    pub remap_merged: bool,
}

/// The commune column of `PS_communes.csv`.
const CODE_COLUMN: &str = "codecommuneetablissement";
/// Prefix of the extra indicators this source gives: its name and vintage.
pub const EXTRA_PREFIX: &str = "sirene_2019_";

/// SIRENE NAF 86 establishments per commune behind the [`Reader`] trait.
pub struct SireneNaf86Reader;

impl Reader for SireneNaf86Reader {
    type Record = CommuneValues;
    type Options = SireneNaf86Options;
    const KIND: &'static str = "sirene-naf86";

    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &SireneNaf86Options) -> Result<Imported<CommuneValues>> {
        let mut report = ImportReport::new(name, Self::KIND);
        let table = Table::parse(name, bytes, None, &mut report)?;
        let code_col = table.require_column(&[CODE_COLUMN], CODE_COLUMN)?;
        let categories: Vec<(usize, String)> = (0..table.headers.len())
            .filter(|&c| c != code_col && !table.headers[c].is_empty())
            .map(|c| (c, format!("{EXTRA_PREFIX}{}", table.headers[c])))
            .collect();
        report.note(format!(
            "SIRENE 2019 counts of ESTABLISHMENTS (not physicians) per NAF 86 category, kept as extra indicators {EXTRA_PREFIX}*; never GP counts"
        ));
        let decimal_comma = table.delimiter != b',';
        let (mut records, mut seen, mut counters) = (Vec::new(), HashMap::new(), ResolveCounters::default());
        'rows: for row in &table.rows {
            report.rows_read += 1;
            let Some(PlacedRow { commune, placement, source_code }) =
                place_coded_row(&table, row, code_col, registry, opts.remap_merged, &mut seen, &mut report)
            else {
                continue;
            };
            let mut extra = BTreeMap::new();
            for (col, key) in &categories {
                match parse_count(&table.headers[*col], &row.fields[*col], decimal_comma) {
                    Ok(Some(n)) => {
                        extra.insert(key.clone(), f64::from(n));
                    }
                    Ok(None) => {}
                    Err(reason) => {
                        report.reject(row.line, reason);
                        continue 'rows;
                    }
                }
            }
            report.rows_used += 1;
            counters.add(placement);
            records.push(CommuneValues { commune, source_code, line: row.line, extra, ..CommuneValues::default() });
        }
        counters.notes(&mut report);
        Ok(Imported { records, report })
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
            .commune("01033", "Valserhône")
            .former("01091", "Châtillon-en-Michaille", "01033")
            .build()
    }

    #[test]
    fn counts_become_extra_indicators_and_bad_rows_are_rejected_with_their_reason() {
        let csv = "codecommuneetablissement;generaliste;infirmiers\n\
03185;54.0;88.0\n\
13201;121.0;88.0\n\
13202;3.0;1.0\n\
01091;2.0;0.0\n\
99999;1.0;1.0\n\
03185;1.0;1.0\n\
;1.0;1.0\n\
03095;x;1.0\n";
        let got = SireneNaf86Reader::parse("PS_communes.csv", csv.as_bytes(), &registry(), &SireneNaf86Options::default()).unwrap();
        let r = &got.report;
        assert_eq!(r.rows_read, 8);
        let kinds: Vec<(u64, &str)> = r.rejected.iter().map(|x| (x.line, x.reason.kind())).collect();
        assert_eq!(kinds, [(5, "merged_commune"), (6, "unknown_commune"), (7, "conflict"), (8, "missing_field"), (9, "malformed_number")]);
        assert_eq!(r.rows_used, 3);
        let montlucon = &got.records[0];
        assert_eq!((montlucon.commune.as_str(), montlucon.gp), ("03185", None), "establishments are never GP counts");
        assert_eq!(montlucon.extra.get("sirene_2019_generaliste"), Some(&54.0));
        assert_eq!(montlucon.extra.get("sirene_2019_infirmiers"), Some(&88.0));
        let marseille: f64 = got.records.iter().filter(|v| v.commune == "13055").map(|v| v.extra["sirene_2019_generaliste"]).sum();
        assert_eq!(marseille, 124.0, "arrondissements add up in their city");
        assert!(r.notes.iter().any(|n| n.contains("ESTABLISHMENTS")), "{:?}", r.notes);
    }

    #[test]
    fn a_fractional_count_rejects_its_row_and_remap_merged_folds_former_communes() {
        let csv = "codecommuneetablissement;generaliste\n03185;1.5\n01091;2.0\n";
        let opts = SireneNaf86Options { remap_merged: true };
        let got = SireneNaf86Reader::parse("p.csv", csv.as_bytes(), &registry(), &opts).unwrap();
        let kinds: Vec<(u64, &str)> = got.report.rejected.iter().map(|x| (x.line, x.reason.kind())).collect();
        assert_eq!(kinds, [(2, "invalid_value")]);
        assert_eq!(got.records.len(), 1);
        assert_eq!((got.records[0].commune.as_str(), got.records[0].extra["sirene_2019_generaliste"]), ("01033", 2.0));
    }

    #[test]
    fn a_file_without_the_commune_column_is_an_error_naming_it() {
        let err = SireneNaf86Reader::parse("p.csv", b"code;generaliste\n03185;1.0\n", &registry(), &SireneNaf86Options::default()).unwrap_err();
        assert!(err.to_string().contains(CODE_COLUMN), "{err}");
    }
}
