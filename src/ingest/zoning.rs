//! ARS zoning of general practice (ZIP / ZAC / hors zonage / regional classes) per commune.
//!
//! # Keys
//!
//! The header decides how rows name their commune (names compared as in
//! [`generic_csv`](super::generic_csv): case, accents and punctuation ignored):
//!
//! - by INSEE code, when a column is named `code_commune`, `insee`, `code`, `codgeo`, `com`
//!   (or `code_insee`, `insee_com`, `depcom`, `codecommune`); this wins when both keyings are
//!   possible;
//! - else by postal code + name, as in the national `zonmed.csv`
//!   (`Code_postal,Nom_commune,Zonage`): postal code column `code_postal` / `cp` /
//!   `postal_code`, name column `nom_commune` / `nom` / `commune` / `libelle` / `name`.
//!   Postal codes stored as integers (`3100`) are padded back to 5 digits; the name is matched
//!   by [`CommuneRegistry::commune_for_postal`], which also knows former communes' names.
//!
//! The class column is `zonage` / `zoning` / `zonage_mg` / `classe`. The delimiter (`,` `;`
//! tab) is sniffed from the header line.
//!
//! # Classes
//!
//! Labels go through [`Zoning::parse`]: `1_ZIP`, `2_ZAC`, `3_HZ`, and any other class (`4_ZAR`)
//! is kept as [`Zoning::Other`] (never mapped to ZIP/ZAC here). `N/A - résultat non disponible`
//! is *skipped* ("no zoning result"), not rejected; an empty class is rejected
//! ([`RejectReason::MissingField`]).
//!
//! # One record per commune
//!
//! Rows are resolved to a current commune first, then merged:
//!
//! - exact duplicate rows (same key, same class: `zonmed.csv` has 3 555) are merged and counted
//!   in a note;
//! - other rows reaching a commune already given **with the same class** (a commune listed
//!   under several postal codes, a commune nouvelle listed once per former commune, the
//!   arrondissements of a city) are merged and counted in a note;
//! - rows reaching a commune already given **with a different class** are rejected with
//!   [`RejectReason::Conflict`] naming both classes, and **the first row's class is kept**.
//!   No attempt is made to pick the "most favourable" class: a conflict is a question for the
//!   source, not a policy choice for the reader. Note that in `zonmed.csv` the arrondissements
//!   of Paris, Lyon and Marseille have different classes: with a registry that knows the
//!   arrondissements, the city gets the class of its first arrondissement row and the other
//!   differing rows are reported as conflicts.
//!
//! Merged rows count as used. Rows matched through the name of a former commune (a commune
//! nouvelle's postal code with an old name) count as used and are counted in a note.
//!
//! `source_code` of a record is the code of its first row (padded) when keyed by code, and
//! the resolved commune code when keyed by postal code + name (the source has no code).

use super::Reader;
use super::CommuneValues;
use super::generic_csv::{CODE_COLUMNS, Placement, ResolveCounters, Table, resolve_code};
use crate::model::report::{ImportReport, Imported, RejectReason};
use crate::model::CommuneRegistry;
use crate::model::Zoning;
use crate::model::registry::{normalize_insee_code, normalize_postal_code};
use crate::error::Result;
use std::collections::{HashMap, HashSet};

/// Options of [`ZoningReader`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoningOptions {
    /// Count rows keyed by the INSEE code of a former commune in its successor instead of
    /// rejecting them. (Former communes' *names* under a postal code always resolve: the
    /// postal table says where they are now.)
    pub remap_merged: bool,
}

const POSTAL_COLUMNS: &[&str] = &["code_postal", "codepostal", "cp", "postal_code"];
const NAME_COLUMNS: &[&str] = &["nom_commune", "nom", "commune", "libelle", "libelle_commune", "name"];
const ZONING_COLUMNS: &[&str] = &["zonage", "zoning", "zonage_mg", "classe"];

/// How a zoning row names its commune, as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ZoningKey {
    Code(String),
    Postal { postal_code: String, name: String },
}

/// One row of a zoning file before it is placed: the registry-free part of the import.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoningRow {
    pub line: u64,
    pub key: ZoningKey,
    /// The class as written (`2_ZAC`, `N/A - résultat non disponible`).
    pub label: String,
    /// [`Zoning::parse`] of the label: `None` for a "no result" label.
    pub zoning: Option<Zoning>,
}

/// The zoning format behind the [`Reader`] trait.
pub struct ZoningReader;

