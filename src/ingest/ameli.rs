//! Cnam's per-département head counts of liberal health professionals (data.ameli.fr,
//! « Démographie — effectifs et densités »), used as a published check of the atlas's GP
//! counts, not as a source of them: the counts are per département, not per commune.
//!
//! # Format
//!
//! `,` separated, header on line 1, UTF-8 **with a BOM** (dropped by [`text::decode`], which
//! also reads a Windows-1252 copy), columns by name:
//! `annee,profession_sante,region,libelle_region,departement,libelle_departement,classe_age,
//! libelle_classe_age,libelle_sexe,effectif,densite,…`. One row per year × profession ×
//! département (or region / France total, `departement` = `999`) × age class × sex.
//!
//! # Rows
//!
//! Used: the rows of the profession asked for (e.g. [`ALL_GPS`]), all ages (`tout_age`), both
//! sexes (`tout sexe`), of one département. Skipped by design, counted by reason: another
//! profession, an age or sex breakdown, a region or France total. Rejected with their line:
//! an empty `departement`, an `effectif` that is not a whole number ≥ 0, a `densite` that is
//! not a number, a département given twice for the profession (`Conflict`), a row of the
//! wrong width.
//!
//! # What the counts are
//!
//! Liberal GPs (mixed practice included, salaried-only GPs not) with an activity in the year,
//! each counted once in a département; the atlas counts a GP in each commune where they
//! practise, so a département's sum of communes can count a multi-site GP twice. The embedded
//! reference (`geodata/ameli_gp_departements_2024.csv`, [`embedded_gp_reference`]) holds the
//! 101 départements of 2024 for [`ALL_GPS`], extracted by `scripts/extract_ameli_reference.py`.

use super::text;
use crate::error::{Error, Result};
use crate::model::report::{ImportReport, Imported, RejectReason};
use std::collections::HashMap;
use std::path::Path;

/// Format name written in the import report.
pub const FORMAT: &str = "ameli-demographie";

/// `profession_sante` of every GP (with or without a particular practice, MEP).
pub const ALL_GPS: &str = "Ensemble des médecins généralistes";

/// The embedded reference: 2024, [`ALL_GPS`], 101 départements (see the module doc).
pub const EMBEDDED_REFERENCE: &str = "geodata/ameli_gp_departements_2024.csv";
const EMBEDDED: &[u8] = include_bytes!("../../geodata/ameli_gp_departements_2024.csv");

/// Why rows are skipped.
pub const SKIP_OTHER_PROFESSION: &str = "other profession";
pub const SKIP_BREAKDOWN: &str = "age or sex breakdown";
pub const SKIP_TOTAL: &str = "region or France total";

/// One département's head count for one profession.
#[derive(Debug, Clone, PartialEq)]
pub struct AmeliCount {
    /// Year of the count (`annee`).
    pub year: u16,
    /// `profession_sante`, verbatim.
    pub profession: String,
    /// Département code with its leading zero ("03", "2A", "971").
    pub departement: String,
    /// `libelle_departement`.
    pub name: String,
    /// Head count (`effectif`).
    pub count: u32,
    /// Per 100,000 inhabitants (`densite`), when given.
    pub density: Option<f64>,
    /// 1-based line of the row.
    pub line: u64,
}

/// Reads a file of the format (the full data.ameli.fr export or the embedded extract).
pub fn read_ameli(path: &Path, profession: &str) -> Result<Imported<AmeliCount>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_ameli(&path.display().to_string(), &bytes, profession)
}

/// The embedded 2024 reference of every GP by département.
pub fn embedded_gp_reference() -> Result<Imported<AmeliCount>> {
    parse_ameli(EMBEDDED_REFERENCE, EMBEDDED, ALL_GPS)
}

const COLUMNS: [&str; 8] =
    ["annee", "profession_sante", "departement", "libelle_departement", "classe_age", "libelle_sexe", "effectif", "densite"];

