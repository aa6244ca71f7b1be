//! Zoning reader: real `zonmed.csv` lines, a synthetic code-keyed file, bad input, and a
//! parse-level check of the whole real file when it is available.

mod common;

use medatlas::ingest::Reader;
use medatlas::model::CommuneRegistry;
use medatlas::model::Zoning;
use medatlas::ingest::CommuneValues;
use medatlas::model::report::RejectReason;
use medatlas::ingest::zoning::{ZoningKey, ZoningOptions, ZoningReader, parse_zoning_rows};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zoning").join(name)
}

/// The communes of the fixtures, with the postal codes La Poste gives them.
fn registry() -> CommuneRegistry {
    common::registry::shared_communes()
        .commune("01001", "L'Abergement-Clémenciat")
        .commune("01015", "Arboys en Bugey")
        .commune("01044", "Billiat")
        .commune("02003", "Acy")
        .commune("02530", "Moulins")
        .commune("03013", "Avermes")
        .commune("03140", "Lavault-Sainte-Anne")
        .commune("97401", "Les Avirons")
        .former("01033", "Bellegarde-sur-Valserine", "01033")
        .postal("01400", "01001")
        .postal("01300", "01015")
        .postal("01200", "01033")
        .postal("01200", "01044")
        .postal("02200", "02003")
        .postal("02160", "02530")
        .postal("03000", "03013")
        .postal("03000", "03190")
        .postal("03100", "03140")
        .postal("03100", "03185")
        .postal("03200", "03310")
        .postal("13001", "13201")
        .postal("13002", "13202")
        .postal("20000", "2A004")
        .postal("20090", "2A004")
        .postal("63000", "63113")
        .postal("63100", "63113")
        .postal("63300", "63430")
        .postal("97425", "97401")
        .build()
}

fn summary(records: &[CommuneValues]) -> Vec<(&str, &str, u64, &str)> {
    records
        .iter()
        .map(|r| {
            (r.commune.as_str(), r.source_code.as_str(), r.line, r.zoning.as_ref().map(Zoning::as_str).unwrap_or("-"))
        })
        .collect()
}

#[test]
fn real_zonmed_lines_resolve_one_record_per_commune() {
    let out = ZoningReader::read(&fixture("zonmed_sample.csv"), &registry(), &ZoningOptions::default()).unwrap();
    assert_eq!(
        summary(&out.records),
        vec![
            ("01001", "01001", 2, "ZAC"),
            ("01015", "01015", 3, "ZAC"),
            ("01033", "01033", 5, "ZIP"),
            ("01044", "01044", 10, "ZIP"),
            ("02003", "02003", 11, "ZAR"),
            ("02530", "02530", 12, "ZAR"),
            ("03013", "03013", 13, "ZAC"),
            ("03140", "03140", 14, "ZAC"),
            ("03185", "03185", 15, "ZAC"),
            ("03190", "03190", 16, "ZAC"),
            ("03310", "03310", 17, "ZAC"),
            ("13055", "13055", 18, "HZ"),
            ("2A004", "2A004", 20, "HZ"),
            ("63113", "63113", 23, "HZ"),
            ("63430", "63430", 25, "ZIP"),
        ]
    );
    // Regional classes stay what they are.
    assert_eq!(out.records[4].zoning, Some(Zoning::Other("ZAR".into())));
    assert!(out.records.iter().all(|r| r.gp.is_none() && r.msp_present.is_none() && r.extra.is_empty()));

    let report = &out.report;
    assert_eq!(report.format, "zoning");
    assert_eq!(report.rows_read, 27);
    assert_eq!(report.skipped, BTreeMap::from([("no zoning result".to_string(), 2)]));
    // 15 records + 5 exact duplicates (Arboys ×1, Valserhône ×4) + 2 same-commune rows.
    assert_eq!(report.rows_used, 22);
    let rejected: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
    assert_eq!(rejected, vec![(19, "conflict"), (22, "unknown_postal_code"), (26, "name_not_in_postal_code")]);
    let RejectReason::Conflict { key, detail } = &report.rejected[0].reason else { unreachable!() };
    assert_eq!(key, "13055");
    assert!(detail.contains("ZAC") && detail.contains("HZ") && detail.contains("line 18"), "{detail}");
    assert_eq!(report.rejected[1].reason, RejectReason::UnknownPostalCode { postal_code: "35680".into() });
    let RejectReason::NameNotInPostalCode { postal_code, name, .. } = &report.rejected[2].reason else {
        unreachable!()
    };
    assert_eq!((postal_code.as_str(), name.as_str()), ("01200", "Éloise"));

    assert!(report.notes.iter().any(|n| n.starts_with("5 exact duplicate rows merged")), "{:?}", report.notes);
    assert!(
        report.notes.iter().any(|n| n.starts_with("2 rows merged into a commune already given")),
        "{:?}",
        report.notes
    );
    assert!(!report.notes.iter().any(|n| n.contains("name of a former commune")), "{:?}", report.notes);
    assert!(report.summary().contains("rejected"));
}