impl Reader for ZoningReader {
    type Record = CommuneValues;
    type Options = ZoningOptions;
    const KIND: &'static str = "zoning";

    /// Parses the bytes of a zoning file and places its rows; `name` names the source.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &ZoningOptions) -> Result<Imported<CommuneValues>> {
        let Imported { records: rows, mut report } = parse_zoning_rows(name, bytes)?;
        report.rows_used = 0;
        let mut records: Vec<CommuneValues> = Vec::new();
        let mut by_commune: HashMap<String, usize> = HashMap::new();
        let mut seen_rows: HashSet<(ZoningKey, String)> = HashSet::new();
        let mut counters = ResolveCounters::default();
        let mut exact_duplicates = 0u64;
        let mut same_class_merges: Vec<(u64, String)> = Vec::new();
        let mut via_former: Vec<(u64, String, String)> = Vec::new();

        for row in rows {
            let Some(zoning) = row.zoning else {
                report.skip("no zoning result");
                continue;
            };
            let (commune, placement, former_name) = match &row.key {
                ZoningKey::Code(code) => match resolve_code(registry, code, opts.remap_merged) {
                    Ok((c, placement)) => (c, placement, false),
                    Err(reason) => {
                        report.reject(row.line, reason);
                        continue;
                    }
                },
                ZoningKey::Postal { postal_code, name } => match registry.commune_for_postal(postal_code, name) {
                    Ok(m) => (m.code, Placement::Commune, m.via_former_name),
                    Err(reason) => {
                        report.reject(row.line, reason);
                        continue;
                    }
                },
            };
            let norm_key = match &row.key {
                ZoningKey::Code(c) => ZoningKey::Code(normalize_insee_code(c).unwrap_or_else(|| c.clone())),
                ZoningKey::Postal { postal_code, name } => ZoningKey::Postal {
                    postal_code: normalize_postal_code(postal_code).unwrap_or_else(|| postal_code.clone()),
                    name: name.clone(),
                },
            };
            let exact_duplicate = !seen_rows.insert((norm_key.clone(), row.label.clone()));

            if let Some(&i) = by_commune.get(&commune) {
                let first = &records[i];
                let kept = first.zoning.as_ref().map(Zoning::as_str).unwrap_or_default();
                if first.zoning.as_ref() != Some(&zoning) {
                    report.reject(
                        row.line,
                        RejectReason::Conflict {
                            key: commune.clone(),
                            detail: format!(
                                "{} gives class {} but line {} gave {} (kept)",
                                describe(&row.key),
                                zoning.as_str(),
                                first.line,
                                kept
                            ),
                        },
                    );
                    continue;
                }
                if exact_duplicate {
                    exact_duplicates += 1;
                } else {
                    same_class_merges.push((row.line, commune.clone()));
                }
            } else {
                by_commune.insert(commune.clone(), records.len());
                let source_code = match norm_key {
                    ZoningKey::Code(c) => c,
                    ZoningKey::Postal { .. } => commune.clone(),
                };
                records.push(CommuneValues {
                    commune: commune.clone(),
                    source_code,
                    line: row.line,
                    zoning: Some(zoning),
                    ..Default::default()
                });
            }
            if former_name {
                via_former.push((row.line, describe(&row.key), commune));
            }
            counters.add(placement);
            report.rows_used += 1;
        }

        if exact_duplicates > 0 {
            report.note(format!("{exact_duplicates} exact duplicate rows merged"));
        }
        if let Some((line, commune)) = same_class_merges.first() {
            report.note(format!(
                "{} rows merged into a commune already given with the same class (several postal codes, \
                 a commune nouvelle listed per former commune, arrondissements; e.g. line {line} → {commune})",
                same_class_merges.len()
            ));
        }
        if let Some((line, key, commune)) = via_former.first() {
            report.note(format!(
                "{} rows matched through the name of a former commune (e.g. line {line}: {key} → {commune})",
                via_former.len()
            ));
        }
        counters.notes(&mut report);
        report.rejected.sort_by_key(|r| r.line);
        Ok(Imported { records, report })
    }
}