/// Reads the format from memory; `name` is used in errors and the report.
pub fn parse_ameli(name: &str, bytes: &[u8], profession: &str) -> Result<Imported<AmeliCount>> {
    let (text, _) = text::decode(bytes);
    let mut report = ImportReport::new(name, FORMAT);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| Error::format(name, 1, "header", e.to_string()))?.clone();
    let find = |c: &str| header.iter().position(|h| h.trim() == c);
    let mut pos = [0usize; 8];
    for (slot, c) in pos.iter_mut().zip(COLUMNS) {
        *slot = find(c).ok_or_else(|| {
            Error::format(name, 1, c, format!("not a data.ameli.fr demography header: no column {c:?}"))
        })?;
    }
    let [year_c, profession_c, dep_c, dep_name_c, age_c, sex_c, count_c, density_c] = pos;
    let mut records = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| Error::format(name, e.position().map_or(0, |p| p.line()), "-", e.to_string()))?;
        let line = row.position().map_or(0, |p| p.line());
        report.rows_read += 1;
        if row.len() != header.len() {
            report.reject(
                line,
                RejectReason::InvalidValue {
                    field: "fields".into(),
                    value: format!("{} fields", row.len()),
                    expected: format!("{} fields as in the header", header.len()),
                },
            );
            continue;
        }
        let get = |i: usize| row.get(i).map(str::trim).unwrap_or_default();
        if get(profession_c) != profession {
            report.skip(SKIP_OTHER_PROFESSION);
            continue;
        }
        if get(age_c) != "tout_age" || get(sex_c) != "tout sexe" {
            report.skip(SKIP_BREAKDOWN);
            continue;
        }
        let departement = get(dep_c);
        if departement == "999" {
            report.skip(SKIP_TOTAL);
            continue;
        }
        if departement.is_empty() {
            report.reject(line, RejectReason::MissingField { field: "departement".into() });
            continue;
        }
        let count = match get(count_c).parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                report.reject(line, RejectReason::MalformedNumber { field: "effectif".into(), value: get(count_c).into() });
                continue;
            }
        };
        let density = match get(density_c) {
            "" => None,
            v => match v.parse::<f64>() {
                Ok(d) if d.is_finite() => Some(d),
                _ => {
                    report.reject(line, RejectReason::MalformedNumber { field: "densite".into(), value: v.into() });
                    continue;
                }
            },
        };
        let year = match get(year_c).parse::<u16>() {
            Ok(y) => y,
            Err(_) => {
                report.reject(line, RejectReason::MalformedNumber { field: "annee".into(), value: get(year_c).into() });
                continue;
            }
        };
        // Départements of one year: the same département twice is a conflict, another year
        // is a conflict too, since the check compares one vintage with the atlas.
        if let Some(first) = first_line.insert(departement.to_string(), line) {
            report.reject(
                line,
                RejectReason::Conflict { key: departement.into(), detail: format!("département already given on line {first}") },
            );
            continue;
        }
        report.rows_used += 1;
        records.push(AmeliCount {
            year,
            profession: profession.to_string(),
            departement: departement.to_string(),
            name: get(dep_name_c).to_string(),
            count,
            density,
            line,
        });
    }
    Ok(Imported { records, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_reference_has_the_101_departements_of_2024() {
        let r = embedded_gp_reference().unwrap();
        assert!(r.report.rejected.is_empty(), "{:?}", r.report.rejected);
        assert_eq!(r.records.len(), 101);
        // The PROVENANCE's figures for the target départements, and France's total (the
        // `999` row of the full file) as the sum.
        let count = |d: &str| r.records.iter().find(|c| c.departement == d).map(|c| (c.count, c.density));
        assert_eq!(count("03"), Some((254, Some(76.4))));
        assert_eq!(count("63"), Some((577, Some(86.9))));
        assert_eq!(count("974"), Some((918, Some(102.4))));
        assert_eq!(r.records.iter().map(|c| u64::from(c.count)).sum::<u64>(), 55_546);
        assert!(r.records.iter().all(|c| c.year == 2024 && c.profession == ALL_GPS));
    }

    #[test]
    fn rows_are_used_skipped_or_rejected_with_their_line() {
        let text = "\u{feff}annee,profession_sante,region,libelle_region,departement,libelle_departement,classe_age,libelle_classe_age,libelle_sexe,effectif,densite\n\
2024,Ensemble des médecins généralistes,84,ARA,03,Allier,tout_age,Tout âge,tout sexe,254,76.4\n\
2024,Pédiatres,84,ARA,03,Allier,tout_age,Tout âge,tout sexe,9,2.1\n\
2024,Ensemble des médecins généralistes,84,ARA,03,Allier,60_plus,60 ans et plus,tout sexe,80,\n\
2024,Ensemble des médecins généralistes,84,ARA,999,ARA,tout_age,Tout âge,tout sexe,6000,75.0\n\
2024,Ensemble des médecins généralistes,84,ARA,15,Cantal,tout_age,Tout âge,tout sexe,n/a,91.8\n\
2024,Ensemble des médecins généralistes,84,ARA,03,Allier,tout_age,Tout âge,tout sexe,255,76.4\n\
2024,Ensemble des médecins généralistes,84,ARA,43,Haute-Loire,tout_age,Tout âge,tout sexe,206\n";
        let r = parse_ameli("t.csv", text.as_bytes(), ALL_GPS).unwrap();
        assert_eq!(r.records.len(), 1);
        assert_eq!((r.records[0].departement.as_str(), r.records[0].count, r.records[0].line), ("03", 254, 2));
        assert_eq!(r.report.rows_read, 7);
        assert_eq!(r.report.rows_skipped(), 3);
        let rejected: Vec<(u64, &str)> = r.report.rejected.iter().map(|x| (x.line, x.reason.kind())).collect();
        assert_eq!(rejected, vec![(6, "malformed_number"), (7, "conflict"), (8, "invalid_value")]);
        let err = parse_ameli("bad.csv", b"a,b\n1,2\n", ALL_GPS).unwrap_err().to_string();
        assert!(err.contains("bad.csv") && err.contains("annee"), "{err}");
    }
}