#[test]
fn a_former_communes_name_counts_in_the_commune_nouvelle() {
    let csv = "Code_postal,Nom_commune,Zonage\r\n1200,Châtillon-en-Michaille,1_ZIP\r\n1200,Valserhône,1_ZIP\r\n1200,Valserhône,1_ZIP\r\n";
    let out = ZoningReader::parse("inline.csv", csv.as_bytes(), &registry(), &ZoningOptions::default()).unwrap();
    assert_eq!(summary(&out.records), vec![("01033", "01033", 2, "ZIP")]);
    assert_eq!(out.report.rows_used, 3);
    assert!(out.report.rejected.is_empty());
    let notes = out.report.notes.join("\n");
    assert!(notes.contains("1 rows matched through the name of a former commune (e.g. line 2"), "{notes}");
    assert!(notes.contains("1 exact duplicate rows merged"), "{notes}");
    assert!(notes.contains("1 rows merged into a commune already given"), "{notes}");
}

#[test]
fn rows_keyed_by_insee_code() {
    let reg = registry();
    let out = ZoningReader::read(&fixture("by_code.csv"), &reg, &ZoningOptions::default()).unwrap();
    assert_eq!(
        summary(&out.records),
        vec![
            ("01033", "01033", 2, "ZIP"),
            ("13055", "13201", 4, "HZ"),
            ("2A004", "2A004", 9, "ZIP"),
            ("03185", "03185", 11, "ZAR")
        ]
    );
    let r = &out.report;
    assert_eq!((r.rows_read, r.rows_used, r.rows_skipped()), (10, 4, 1));
    assert_eq!(
        r.rejected.iter().map(|r| (r.line, r.reason.clone())).collect::<Vec<_>>(),
        vec![
            (3, RejectReason::MergedCommune { code: "01091".into(), successor: "01033".into() }),
            (
                5,
                RejectReason::Conflict {
                    key: "13055".into(),
                    detail: "code 13202 gives class ZAC but line 4 gave HZ (kept)".into()
                }
            ),
            (6, RejectReason::MissingField { field: "zonage".into() }),
            (7, RejectReason::UnknownCommune { code: "99999".into() }),
            (10, RejectReason::MissingField { field: "zonage".into() }),
        ]
    );
    assert!(r.notes.iter().any(|n| n == "1 rows of municipal arrondissements counted in their city"), "{:?}", r.notes);

    // With remap_merged the former commune's row joins its successor, with the same class.
    let out = ZoningReader::read(&fixture("by_code.csv"), &reg, &ZoningOptions { remap_merged: true }).unwrap();
    assert_eq!(out.records.len(), 4);
    assert_eq!((out.report.rows_used, out.report.rejected.len()), (5, 4));
    assert!(out.report.notes.iter().any(|n| n.starts_with("1 rows merged into a commune already given")));
    assert!(out.report.notes.iter().any(|n| n.starts_with("1 rows of former communes counted in their successor")));
}

#[test]
fn bad_files_are_errors_naming_the_file_never_panics() {
    let reg = registry();
    let opts = ZoningOptions::default();
    let err = ZoningReader::parse("empty.csv", b"", &reg, &opts).unwrap_err().to_string();
    assert!(err.contains("empty.csv") && err.contains("empty file"), "{err}");
    let err = ZoningReader::parse("blank.csv", b"\xEF\xBB\xBF\r\n\r\n", &reg, &opts).unwrap_err().to_string();
    assert!(err.contains("empty file"), "{err}");

    let err = ZoningReader::parse("nokey.csv", b"Commune;Zonage\nVichy;ZIP\n", &reg, &opts).unwrap_err().to_string();
    assert!(
        err.contains("nokey.csv, line 1") && err.contains("code_commune") && err.contains("Commune | Zonage"),
        "{err}"
    );
    let err = ZoningReader::parse("noname.csv", b"cp,zonage\n3100,ZIP\n", &reg, &opts).unwrap_err().to_string();
    assert!(err.contains("nom_commune"), "{err}");
    let err = ZoningReader::parse("noclass.csv", b"code_commune,nom\n03185,x\n", &reg, &opts).unwrap_err().to_string();
    assert!(err.contains("noclass.csv") && err.contains("zonage"), "{err}");

    // Header only: nothing read, nothing used, no error.
    let out = ZoningReader::parse("header.csv", b"Code_postal,Nom_commune,Zonage\n", &reg, &opts).unwrap();
    assert_eq!((out.records.len(), out.report.rows_read), (0, 0));

    // Latin-1, tab-separated, too many fields, an unterminated quote: per-row outcomes.
    let latin1 = b"Code postal\tNom commune\tZonage\n3100\tMontlu\xe7on\t2_ZAC\n3200\tVichy\t2_ZAC\textra\n3100\t\"Lavault\t2_ZAC\n";
    let out = ZoningReader::parse("latin1.tsv", latin1, &reg, &opts).unwrap();
    assert_eq!(summary(&out.records), vec![("03185", "03185", 2, "ZAC")]);
    assert!(out.report.notes.iter().any(|n| n.contains("Windows-1252")));
    assert_eq!(
        out.report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect::<Vec<_>>(),
        vec![(3, "invalid_value"), (4, "missing_field")]
    );
}