/// Parses the rows of a zoning file without placing them (no registry needed): `records` are
/// the rows with a key and a class (including "no result" rows, with `zoning: None`); the
/// report rejects rows with a missing field and counts them all as read; `rows_used` is the
/// number of rows returned.
pub fn parse_zoning_rows(name: &str, bytes: &[u8]) -> Result<Imported<ZoningRow>> {
    let mut report = ImportReport::new(name, "zoning");
    let table = Table::parse(name, bytes, None, &mut report)?;
    let class_col = table.require_column(ZONING_COLUMNS, "zonage")?;
    enum Keying {
        Code(usize),
        Postal(usize, usize),
    }
    let keying = match (table.column(CODE_COLUMNS), table.column(POSTAL_COLUMNS), table.column(NAME_COLUMNS)) {
        (Some(code), _, _) => Keying::Code(code),
        (None, Some(postal), Some(name)) => Keying::Postal(postal, name),
        (None, Some(_), None) => return Err(table.missing_column(NAME_COLUMNS, "nom_commune")),
        (None, None, _) => {
            let aliases: Vec<&str> = CODE_COLUMNS.iter().chain(POSTAL_COLUMNS).copied().collect();
            return Err(table.missing_column(&aliases, "code_commune (or code_postal + nom_commune)"));
        }
    };
    let mut records = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        report.rows_read += 1;
        if let Err(reason) = table.check_width(row) {
            report.reject(row.line, reason);
            continue;
        }
        let needed: Vec<usize> = match keying {
            Keying::Code(c) => vec![c, class_col],
            Keying::Postal(p, n) => vec![p, n, class_col],
        };
        if let Some(&col) = needed.iter().find(|&&c| row.fields[c].is_empty()) {
            report.reject(row.line, RejectReason::MissingField { field: table.headers[col].clone() });
            continue;
        }
        let key = match keying {
            Keying::Code(c) => ZoningKey::Code(row.fields[c].clone()),
            Keying::Postal(p, n) => {
                ZoningKey::Postal { postal_code: row.fields[p].clone(), name: row.fields[n].clone() }
            }
        };
        let label = row.fields[class_col].clone();
        report.rows_used += 1;
        records.push(ZoningRow { line: row.line, key, zoning: Zoning::parse(&label), label });
    }
    Ok(Imported { records, report })
}

fn describe(key: &ZoningKey) -> String {
    match key {
        ZoningKey::Code(c) => format!("code {c}"),
        ZoningKey::Postal { postal_code, name } => format!("{postal_code} {name:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> CommuneRegistry {
        CommuneRegistry::builder()
            .commune("03185", "Montluçon")
            .commune("03310", "Vichy")
            .postal("03100", "03185")
            .postal("03200", "03310")
            .build()
    }

    #[test]
    fn keying_by_code_with_semicolons() {
        let csv = "CODGEO;Zonage\n03185;ZIP\n3310;Hors zonage\n";
        let out = ZoningReader::parse("z.csv", csv.as_bytes(), &registry(), &ZoningOptions::default()).unwrap();
        let got: Vec<(&str, &str, Option<Zoning>)> =
            out.records.iter().map(|r| (r.commune.as_str(), r.source_code.as_str(), r.zoning.clone())).collect();
        assert_eq!(got, vec![("03185", "03185", Some(Zoning::Zip)), ("03310", "03310", Some(Zoning::Hz))]);
        assert_eq!(out.records[1].line, 3);
    }

    #[test]
    fn conflict_keeps_the_first_class() {
        let csv = "code_postal,nom_commune,zonage\n3100,Montluçon,1_ZIP\n3100,MONTLUCON,2_ZAC\n";
        let out = ZoningReader::parse("z.csv", csv.as_bytes(), &registry(), &ZoningOptions::default()).unwrap();
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.records[0].zoning, Some(Zoning::Zip));
        assert_eq!(out.report.rejected.len(), 1);
        assert_eq!(out.report.rejected[0].line, 3);
        let RejectReason::Conflict { key, detail } = &out.report.rejected[0].reason else { panic!() };
        assert_eq!(key, "03185");
        assert!(detail.contains("ZAC") && detail.contains("ZIP") && detail.contains("line 2"), "{detail}");
    }

    #[test]
    fn a_file_without_key_columns_is_an_error_naming_the_file() {
        let err = parse_zoning_rows("z.csv", b"nom,zonage\nVichy,ZIP\n").unwrap_err().to_string();
        assert!(err.contains("z.csv") && err.contains("code_commune"), "{err}");
        let err = parse_zoning_rows("z.csv", b"code_commune,classement\n03185,ZIP\n").unwrap_err().to_string();
        assert!(err.contains("zonage"), "{err}");
    }
}
