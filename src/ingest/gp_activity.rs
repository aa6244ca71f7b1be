//! Individual GPs with their activity, practice type and age (CSV), for the DREES APL's
//! activity caps and its "under 65" variant ([`Gp`], [`counted_activity`]).
//!
//! # Format
//!
//! One row per GP (a GP practising in two communes is two rows), delimiter sniffed (`,` `;`
//! or tab), UTF-8 or Windows-1252, columns by header name (compared like the generic CSV
//! reader: case, accents and punctuation folded):
//!
//! | column     | also accepted                         | content |
//! |------------|---------------------------------------|---------|
//! | `commune`  | the generic code names (`code_commune`, `insee`, `code`, `codgeo`, `com`…) | INSEE code of the practice's commune, required |
//! | `activity` | `activite`, `consultations`           | consultations + visits (+ teleconsultations) in the year; empty = unknown |
//! | `practice` | `exercice`, `mode_exercice`           | `liberal` (default when empty), `new`, `centre`; see below |
//! | `age`      |                                       | age in whole years; empty = unknown |
//! | `id`       | `rpps`, `identifiant`                 | optional identifier |
//!
//! Only `commune` is a required column; a file without `activity` gives every GP an unknown
//! activity, one without `age` an unknown age. Practice values, case and accents folded:
//! `liberal` / `libéral` ([`Practice::Liberal`]: the caps apply), `new` / `new_liberal` /
//! `nouveau` / `nouveau_liberal` ([`Practice::NewLiberal`]: 5,400 imputed), `centre` /
//! `health_centre` / `centre_de_sante` / `centre de santé` / `cds`
//! ([`Practice::HealthCentre`]: uncapped). Numbers as in the generic reader (`4 500`, and
//! `4500,5` when the delimiter is not `,`).
//!
//! # Rows
//!
//! Rejected, each with its line ([`RejectReason`]): an empty, unknown or (unless
//! `remap_merged`) former commune code; an activity or age that is not a number
//! (`MalformedNumber`); a negative activity, an age that is not a whole number between 20 and
//! 100, an unknown practice (`InvalidValue`); an `id` given twice (`Conflict`); a row of the
//! wrong width. A GP in an arrondissement counts in its city.
//!
//! An unknown activity is counted at the APL's `default_activity` (5,400 unless changed); a GP
//! of unknown age counts in the all-GPs APL and is left out of the under-65 one (the `access`
//! command prints how many).
//!

use super::Reader;
use super::generic_csv::{CODE_COLUMNS, ResolveCounters, Table, header_key, parse_number, resolve_code};
use crate::model::report::{ImportReport, Imported, RejectReason};
use crate::model::practice::Practice;
use crate::model::CommuneRegistry;
use crate::error::Result;
use std::collections::HashMap;

/// Youngest and oldest accepted age: outside, the value is more likely an error (a year of
/// birth, a typo) than a practising GP.
pub const AGE_RANGE: (u32, u32) = (20, 100);

/// One usable row: a GP in a current commune.
#[derive(Debug, Clone, PartialEq)]
pub struct GpRow {
    /// INSEE code of the current commune.
    pub commune: String,
    /// The `id` column, when given and not empty.
    pub id: Option<String>,
    /// Consultations + visits in the year; `None` when unknown.
    pub activity: Option<f64>,
    /// How the activity is counted (liberal when the file does not say).
    pub practice: Practice,
    /// Age in years; `None` when unknown.
    pub age: Option<u32>,
    /// 1-based line of the row.
    pub line: u64,
}

/// The gp activity format behind the [`Reader`] trait (`remap_merged`: count rows under a former commune's code in its successor).
pub struct GpActivityReader;

impl Reader for GpActivityReader {
    type Record = GpRow;
    type Options = bool;
    const KIND: &'static str = "gp-activity";

    /// Parses the bytes of a GP list; `name` names the source.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, remap_merged: &bool) -> Result<Imported<GpRow>> {
        let remap_merged = *remap_merged;
        let mut report = ImportReport::new(name, "gp-activity");
        let table = Table::parse(name, bytes, None, &mut report)?;
        // `commune` first, so a file with both a `commune` and a `code` column uses the former.
        let commune_aliases: Vec<&str> = std::iter::once("commune").chain(CODE_COLUMNS.iter().copied()).collect();
        let commune_col = table.require_column(&commune_aliases, "commune")?;
        let activity_col = table.column(&["activity", "activite", "consultations"]);
        let practice_col = table.column(&["practice", "exercice", "mode_exercice"]);
        let age_col = table.column(&["age"]);
        let id_col = table.column(&["id", "rpps", "identifiant"]);
        if activity_col.is_none() {
            report.note("no activity column: every GP counts at the default activity");
        }
        if age_col.is_none() {
            report.note("no age column: every GP has an unknown age");
        }
        let decimal_comma = table.delimiter != b',';

