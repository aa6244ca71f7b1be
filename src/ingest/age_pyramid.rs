//! Age pyramid per commune (CSV), for standardising the population of the DREES APL with the
//! age weights of [`AgeWeights`](crate::analysis::apl::AgeWeights).
//!
//! # Format
//!
//! - Delimiter sniffed from the header line (`,` `;` or tab); UTF-8 or Windows-1252.
//! - A commune-code column, found by the names of the generic CSV reader (`code_commune`,
//!   `code_insee`, `insee`, `code`, `codgeo`, `com`, `depcom`…); a code without its leading
//!   zero (`3185`) is padded.
//! - Exactly the 19 five-year bands of the DREES sheet, named as in
//!   [`AGE_BANDS`]: `0-4`, `5-9`, … `85-89`, `90+`. Header
//!   matching ignores case, spaces and the word `ans` (`0-4 ans`, `90 ans +`, `0 - 4` all
//!   match) and reads an en dash as `-`; nothing else is guessed (no `90-94` + `95+`). Every
//!   band is required, and a band given by two columns is an error: both fail the whole file,
//!   naming the missing or doubled bands. Other columns (a name, a total) are ignored.
//! - Counts are inhabitants per band and may be fractional (Insee pyramids are estimates);
//!   `12,5` is read as 12.5 when the delimiter is not `,`.
//!
//! # Rows
//!
//! Rejected, each with its line ([`RejectReason`]): an empty, unknown or (unless
//! `remap_merged`) former commune code; a band that is empty (`MissingField`: an incomplete
//! pyramid cannot be standardised) or not a number (`MalformedNumber`), or negative
//! (`InvalidValue`); a code given twice, or a city given both whole and by its
//! arrondissements (`Conflict`); a row of the wrong width.
//!
//! Arrondissements (`13201`…) add up, band by band, into their city (`13055`); so do former
//! communes with `remap_merged`. The output is one [`AgePyramid`] per current commune.
//!
//! # In the APL
//!
//! A commune of the atlas that the file does not list keeps its **raw population** (not
//! standardised) in the APL; the `access` command prints how many communes were standardised
//! and how many kept their raw population. Mixing the two is an approximation: the weights
//! average about 1 over France, so a raw population stands for a standardised one of average
//! age structure.

use super::Reader;
use super::generic_csv::{CODE_COLUMNS, Placement, PlacedRow, ResolveCounters, Table, parse_number, place_coded_row};
use crate::model::report::{ImportReport, Imported, RejectReason};
use crate::model::practice::AGE_BANDS;
use crate::model::CommuneRegistry;
use crate::error::{Error, Result};
use std::collections::HashMap;

/// The age pyramid of one current commune: inhabitants per DREES band, youngest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AgePyramid {
    /// INSEE code of the current commune.
    pub commune: String,
    /// 1-based line of the first row counted in this commune (its own row, or its first
    /// arrondissement's).
    pub line: u64,
    /// Inhabitants per band, in the order of [`AGE_BANDS`].
    pub bands: [f64; 19],
}

impl AgePyramid {
    /// Total inhabitants over all bands.
    pub fn total(&self) -> f64 {
        self.bands.iter().sum()
    }
}

/// The age pyramid format behind the [`Reader`] trait (`remap_merged`: count rows under a former commune's code in its successor).
pub struct AgePyramidReader;

impl Reader for AgePyramidReader {
    type Record = AgePyramid;
    type Options = bool;
    const KIND: &'static str = "age-pyramid";

    /// Parses the bytes of an age-pyramid file; `name` names the source.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, remap_merged: &bool) -> Result<Imported<AgePyramid>> {
        let remap_merged = *remap_merged;
        let mut report = ImportReport::new(name, "age-pyramid");
        let table = Table::parse(name, bytes, None, &mut report)?;
        let code_col = table.require_column(CODE_COLUMNS, "code_commune")?;
        let bands = band_columns(&table)?;
        let decimal_comma = table.delimiter != b',';

