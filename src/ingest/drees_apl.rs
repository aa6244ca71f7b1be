//! The official APL of DREES (« accessibilité potentielle localisée aux médecins
//! généralistes »), per commune, from DREES's xlsx workbook `apl_generalistes.xlsx`.
//!
//! The project computes its own APL (`analysis::apl`); this reader brings the published figure
//! so both can stand side by side and be compared (`analysis::compare`).
//!
//! # Layout (checked, not guessed)
//!
//! One sheet per vintage, named `APL YYYY` (`APL 2022`, `APL 2023`), beside a method sheet
//! (`Paramètres`) that is not read. In each `APL YYYY` sheet:
//!
//! - rows 1–8: title and notes (not read);
//! - row 9: the header, checked verbatim in columns A–F: `Code commune INSEE`, `Commune`,
//!   `APL aux médecins généralistes`, `APL aux médecins généralistes de moins de 65 ans`,
//!   `Population standardisée Y pour la médecine générale`, `Population totale Y`, where
//!   Y = YYYY − 2 (the populations of vintage 2023 are those of 2021);
//! - row 10: the units of C–F, checked verbatim (they say the APL is per *standardised*
//!   inhabitant);
//! - from row 11: one commune per row. Columns after F are ignored.
//!
//! A header or units cell that differs is an [`Error::Format`] naming the file, the sheet, the
//! row and the column; a workbook without the requested sheet, or without any `APL YYYY`
//! sheet, or that is not a readable xlsx (truncated, another format) is an [`Error::Invalid`].
//!
//! # Rows
//!
//! Line numbers are the sheet's row numbers (1-based, as a spreadsheet shows them). Rows whose
//! columns A–F are all empty are not data: they are not counted as read, only in a note (rows
//! that hold only formatting, like the ten that end the real 2023 sheet, are not even seen).
//! Every other row is used or rejected with its reason:
//!
//! - empty code → [`RejectReason::MissingField`]; a code stored as a number (`3185`) is padded
//!   back to five characters, as in the other readers;
//! - text (or an error value such as `#N/A`) in a number column → [`RejectReason::MalformedNumber`];
//!   an empty population → [`RejectReason::MissingField`]; a negative value →
//!   [`RejectReason::InvalidValue`]. An empty APL cell is allowed and read as `None` (the real
//!   Auvergne sheets have none);
//! - a code the registry does not know → [`RejectReason::UnknownCommune`]; a former commune →
//!   [`RejectReason::MergedCommune`] unless [`DreesAplOptions::remap_merged`].
//!
//! # One record per current commune
//!
//! The national workbook gives Paris, Lyon and Marseille by municipal arrondissement
//! (75101–75120, 69381–69389, 13201–13216). Their rows are folded into the city, by the rule
//! the sheet's own note states for any area: **the APL of several communes is their mean
//! weighted by standardised population**; populations add up. With `remap_merged`, the rows of
//! former communes are folded into their successor by the same rule (the successor's own row,
//! when given, is one of the parts). Folded rows count as used.
//!
//! A commune given twice otherwise (the same code twice, or a city given both whole and by
//! arrondissement) → [`RejectReason::Conflict`] naming the first line; the first values are kept.
//! A folded record whose parts include a rejected row is named in a note: its value covers only
//! the parts that could be read.

use super::reader::Reader as SourceReader;
use super::generic_csv::{Placement, ResolveCounters, resolve_code};
use crate::model::report::{ImportReport, Imported, RejectReason};
use crate::model::CommuneRegistry;
use crate::model::registry::normalize_insee_code;
use crate::error::{Error, Result};
use calamine::{Data, Range, Reader, Xlsx};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::io::Cursor;

/// Options of [`DreesAplReader`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DreesAplOptions {
    /// The vintage to read (the sheet `APL {year}`); `None` reads the latest `APL YYYY` sheet.
    pub year: Option<u16>,
    /// Fold rows keyed by a former commune into its successor instead of rejecting them.
    pub remap_merged: bool,
}