#[test]
fn row_level_parse_needs_no_registry() {
    let rows = parse_zoning_rows("s.csv", &std::fs::read(fixture("zonmed_sample.csv")).unwrap()).unwrap();
    assert_eq!(rows.records.len(), 27);
    assert_eq!(
        rows.records[0].key,
        ZoningKey::Postal { postal_code: "1400".into(), name: "L'Abergement-Clémenciat".into() }
    );
    assert_eq!(rows.records[0].line, 2);
    assert_eq!(rows.records[26].zoning, None);
    assert_eq!(rows.records[26].label, "N/A - résultat non disponible");
}

fn shared_data(rel: &str) -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    [PathBuf::from("/work/shared/data"), manifest.join("../shared/data")]
        .into_iter()
        .map(|d| d.join(rel))
        .find(|p| p.is_file())
}

/// The whole national file. Without the national registry rows cannot be placed, so this
/// checks parse-level facts against PROVENANCE.md, then runs the full reader with a registry
/// made from the file's own (postal code, name) pairs — one made-up commune per pair — which
/// checks duplicate merging and the N/A skip at scale, not the geography.
#[test]
fn real_zonmed_file_parse_level_facts() {
    let Some(path) = shared_data("zonage_mg_communes/zonmed.csv") else {
        eprintln!("skipped: zonage_mg_communes/zonmed.csv not found under /work/shared/data or ../shared/data");
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let rows = parse_zoning_rows("zonmed.csv", &bytes).unwrap();
    assert_eq!(rows.report.rows_read, 38_907);
    assert!(rows.report.rejected.is_empty());
    let mut classes: HashMap<&str, u64> = HashMap::new();
    for r in &rows.records {
        *classes.entry(r.zoning.as_ref().map(Zoning::as_str).unwrap_or("N/A")).or_default() += 1;
    }
    assert_eq!(classes, HashMap::from([("ZAC", 18_574), ("ZIP", 15_156), ("HZ", 3_473), ("ZAR", 1_617), ("N/A", 87)]));
    let distinct: HashSet<(&ZoningKey, &str)> = rows.records.iter().map(|r| (&r.key, r.label.as_str())).collect();
    assert_eq!(distinct.len(), 35_352, "distinct (postal code, name, zonage) triples");

    let mut builder = CommuneRegistry::builder();
    let mut codes: HashMap<(String, String), String> = HashMap::new();
    for r in rows.records.iter().filter(|r| r.zoning.is_some()) {
        let ZoningKey::Postal { postal_code, name } = &r.key else { panic!("zonmed.csv is keyed by postal code") };
        let postal = format!("{postal_code:0>5}");
        if codes.contains_key(&(postal.clone(), name.clone())) {
            continue;
        }
        let code = format!("{:05}", codes.len() + 1);
        builder = builder.commune(&code, name).postal(&postal, &code);
        codes.insert((postal, name.clone()), code);
    }
    assert_eq!(codes.len(), 35_313, "distinct (postal code, name) pairs with a zoning result");
    let out = ZoningReader::parse("zonmed.csv", &bytes, &builder.build(), &ZoningOptions::default()).unwrap();
    assert_eq!(out.records.len(), 35_313);
    assert!(out.report.rejected.is_empty(), "{}", out.report.summary());
    assert_eq!(out.report.rows_skipped(), 87);
    assert_eq!(out.report.rows_used, 38_907 - 87);
    assert!(
        out.report.notes.iter().any(|n| n.starts_with("3507 exact duplicate rows merged")),
        "{:?}",
        out.report.notes
    );
}