        let mut records: Vec<AgePyramid> = Vec::new();
        // Current commune → (position in `records`, whether it was given whole, line that gave it).
        let mut by_commune: HashMap<String, (usize, bool, u64)> = HashMap::new();
        // Source code → line, for duplicate codes (filled by `place_coded_row`).
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut counters = ResolveCounters::default();
        for row in &table.rows {
            report.rows_read += 1;
            let Some(PlacedRow { commune, placement, .. }) =
                place_coded_row(&table, row, code_col, registry, remap_merged, &mut seen, &mut report)
            else {
                continue;
            };
            let mut counts = [0.0; 19];
            let mut bad = None;
            for (b, &col) in bands.iter().enumerate() {
                let raw = row.fields[col].as_str();
                let field = table.headers[col].clone();
                match parse_number(raw, decimal_comma) {
                    Some(v) if v >= 0.0 => counts[b] = v,
                    Some(_) => {
                        let expected = "a number of inhabitants (≥ 0)".to_string();
                        bad = Some(RejectReason::InvalidValue { field, value: raw.into(), expected });
                    }
                    None if raw.is_empty() => bad = Some(RejectReason::MissingField { field }),
                    None => bad = Some(RejectReason::MalformedNumber { field, value: raw.into() }),
                }
                if bad.is_some() {
                    break;
                }
            }
            if let Some(reason) = bad {
                report.reject(row.line, reason);
                continue;
            }
            // A city is either given whole or by its parts (arrondissements, or former communes
            // with remap_merged), never both: both would count its inhabitants twice.
            let whole = placement == Placement::Commune;
            match by_commune.get(&commune) {
                None => {
                    by_commune.insert(commune.clone(), (records.len(), whole, row.line));
                    records.push(AgePyramid { commune, line: row.line, bands: counts });
                }
                Some(&(_, first_whole, first_line)) if first_whole || whole => {
                    let detail = if first_whole {
                        format!("{commune} already given whole on line {first_line}")
                    } else {
                        format!("{commune} already given by its parts (arrondissements or former communes) from line {first_line}")
                    };
                    report.reject(row.line, RejectReason::Conflict { key: commune, detail });
                    continue;
                }
                Some(&(k, _, _)) => {
                    for (total, c) in records[k].bands.iter_mut().zip(counts) {
                        *total += c;
                    }
                }
            }
            report.rows_used += 1;
            counters.add(placement);
        }
        counters.notes(&mut report);
        Ok(Imported { records, report })
    }
}

/// The key a band header is compared by: lower case, no white space, no `ans`, en and em
/// dashes as `-` (`"0 - 4 ans"` → `0-4`, `"90 ans et +"` would be `90et+` and not match).
fn band_key(header: &str) -> String {
    let compact: String = header
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if matches!(c, '–' | '—') { '-' } else { c })
        .collect();
    compact.replace("ans", "")
}