/// The official APL of one current commune for one vintage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficialApl {
    /// INSEE code of the current commune.
    pub commune: String,
    /// Code of the first row that gave it, as normalised (`75101` for Paris, a former commune's
    /// code when remapped, else the commune's own code).
    pub source_code: String,
    /// Sheet row of that first row (1-based).
    pub line: u64,
    /// Vintage (`APL 2023` → 2023). Its populations are those of `year - 2`.
    pub year: u16,
    /// « APL aux médecins généralistes », consultations/visits accessible per year and per
    /// standardised inhabitant; `None` where the sheet leaves it empty.
    pub apl: Option<f64>,
    /// The same with only the GPs aged 65 or less.
    pub apl_under65: Option<f64>,
    /// « Population standardisée » of `year - 2` (inhabitants weighted by their age group's GP
    /// consumption): the weight of means of APL.
    pub population_standardised: f64,
    /// « Population totale » of `year - 2`: the weight of shares of population under a threshold.
    pub population_total: f64,
}

/// Format name in reports.
const FORMAT: &str = "drees_apl";
/// Sheet row (1-based) of the header, of the units, and of the first commune.
const HEADER_ROW: u32 = 9;
const UNITS_ROW: u32 = 10;
const FIRST_DATA_ROW: u32 = 11;
/// Columns A–F (0-based).
const COL_CODE: u32 = 0;
const COL_APL: u32 = 2;
const COL_APL65: u32 = 3;
const COL_POP_STD: u32 = 4;
const COL_POP: u32 = 5;
const COLUMNS: u32 = 6;

/// The units row, columns C–F, verbatim.
const UNITS: [&str; 4] = [
    "En nombre de consultations/visites accessibles par habitant standardisé",
    "En nombre de consultations/visites accessibles par habitant standardisé",
    "En nombre d'habitants standardisés",
    "En nombre d'habitants",
];

/// The header row, columns A–F, verbatim, for a vintage.
fn expected_header(year: u16) -> [String; 6] {
    let pop_year = year.saturating_sub(2);
    [
        "Code commune INSEE".to_string(),
        "Commune".to_string(),
        "APL aux médecins généralistes".to_string(),
        "APL aux médecins généralistes de moins de 65 ans".to_string(),
        format!("Population standardisée {pop_year} pour la médecine générale"),
        format!("Population totale {pop_year}"),
    ]
}

/// The DREES APL workbook behind the [`Reader`](SourceReader) trait.
pub struct DreesAplReader;

impl SourceReader for DreesAplReader {
    type Record = OfficialApl;
    type Options = DreesAplOptions;
    const KIND: &'static str = FORMAT;

    /// [`DreesAplReader`] on the bytes of a workbook; `name` names the source in errors and the report.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &DreesAplOptions) -> Result<Imported<OfficialApl>> {
        let mut workbook = open(name, bytes)?;
        let names = workbook.sheet_names();
        let sheets = apl_sheets(&names);
        let (year, sheet) = match opts.year {
            Some(year) => sheets.iter().find(|(y, _)| *y == year).cloned().ok_or_else(|| Error::Invalid {
                file: name.to_string(),
                message: format!("no sheet \"APL {year}\" (sheets: {})", quoted(&names)),
            })?,
            None => sheets.last().cloned().ok_or_else(|| Error::Invalid {
                file: name.to_string(),
                message: format!("no \"APL YYYY\" sheet: not a DREES APL workbook (sheets: {})", quoted(&names)),
            })?,
        };
        let range = workbook.worksheet_range(&sheet).map_err(|e| Error::Invalid {
            file: name.to_string(),
            message: format!("sheet {sheet:?} cannot be read: {e}"),
        })?;
        check_layout(name, &sheet, year, &range)?;

        let mut report = ImportReport::new(name, FORMAT);
        let available: Vec<String> = sheets.iter().map(|(y, _)| y.to_string()).collect();
        report.note(format!("sheet {sheet:?} (vintage {year}, populations {}; vintages in the file: {})", year - 2, available.join(", ")));
        let rows = read_rows(&range, year, &mut report);
        let records = fold(rows, year, registry, opts.remap_merged, &mut report);
        report.rejected.sort_by_key(|r| r.line);
        Ok(Imported { records, report })
    }
}

/// The vintages a DREES workbook holds (its `APL YYYY` sheets), ascending; `name` names the source.
pub fn drees_apl_years(name: &str, bytes: &[u8]) -> Result<Vec<u16>> {
    let workbook = open(name, bytes)?;
    Ok(apl_sheets(&workbook.sheet_names()).into_iter().map(|(year, _)| year).collect())
}