        let mut records = Vec::new();
        let mut ids: HashMap<String, u64> = HashMap::new();
        let mut counters = ResolveCounters::default();
        let (mut unknown_activity, mut unknown_age) = (0u64, 0u64);
        for row in &table.rows {
            report.rows_read += 1;
            if let Err(reason) = table.check_width(row) {
                report.reject(row.line, reason);
                continue;
            }
            let field = |col: usize| (table.headers[col].as_str(), row.fields[col].as_str());
            let raw_code = row.fields[commune_col].as_str();
            if raw_code.is_empty() {
                report.reject(row.line, RejectReason::MissingField { field: table.headers[commune_col].clone() });
                continue;
            }
            let (commune, placement) = match resolve_code(registry, raw_code, remap_merged) {
                Ok(c) => c,
                Err(reason) => {
                    report.reject(row.line, reason);
                    continue;
                }
            };
            let activity = match activity_col.map(field) {
                None | Some((_, "")) => None,
                Some((f, raw)) => match parse_number(raw, decimal_comma) {
                    Some(v) if v >= 0.0 => Some(v),
                    Some(_) => {
                        let expected = "a number of consultations (≥ 0)".to_string();
                        report.reject(row.line, RejectReason::InvalidValue { field: f.into(), value: raw.into(), expected });
                        continue;
                    }
                    None => {
                        report.reject(row.line, RejectReason::MalformedNumber { field: f.into(), value: raw.into() });
                        continue;
                    }
                },
            };
            let practice = match practice_col.map(field) {
                None => Practice::Liberal,
                Some((f, raw)) => match parse_practice(raw) {
                    Some(p) => p,
                    None => {
                        let expected = "liberal, new or centre".to_string();
                        report.reject(row.line, RejectReason::InvalidValue { field: f.into(), value: raw.into(), expected });
                        continue;
                    }
                },
            };
            let age = match age_col.map(field) {
                None | Some((_, "")) => None,
                Some((f, raw)) => match parse_number(raw, decimal_comma) {
                    Some(v) if v.fract() == 0.0 && (f64::from(AGE_RANGE.0)..=f64::from(AGE_RANGE.1)).contains(&v) => {
                        // Whole and within 20..=100, so the conversion is exact.
                        Some(v as u32)
                    }
                    Some(_) => {
                        let expected = format!("a whole age between {} and {}", AGE_RANGE.0, AGE_RANGE.1);
                        report.reject(row.line, RejectReason::InvalidValue { field: f.into(), value: raw.into(), expected });
                        continue;
                    }
                    None => {
                        report.reject(row.line, RejectReason::MalformedNumber { field: f.into(), value: raw.into() });
                        continue;
                    }
                },
            };
            let id = id_col.map(|c| row.fields[c].clone()).filter(|s| !s.is_empty());
            if let Some(id) = &id {
                if let Some(first) = ids.get(id) {
                    let detail = format!("id already given on line {first}");
                    report.reject(row.line, RejectReason::Conflict { key: id.clone(), detail });
                    continue;
                }
                ids.insert(id.clone(), row.line);
            }
            unknown_activity += u64::from(activity.is_none());
            unknown_age += u64::from(age.is_none());
            report.rows_used += 1;
            counters.add(placement);
            records.push(GpRow { commune, id, activity, practice, age, line: row.line });
        }
        if activity_col.is_some() && unknown_activity > 0 {
            report.note(format!("{unknown_activity} GPs with an unknown activity (counted at the default activity)"));
        }
        if age_col.is_some() && unknown_age > 0 {
            report.note(format!("{unknown_age} GPs with an unknown age (left out of the under-65 APL)"));
        }
        counters.notes(&mut report);
        Ok(Imported { records, report })
    }
}