/// Column of each band, or the file-level error naming the bands missing or doubled.
fn band_columns(table: &Table) -> Result<[usize; 19]> {
    let keys: Vec<String> = table.headers.iter().map(|h| band_key(h)).collect();
    let mut columns = [0usize; 19];
    let (mut missing, mut doubled) = (Vec::new(), Vec::new());
    for (b, band) in AGE_BANDS.iter().enumerate() {
        let found: Vec<usize> = keys.iter().enumerate().filter(|(_, k)| k == band).map(|(i, _)| i).collect();
        match found.as_slice() {
            [col] => columns[b] = *col,
            [] => missing.push(*band),
            more => doubled.push(format!("{band} ({})", more.iter().map(|&c| table.headers[c].as_str()).collect::<Vec<_>>().join(", "))),
        }
    }
    if missing.is_empty() && doubled.is_empty() {
        return Ok(columns);
    }
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("no column for the age band(s) {}", missing.join(", ")));
    }
    if !doubled.is_empty() {
        problems.push(format!("age band(s) given by two columns: {}", doubled.join("; ")));
    }
    Err(Error::format(
        &table.file,
        1,
        "age bands",
        format!(
            "{} (expected the 19 DREES bands {}; found: {})",
            problems.join("; "),
            AGE_BANDS.join(", "),
            table.headers.join(" | ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> CommuneRegistry {
        CommuneRegistry::builder()
            .commune("03185", "Montluçon")
            .commune("03095", "Cusset")
            .commune("03036", "Bizeneuille")
            .commune("03001", "Abrest")
            .commune("03002", "Agonges")
            .commune("03003", "Ainay-le-Château")
            .commune("13055", "Marseille")
            .arrondissement("13201", "Marseille 1er", "13055")
            .arrondissement("13202", "Marseille 2e", "13055")
            .commune("69123", "Lyon")
            .arrondissement("69381", "Lyon 1er", "69123")
            .former("03999", "Ancienne", "03036")
            .build()
    }

    const HEADER: &str = "code;nom;0-4;5-9;10-14;15-19;20-24;25-29;30-34;35-39;40-44;45-49;50-54;55-59;60-64;65-69;70-74;75-79;80-84;85-89;90+";

    /// A row with band `b` at `first + b` (so bands differ), the name and code given.
    fn row(code: &str, first: f64) -> String {
        let bands: Vec<String> = (0..19).map(|b| format!("{}", first + b as f64).replace('.', ",")).collect();
        format!("{code};x;{}", bands.join(";"))
    }

    fn with_band(code: &str, band: usize, value: &str) -> String {
        let mut fields: Vec<String> = (0..19).map(|_| "1".to_string()).collect();
        fields[band] = value.to_string();
        format!("{code};x;{}", fields.join(";"))
    }

    #[test]
    fn reads_pyramids_and_rejects_each_bad_row_with_its_line() {
        let lines = [
            HEADER.to_string(),
            row("03185", 100.5),         // 2: good, fractional
            row("3095", 10.0),           // 3: good, padded code
            row("99999", 1.0),           // 4: unknown commune
            row("03999", 1.0),           // 5: former commune, not remapped
            with_band("03036", 4, "abc"), // 6: not a number
            with_band("03001", 18, "-3"), // 7: negative
            with_band("03002", 0, ""),    // 8: empty band
            row("03185", 1.0),           // 9: duplicate code
            row("13201", 1.0),           // 10: arrondissement
            row("13202", 2.0),           // 11: arrondissement, adds up
            row("13055", 5.0),           // 12: city given whole after its arrondissements
            row("69123", 5.0),           // 13: city whole
            row("69381", 5.0),           // 14: then an arrondissement of it
            "03003;x;1;2".to_string(),   // 15: short row
        ];
        let csv = lines.join("\n");
        let got = AgePyramidReader::parse("p.csv", csv.as_bytes(), &registry(), &false).unwrap();
        let r = &got.report;
        assert_eq!(r.rows_read, 14);
        let kinds: Vec<(u64, &str)> = r.rejected.iter().map(|x| (x.line, x.reason.kind())).collect();
        assert_eq!(kinds, vec![
            (4, "unknown_commune"), (5, "merged_commune"), (6, "malformed_number"), (7, "invalid_value"),
            (8, "missing_field"), (9, "conflict"), (12, "conflict"), (14, "conflict"),
            (15, "missing_field"),
        ]);
        assert_eq!(r.rows_used, 5);
        let codes: Vec<&str> = got.records.iter().map(|p| p.commune.as_str()).collect();
        assert_eq!(codes, vec!["03185", "03095", "13055", "69123"]);
        let montlucon = &got.records[0];
        assert_eq!(montlucon.bands[0], 100.5);
        assert_eq!(montlucon.bands[18], 118.5);
        assert_eq!(montlucon.line, 2);
        // Marseille: 1er (1 + b) + 2e (2 + b) = 3 + 2b per band.
        let marseille = &got.records[2];
        for b in 0..19 {
            assert_eq!(marseille.bands[b], 3.0 + 2.0 * b as f64, "band {b}");
        }
        assert_eq!(marseille.line, 10);
        assert!((got.records[1].total() - (19.0 * 10.0 + 171.0)).abs() < 1e-9);
        assert!(r.notes.iter().any(|n| n.contains("2 rows of municipal arrondissements")), "{:?}", r.notes);
    }

    #[test]
    fn former_communes_add_up_into_their_successor_with_remap() {
        let csv = [HEADER.to_string(), row("03999", 1.0), row("03036", 1.0)].join("\n");
        let got = AgePyramidReader::parse("p.csv", csv.as_bytes(), &registry(), &true).unwrap();
        assert_eq!(got.records.len(), 1);
        // The successor given whole after its former commune: counting both would double it.
        assert_eq!(got.report.rejected.len(), 1);
        assert_eq!(got.report.rejected[0].line, 3);
        assert_eq!(got.records[0].commune, "03036");
    }

    #[test]
    fn band_headers_tolerate_spaces_and_ans_but_every_band_is_required() {
        let header = "CODGEO,0 - 4 ans,5-9 ans,10–14,15-19,20-24,25-29,30-34,35-39,40-44,45-49,50-54,55-59,60-64,65-69,70-74,75-79,80-84,85-89,90 ans +,total";
        let ones = vec!["1"; 20].join(",");
        let csv = format!("{header}\n03185,{ones}\n");
        let got = AgePyramidReader::parse("p.csv", csv.as_bytes(), &registry(), &false).unwrap();
        assert_eq!(got.records.len(), 1);
        assert_eq!(got.records[0].bands, [1.0; 19]);

        let no_90 = "code,0-4,5-9,10-14,15-19,20-24,25-29,30-34,35-39,40-44,45-49,50-54,55-59,60-64,65-69,70-74,75-79,80-84,85-89,90-94,95+\n";
        let err = AgePyramidReader::parse("p.csv", no_90.as_bytes(), &registry(), &false).unwrap_err();
        assert!(err.to_string().contains("90+"), "{err}");

        let doubled = format!("{header},0-4\n");
        let err = AgePyramidReader::parse("p.csv", doubled.as_bytes(), &registry(), &false).unwrap_err();
        assert!(err.to_string().contains("two columns"), "{err}");
    }

}