fn open<'a>(name: &str, bytes: &'a [u8]) -> Result<Xlsx<Cursor<&'a [u8]>>> {
    Xlsx::new(Cursor::new(bytes)).map_err(|e| Error::Invalid {
        file: name.to_string(),
        message: format!("not a readable xlsx workbook (truncated, or another format?): {e}"),
    })
}

/// The `APL YYYY` sheets, by year ascending.
fn apl_sheets(names: &[String]) -> Vec<(u16, String)> {
    let mut sheets: Vec<(u16, String)> = names
        .iter()
        .filter_map(|n| {
            let year = n.trim().strip_prefix("APL ")?;
            (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())).then(|| year.parse().ok()).flatten().map(|y| (y, n.clone()))
        })
        .collect();
    sheets.sort();
    sheets
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

/// Spreadsheet column letter of a 0-based column (A–Z is all this layout needs).
fn column_letter(col: u32) -> char {
    char::from(b'A' + (col.min(25) as u8))
}

/// A cell, by 1-based sheet row and 0-based column; `Empty` outside the used range.
fn cell(range: &Range<Data>, row: u32, col: u32) -> &Data {
    static EMPTY: Data = Data::Empty;
    range.get_value((row - 1, col)).unwrap_or(&EMPTY)
}

/// A cell shown as text, for messages.
fn shown(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn check_layout(name: &str, sheet: &str, year: u16, range: &Range<Data>) -> Result<()> {
    let header = expected_header(year);
    let mismatch = |row: u32, col: u32, expected: &str, found: &Data| {
        let found = shown(found);
        let found = if found.is_empty() { "an empty cell".to_string() } else { format!("{found:?}") };
        Error::format(
            name,
            u64::from(row),
            expected,
            format!(
                "sheet {sheet:?}, row {row}, column {}: expected {expected:?}, found {found}",
                column_letter(col)
            ),
        )
    };
    for (col, expected) in (0u32..).zip(header.iter()) {
        let found = cell(range, HEADER_ROW, col);
        if !matches!(found, Data::String(s) if s.trim() == expected) {
            return Err(mismatch(HEADER_ROW, col, expected, found));
        }
    }
    for (col, expected) in (COL_APL..).zip(UNITS) {
        let found = cell(range, UNITS_ROW, col);
        if !matches!(found, Data::String(s) if s.trim() == expected) {
            return Err(mismatch(UNITS_ROW, col, expected, found));
        }
    }
    Ok(())
}

/// One data row read and checked, before it is placed.
struct SheetRow {
    line: u64,
    code: String,
    /// `None` when a cell could not be read (the row is already rejected): the code is kept so
    /// that a folded city or successor missing this part can be named in a note.
    values: Option<Values>,
}

/// The numbers of one row.
struct Values {
    apl: Option<f64>,
    apl_under65: Option<f64>,
    population_standardised: f64,
    population_total: f64,
}

/// Reads rows 11.. of the sheet; rejects those whose cells cannot be read.
fn read_rows(range: &Range<Data>, year: u16, report: &mut ImportReport) -> Vec<SheetRow> {
    // Rejections name the column by its (checked) header.
    let headers = expected_header(year);
    let header = |col: u32| headers[col as usize].as_str();
    let last_row = range.end().map_or(0, |(r, _)| r + 1);
    let mut rows = Vec::new();
    let mut empty_rows = 0u64;
    for row in FIRST_DATA_ROW..=last_row {
        let line = u64::from(row);
        if (0..COLUMNS).all(|c| matches!(cell(range, row, c), Data::Empty)) {
            empty_rows += 1;
            continue;
        }
        report.rows_read += 1;
        let code = match cell(range, row, COL_CODE) {
            Data::String(s) if !s.trim().is_empty() => s.trim().to_string(),
            // A code typed as a number lost its leading zero: the registry pads it back.
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 1e6 => format!("{f:.0}"),
            Data::Empty | Data::String(_) => {
                report.reject(line, RejectReason::MissingField { field: header(COL_CODE).into() });
                continue;
            }
            other => {
                let expected = "an INSEE commune code".to_string();
                report.reject(line, RejectReason::InvalidValue { field: header(COL_CODE).into(), value: shown(other), expected });
                continue;
            }
        };
        let number = |col: u32| -> Result<Option<f64>, RejectReason> {
            match cell(range, row, col) {
                Data::Empty => Ok(None),
                Data::Float(f) if f.is_finite() && *f >= 0.0 => Ok(Some(*f)),
                Data::Int(i) if *i >= 0 => Ok(Some(*i as f64)),
                Data::Float(f) if f.is_finite() => Err(RejectReason::InvalidValue {
                    field: header(col).into(),
                    value: f.to_string(),
                    expected: "a number ≥ 0".into(),
                }),
                Data::Int(i) => Err(RejectReason::InvalidValue {
                    field: header(col).into(),
                    value: i.to_string(),
                    expected: "a number ≥ 0".into(),
                }),
                other => Err(RejectReason::MalformedNumber { field: header(col).into(), value: shown(other) }),
            }
        };
        let required = |col: u32| -> Result<f64, RejectReason> {
            number(col)?.ok_or_else(|| RejectReason::MissingField { field: header(col).into() })
        };
        let parsed = (|| -> Result<Values, RejectReason> {
            Ok(Values {
                apl: number(COL_APL)?,
                apl_under65: number(COL_APL65)?,
                population_standardised: required(COL_POP_STD)?,
                population_total: required(COL_POP)?,
            })
        })();
        let values = match parsed {
            Ok(v) => Some(v),
            Err(reason) => {
                report.reject(line, reason);
                None
            }
        };
        rows.push(SheetRow { line, code, values });
    }
    if empty_rows > 0 {
        report.note(format!("{empty_rows} empty rows after the header ignored (not counted as read)"));
    }
    rows
}

/// The rows placed in one current commune.
struct Group {
    /// Index in the output.
    record: usize,
    /// Source codes already given, with their line.
    codes: HashMap<String, u64>,
    /// Whether a row named the commune itself, or one of its arrondissements.
    whole: Option<u64>,
    arrondissements: bool,
    parts: u32,
    /// Sums for the weighted means: Σ apl·w and Σ w over the parts that have an APL.
    apl_sum: (f64, f64),
    apl65_sum: (f64, f64),
    /// A part had no APL: the folded mean would describe only the others.
    apl_missing: bool,
    apl65_missing: bool,
}

fn fold(rows: Vec<SheetRow>, year: u16, registry: &CommuneRegistry, remap_merged: bool, report: &mut ImportReport) -> Vec<OfficialApl> {
    let mut records: Vec<OfficialApl> = Vec::new();
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut counters = ResolveCounters::default();
    // (commune, code) of rejected rows (bad cell) that would have been folded into a commune.
    let mut incomplete: BTreeSet<(String, String)> = BTreeSet::new();
    for row in rows {
        let (commune, placement) = match resolve_code(registry, &row.code, remap_merged) {
            Ok(c) => c,
            Err(reason) => {
                if row.values.is_some() {
                    report.reject(row.line, reason);
                }
                continue;
            }
        };
        let Some(values) = &row.values else {
            // Already rejected for a bad cell; only remember where it belonged.
            if placement != Placement::Commune {
                incomplete.insert((commune, normalize_insee_code(&row.code).unwrap_or_else(|| row.code.clone())));
            }
            continue;
        };
        let source_code = normalize_insee_code(&row.code).unwrap_or_else(|| row.code.clone());
        if let Some(group) = groups.get_mut(&commune) {
            let conflict = if let Some(first) = group.codes.get(&source_code) {
                Some(format!("code {source_code} given again (first on line {first}); the first values are kept"))
            } else if placement == Placement::Commune && (group.whole.is_some() || group.arrondissements) {
                let first = records[group.record].line;
                Some(format!("commune {commune} already given (first on line {first}); the first values are kept"))
            } else if placement == Placement::Arrondissement && group.whole.is_some() {
                let first = group.whole.unwrap_or_default();
                Some(format!(
                    "arrondissement {source_code} of a city already given whole (line {first}); the first values are kept"
                ))
            } else {
                None
            };
            if let Some(detail) = conflict {
                report.reject(row.line, RejectReason::Conflict { key: commune, detail });
                continue;
            }
            group.add(row.line, values, &source_code, placement);
            let rec = &mut records[group.record];
            rec.population_standardised += values.population_standardised;
            rec.population_total += values.population_total;
        } else {
            let mut group = Group {
                record: records.len(),
                codes: HashMap::new(),
                whole: None,
                arrondissements: false,
                parts: 0,
                apl_sum: (0.0, 0.0),
                apl65_sum: (0.0, 0.0),
                apl_missing: false,
                apl65_missing: false,
            };
            group.add(row.line, values, &source_code, placement);
            records.push(OfficialApl {
                commune: commune.clone(),
                source_code,
                line: row.line,
                year,
                apl: values.apl,
                apl_under65: values.apl_under65,
                population_standardised: values.population_standardised,
                population_total: values.population_total,
            });
            groups.insert(commune, group);
        }
        counters.add(placement);
        report.rows_used += 1;
    }

    // Folded communes: the sheet's rule for an area, a mean weighted by standardised population.
    let mut folded: Vec<(String, u32)> = Vec::new();
    let mut without_mean: Vec<String> = Vec::new();
    for group in groups.values() {
        if group.parts < 2 {
            continue;
        }
        let rec = &mut records[group.record];
        folded.push((rec.commune.clone(), group.parts));
        // A part without APL, or no standardised population at all: no mean that would
        // describe the whole commune.
        let mean = |(sum, weight): (f64, f64), missing: bool| (!missing && weight > 0.0).then(|| sum / weight);
        rec.apl = mean(group.apl_sum, group.apl_missing);
        rec.apl_under65 = mean(group.apl65_sum, group.apl65_missing);
        if rec.apl.is_none() || rec.apl_under65.is_none() {
            without_mean.push(rec.commune.clone());
        }
    }
    folded.sort();
    if let Some((commune, parts)) = folded.first() {
        report.note(format!(
            "{} communes folded from several rows (arrondissements, or former communes with remap_merged): \
             APL = mean weighted by standardised population, populations summed (e.g. {commune} from {parts} rows)",
            folded.len()
        ));
    }
    without_mean.sort();
    if !without_mean.is_empty() {
        report.note(format!(
            "folded communes with a part lacking an APL or no standardised population, APL left empty: {}",
            without_mean.join(", ")
        ));
    }
    // A part is missing when its code gave no row that could be read.
    let mut incomplete: Vec<String> = incomplete
        .into_iter()
        .filter(|(commune, code)| groups.get(commune).is_some_and(|g| !g.codes.contains_key(code)))
        .map(|(commune, _)| commune)
        .collect();
    incomplete.dedup();
    if !incomplete.is_empty() {
        report.note(format!(
            "values of {} fold only the rows that could be read: one of their parts was rejected",
            incomplete.join(", ")
        ));
    }
    counters.notes(report);
    records
}

impl Group {
    fn add(&mut self, line: u64, row: &Values, source_code: &str, placement: Placement) {
        self.codes.insert(source_code.to_string(), line);
        match placement {
            Placement::Commune => self.whole = Some(line),
            Placement::Arrondissement => self.arrondissements = true,
            Placement::Remapped => {}
        }
        self.parts += 1;
        let w = row.population_standardised;
        match row.apl {
            Some(v) => self.apl_sum = (self.apl_sum.0 + v * w, self.apl_sum.1 + w),
            None => self.apl_missing = true,
        }
        match row.apl_under65 {
            Some(v) => self.apl65_sum = (self.apl65_sum.0 + v * w, self.apl65_sum.1 + w),
            None => self.apl65_missing = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_give_vintages_in_order() {
        let names: Vec<String> = ["Paramètres", "APL 2023", "APL 2022", "APL 20x3", "APL 2021 (2)"].map(String::from).into();
        assert_eq!(apl_sheets(&names), vec![(2022, "APL 2022".to_string()), (2023, "APL 2023".to_string())]);
    }

    #[test]
    fn header_years_are_the_vintage_minus_two() {
        let h = expected_header(2023);
        assert_eq!(h[4], "Population standardisée 2021 pour la médecine générale");
        assert_eq!(h[5], "Population totale 2021");
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), 'A');
        assert_eq!(column_letter(5), 'F');
    }
}