/// The practice a value names (see the module documentation), `None` if it names none.
pub fn parse_practice(raw: &str) -> Option<Practice> {
    match header_key(raw).as_str() {
        "" | "liberal" => Some(Practice::Liberal),
        "new" | "new_liberal" | "nouveau" | "nouveau_liberal" => Some(Practice::NewLiberal),
        "centre" | "center" | "health_centre" | "health_center" | "centre_de_sante" | "cds" => Some(Practice::HealthCentre),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> CommuneRegistry {
        CommuneRegistry::builder()
            .commune("03185", "Montluçon")
            .commune("03095", "Cusset")
            .commune("13055", "Marseille")
            .arrondissement("13201", "Marseille 1er", "13055")
            .former("03999", "Ancienne", "03095")
            .build()
    }

    #[test]
    fn reads_gps_and_rejects_each_bad_row_with_its_line() {
        let csv = "\
id;commune;activity;practice;age
a;03185;4 500;liberal;52
b;3095;;;
c;13201;9000,5;centre de santé;64
d;03185;100;nouveau;30
e;99999;4000;liberal;50
f;03999;4000;liberal;50
g;03185;quatre;liberal;50
h;03185;-5;liberal;50
i;03185;4000;salarié;50
j;03185;4000;liberal;19
k;03185;4000;liberal;101
l;03185;4000;liberal;45,5
m;03185;4000;liberal;vieux
a;03095;4000;liberal;50
n;;4000;liberal;50
o;03185;4000
p;03185;6000;Libéral;100
";
        let got = GpActivityReader::parse("gps.csv", csv.as_bytes(), &registry(), &false).unwrap();
        let r = &got.report;
        assert_eq!(r.rows_read, 17);
        let kinds: Vec<(u64, &str)> = r.rejected.iter().map(|x| (x.line, x.reason.kind())).collect();
        assert_eq!(kinds, vec![
            (6, "unknown_commune"), (7, "merged_commune"), (8, "malformed_number"), (9, "invalid_value"),
            (10, "invalid_value"), (11, "invalid_value"), (12, "invalid_value"), (13, "invalid_value"),
            (14, "malformed_number"), (15, "conflict"), (16, "missing_field"), (17, "missing_field"),
        ]);
        assert_eq!(r.rows_used, 5);
        let gp = |line: u64| got.records.iter().find(|g| g.line == line).unwrap();
        assert_eq!(
            gp(2),
            &GpRow { commune: "03185".into(), id: Some("a".into()), activity: Some(4_500.0), practice: Practice::Liberal, age: Some(52), line: 2 }
        );
        assert_eq!(gp(3).commune, "03095", "padded code");
        assert_eq!((gp(3).activity, gp(3).practice, gp(3).age), (None, Practice::Liberal, None));
        assert_eq!((gp(4).commune.as_str(), gp(4).activity, gp(4).practice), ("13055", Some(9_000.5), Practice::HealthCentre));
        assert_eq!(gp(5).practice, Practice::NewLiberal);
        assert_eq!((gp(18).practice, gp(18).age), (Practice::Liberal, Some(100)));
        assert!(r.notes.iter().any(|n| n.contains("1 GPs with an unknown activity")), "{:?}", r.notes);
        assert!(r.notes.iter().any(|n| n.contains("1 GPs with an unknown age")), "{:?}", r.notes);
    }

    #[test]
    fn only_the_commune_column_is_required() {
        let got = GpActivityReader::parse("gps.csv", b"code_commune\n03185\n03185\n", &registry(), &false).unwrap();
        assert_eq!(got.records.len(), 2, "no id column: two GPs of one commune are two rows");
        assert!(got.records.iter().all(|g| g.activity.is_none() && g.age.is_none() && g.practice == Practice::Liberal));
        let err = GpActivityReader::parse("gps.csv", b"activity,age\n4000,50\n", &registry(), &false).unwrap_err();
        assert!(err.to_string().contains("commune"), "{err}");
    }

    #[test]
    fn practices_in_english_and_french() {
        assert_eq!(parse_practice(""), Some(Practice::Liberal));
        assert_eq!(parse_practice("LIBÉRAL"), Some(Practice::Liberal));
        assert_eq!(parse_practice("new"), Some(Practice::NewLiberal));
        assert_eq!(parse_practice("nouveau"), Some(Practice::NewLiberal));
        assert_eq!(parse_practice("centre"), Some(Practice::HealthCentre));
        assert_eq!(parse_practice("centre_de_sante"), Some(Practice::HealthCentre));
        assert_eq!(parse_practice("hospital"), None);
    }

}
