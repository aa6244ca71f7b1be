//! DREES APL reader: the xlsx fixtures of scripts/fixtures/make_drees_apl_fixtures.py (their
//! values are repeated here from that script), each bad case's error or rejection, and the real
//! Auvergne workbook of ../shared/data/drees_apl_auvergne_2022_2023 on the default atlas.

use medatlas::ingest::Reader;
use medatlas::atlas::Atlas;
use medatlas::model::CommuneRegistry;
use medatlas::error::Error;
use medatlas::ingest::drees_apl::{DreesAplOptions, OfficialApl, drees_apl_years, DreesAplReader};
use medatlas::model::report::{ImportReport, RejectReason};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drees_apl").join(name)
}

/// The embedded default atlas (03, 15, 43, 63), loaded once for the whole file.
fn default_atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| Atlas::load_default().unwrap())
}

fn default_registry() -> &'static CommuneRegistry {
    default_atlas().registry()
}

/// A registry that knows the fixtures' Paris and Lyon arrondissements.
fn cities_registry() -> CommuneRegistry {
    CommuneRegistry::builder()
        .commune("03185", "Montluçon")
        .commune("03310", "Vichy")
        .commune("75056", "Paris")
        .arrondissement("75101", "Paris 1er Arrondissement", "75056")
        .arrondissement("75102", "Paris 2e Arrondissement", "75056")
        .commune("69123", "Lyon")
        .arrondissement("69381", "Lyon 1er Arrondissement", "69123")
        .build()
}

fn find<'a>(records: &'a [OfficialApl], commune: &str) -> &'a OfficialApl {
    records.iter().find(|r| r.commune == commune).unwrap_or_else(|| panic!("no record for {commune}"))
}

fn rejections(report: &ImportReport) -> Vec<(u64, RejectReason)> {
    report.rejected.iter().map(|r| (r.line, r.reason.clone())).collect()
}

fn assert_every_row_accounted(report: &ImportReport) {
    assert_eq!(report.rows_read, report.rows_used + report.rows_skipped() + report.rejected.len() as u64, "{}", report.summary());
}

#[test]
fn good_fixture_reads_the_latest_vintage_by_default() {
    let opts = DreesAplOptions::default();
    let out = DreesAplReader::read(&fixture("good.xlsx"), default_registry(), &opts).unwrap();
    assert_eq!(out.report.format, "drees_apl");
    assert_eq!(out.report.rows_read, 10);
    assert_eq!(out.report.rows_used, 6);
    assert_every_row_accounted(&out.report);
    let codes: Vec<&str> = out.records.iter().map(|r| r.commune.as_str()).collect();
    assert_eq!(codes, vec!["03185", "03310", "15014", "63109", "63113", "43157"]);
    assert!(out.records.iter().all(|r| r.year == 2023));
    // Values as the generator wrote them (GOOD_2023).
    assert_eq!(
        find(&out.records, "03185"),
        &OfficialApl {
            commune: "03185".into(),
            source_code: "03185".into(),
            line: 11,
            year: 2023,
            apl: Some(3.25),
            apl_under65: Some(2.747),
            population_standardised: 35535.149,
            population_total: 33342.0,
        }
    );
    let clermont = find(&out.records, "63113");
    assert_eq!((clermont.line, clermont.apl, clermont.population_total), (15, Some(4.286), 147327.0));
    // An empty APL cell is read as no value, the row still used.
    let puy = find(&out.records, "43157");
    assert_eq!((puy.line, puy.apl, puy.apl_under65, puy.population_standardised), (17, None, None, 19191.097));
    // Without remap_merged the merged commune is rejected and its successor keeps its own row.
    assert_eq!(find(&out.records, "63109").apl, Some(2.0));
    assert_eq!(
        rejections(&out.report),
        vec![
            (16, RejectReason::MergedCommune { code: "63330".into(), successor: "63109".into() }),
            (18, RejectReason::UnknownCommune { code: "75101".into() }),
            (19, RejectReason::UnknownCommune { code: "75102".into() }),
            (20, RejectReason::UnknownCommune { code: "69381".into() }),
        ]
    );
    assert!(out.report.notes.iter().any(|n| n.contains("\"APL 2023\"") && n.contains("2022, 2023")), "{:?}", out.report.notes);
}

#[test]
fn good_fixture_lists_its_vintages_and_reads_the_one_asked() {
    let bytes = std::fs::read(fixture("good.xlsx")).unwrap();
    assert_eq!(drees_apl_years("good.xlsx", &bytes).unwrap(), vec![2022, 2023]);
    let opts = DreesAplOptions { year: Some(2022), remap_merged: false };
    let out = DreesAplReader::parse("good.xlsx", &bytes, default_registry(), &opts).unwrap();
    assert_eq!(out.report.rows_read, 2);
    assert_eq!(out.records.len(), 2);
    let m = find(&out.records, "03185");
    assert_eq!((m.year, m.apl, m.apl_under65, m.population_standardised, m.population_total), (2022, Some(3.44), Some(2.896), 36107.645, 33822.0));
    assert_eq!(find(&out.records, "03310").apl, Some(4.25));
}

#[test]
fn remapped_former_commune_is_folded_into_its_successor() {
    let opts = DreesAplOptions { year: None, remap_merged: true };
    let out = DreesAplReader::read(&fixture("good.xlsx"), default_registry(), &opts).unwrap();
    assert_eq!(out.report.rows_used, 7);
    let deux_rives = find(&out.records, "63109");
    // Chidrac 2.0 / 1.5 with 400 standardised inhabitants (380), Saint-Cirgues 3.0 / 2.5 with 600 (620).
    let apl = (2.0 * 400.0 + 3.0 * 600.0) / 1000.0;
    let apl65 = (1.5 * 400.0 + 2.5 * 600.0) / 1000.0;
    assert!((deux_rives.apl.unwrap() - apl).abs() < 1e-12, "{deux_rives:?}");
    assert!((deux_rives.apl_under65.unwrap() - apl65).abs() < 1e-12, "{deux_rives:?}");
    assert_eq!((deux_rives.population_standardised, deux_rives.population_total), (1000.0, 1000.0));
    assert_eq!((deux_rives.line, deux_rives.source_code.as_str()), (14, "63109"));
    assert!(out.report.notes.iter().any(|n| n.contains("former communes counted in their successor")), "{:?}", out.report.notes);
}

#[test]
fn arrondissements_are_folded_by_standardised_population() {
    let out = DreesAplReader::read(&fixture("good.xlsx"), &cities_registry(), &DreesAplOptions::default()).unwrap();
    let paris = find(&out.records, "75056");
    // Paris 1er: 3.1 / 2.9, 16000.5 standardised (15917); 2e: 2.2 / 2.0, 20000 (21000).
    let w = 16000.5 + 20000.0;
    assert!((paris.apl.unwrap() - (3.1 * 16000.5 + 2.2 * 20000.0) / w).abs() < 1e-12, "{paris:?}");
    assert!((paris.apl_under65.unwrap() - (2.9 * 16000.5 + 2.0 * 20000.0) / w).abs() < 1e-12, "{paris:?}");
    assert_eq!((paris.population_standardised, paris.population_total), (w, 15917.0 + 21000.0));
    assert_eq!((paris.source_code.as_str(), paris.line), ("75101", 18));
    // Lyon has one arrondissement in the fixture: its values as they are.
    let lyon = find(&out.records, "69123");
    assert_eq!((lyon.apl, lyon.apl_under65, lyon.population_total), (Some(4.0), Some(3.5), 29000.0));
    assert!(out.report.notes.iter().any(|n| n.contains("3 rows of municipal arrondissements")), "{:?}", out.report.notes);
    // The 03/15/43/63 communes other than Montluçon and Vichy are unknown to this registry.
    assert_eq!(out.report.rows_used, 5);
    assert_eq!(out.report.rejected.len(), 5);
    assert_every_row_accounted(&out.report);
}

#[test]
fn a_city_given_whole_and_by_arrondissement_is_a_conflict() {
    // 75056 is not in the fixture: give the registry Paris's 1st arrondissement as a commune of
    // its own and the 2nd as its arrondissement, so the whole-city row comes first.
    let registry = CommuneRegistry::builder()
        .commune("75101", "Paris 1er")
        .arrondissement("75102", "Paris 2e Arrondissement", "75101")
        .build();
    let out = DreesAplReader::read(&fixture("good.xlsx"), &registry, &DreesAplOptions::default()).unwrap();
    let first = find(&out.records, "75101");
    assert_eq!((first.apl, first.population_total), (Some(3.1), 15917.0));
    let conflict = out.report.rejected.iter().find(|r| r.line == 19).expect("line 19 rejected");
    let RejectReason::Conflict { key, detail } = &conflict.reason else { panic!("{conflict:?}") };
    assert_eq!(key, "75101");
    assert!(detail.contains("line 18"), "{detail}");
}

#[test]
fn bad_rows_are_rejected_with_their_sheet_row_and_reason() {
    let out = DreesAplReader::read(&fixture("bad_rows.xlsx"), default_registry(), &DreesAplOptions::default()).unwrap();
    // Row 19 is empty: not data, only noted.
    assert_eq!(out.report.rows_read, 9);
    assert_eq!(out.report.rows_used, 2);
    assert!(out.report.notes.iter().any(|n| n.starts_with("1 empty rows")), "{:?}", out.report.notes);
    let codes: Vec<(&str, u64)> = out.records.iter().map(|r| (r.commune.as_str(), r.line)).collect();
    assert_eq!(codes, vec![("03185", 11), ("03310", 20)]);
    // The duplicate (line 15, 9.0) did not replace the first values.
    assert_eq!(out.records[0].apl, Some(3.25));
    let got = rejections(&out.report);
    let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
    assert_eq!(lines, vec![12, 13, 14, 15, 16, 17, 18]);
    assert_eq!(
        got[0].1,
        RejectReason::MalformedNumber { field: "APL aux médecins généralistes".into(), value: "3,44".into() }
    );
    assert_eq!(
        got[1].1,
        RejectReason::MalformedNumber {
            field: "Population standardisée 2021 pour la médecine générale".into(),
            value: "n.d.".into()
        }
    );
    assert_eq!(got[2].1, RejectReason::MissingField { field: "Code commune INSEE".into() });
    let RejectReason::Conflict { key, detail } = &got[3].1 else { panic!("{:?}", got[3]) };
    assert_eq!(key, "03185");
    assert!(detail.contains("line 11"), "{detail}");
    assert_eq!(got[4].1, RejectReason::UnknownCommune { code: "99999".into() });
    assert!(
        matches!(&got[5].1, RejectReason::InvalidValue { field, value, .. } if field == "Population totale 2021" && value == "-1"),
        "{:?}",
        got[5]
    );
    assert_eq!(got[6].1, RejectReason::MissingField { field: "Population standardisée 2021 pour la médecine générale".into() });
    assert_every_row_accounted(&out.report);
}

#[test]
fn a_folded_city_missing_a_rejected_part_is_noted() {
    // Pretend three codes of bad_rows.xlsx are arrondissements of one city: 03185 (line 11) and
    // 03310 (line 20, after a rejected line 12) are read, 15014 (line 13, "n.d.") never is.
    let registry = CommuneRegistry::builder()
        .commune("75056", "Paris")
        .arrondissement("03185", "A", "75056")
        .arrondissement("03310", "B", "75056")
        .arrondissement("15014", "C", "75056")
        .build();
    let out = DreesAplReader::read(&fixture("bad_rows.xlsx"), &registry, &DreesAplOptions::default()).unwrap();
    let paris = find(&out.records, "75056");
    // 3.25 with 35535.149 standardised inhabitants, 4.5 with 27000.25.
    let w = 35535.149 + 27000.25;
    assert!((paris.apl.unwrap() - (3.25 * 35535.149 + 4.5 * 27000.25) / w).abs() < 1e-12, "{paris:?}");
    assert_eq!(paris.population_total, 33342.0 + 25000.0);
    let notes: Vec<&String> = out.report.notes.iter().filter(|n| n.contains("fold only the rows")).collect();
    assert_eq!(notes.len(), 1, "{:?}", out.report.notes);
    assert!(notes[0].starts_with("values of 75056 "), "{}", notes[0]);
}

#[test]
fn a_workbook_without_apl_sheet_is_an_error_naming_its_sheets() {
    let err = DreesAplReader::read(&fixture("no_apl_sheet.xlsx"), default_registry(), &DreesAplOptions::default()).unwrap_err();
    let Error::Invalid { file, message } = &err else { panic!("{err:?}") };
    assert!(file.ends_with("no_apl_sheet.xlsx"), "{file}");
    assert!(message.contains("APL YYYY") && message.contains("Feuil1") && message.contains("Paramètres"), "{message}");
}

#[test]
fn a_missing_vintage_is_an_error() {
    let opts = DreesAplOptions { year: Some(2021), remap_merged: false };
    let err = DreesAplReader::read(&fixture("good.xlsx"), default_registry(), &opts).unwrap_err();
    let Error::Invalid { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("no sheet \"APL 2021\"") && message.contains("APL 2023"), "{message}");
}

#[test]
fn a_wrong_header_names_file_sheet_row_and_column() {
    let err = DreesAplReader::read(&fixture("wrong_header.xlsx"), default_registry(), &DreesAplOptions::default()).unwrap_err();
    let Error::Format { file, line, field, message } = &err else { panic!("{err:?}") };
    assert!(file.ends_with("wrong_header.xlsx"), "{file}");
    assert_eq!((*line, field.as_str()), (9, "Population totale 2021"));
    assert!(message.contains("\"APL 2023\"") && message.contains("row 9") && message.contains("column F"), "{message}");
    assert!(message.contains("Population totale 2022"), "{message}");
}

#[test]
fn truncated_or_foreign_files_are_errors_not_panics() {
    let truncated = DreesAplReader::read(&fixture("truncated.xlsx"), default_registry(), &DreesAplOptions::default()).unwrap_err();
    let Error::Invalid { file, message } = &truncated else { panic!("{truncated:?}") };
    assert!(file.ends_with("truncated.xlsx") && message.contains("not a readable xlsx"), "{truncated}");
    for (name, bytes) in [("apl.csv", &b"Code commune INSEE;APL\n03185;3.25\n"[..]), ("empty.xlsx", &b""[..])] {
        let err = DreesAplReader::parse(name, bytes, default_registry(), &DreesAplOptions::default()).unwrap_err();
        assert!(matches!(&err, Error::Invalid { file, .. } if file == name), "{err:?}");
        assert!(drees_apl_years(name, bytes).is_err());
    }
    // Every prefix of a good file fails cleanly (or, for the whole file, reads).
    let good = std::fs::read(fixture("good.xlsx")).unwrap();
    for cut in (0..good.len()).step_by(97) {
        let _ = DreesAplReader::parse("cut.xlsx", &good[..cut], default_registry(), &DreesAplOptions::default());
    }
    let missing = DreesAplReader::read(&fixture("nope.xlsx"), default_registry(), &DreesAplOptions::default()).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing:?}");
}

/// The real DREES workbook, reduced to Auvergne; CI has ../shared beside the checkout.
fn real_workbook() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/drees_apl_auvergne_2022_2023/apl_generalistes_auvergne.xlsx");
    if path.is_file() {
        return Some(path);
    }
    let msg = format!("real DREES workbook not found at {}", path.display());
    assert!(std::env::var("CI").is_err(), "{msg}");
    eprintln!("SKIPPED: {msg}");
    None
}

#[test]
fn real_auvergne_workbook_covers_every_commune_of_the_default_atlas() {
    let Some(path) = real_workbook() else { return };
    let atlas = default_atlas();
    let atlas_codes: BTreeSet<&str> = atlas.communes().iter().map(|c| c.code.as_str()).collect();
    assert_eq!(atlas_codes.len(), 1283);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(drees_apl_years("auvergne", &bytes).unwrap(), vec![2022, 2023]);

    let latest = DreesAplReader::parse("auvergne", &bytes, atlas.registry(), &DreesAplOptions::default()).unwrap();
    for (year, out) in [
        (2023, latest),
        (2022, DreesAplReader::parse("auvergne", &bytes, atlas.registry(), &DreesAplOptions { year: Some(2022), remap_merged: false }).unwrap()),
    ] {
        let r = &out.report;
        assert_eq!((r.rows_read, r.rows_used), (1284, 1283), "{year}: {}", r.summary());
        // The odd row: Saint-Cirgues-sur-Couze, merged into Deux-Rives (63109) after 2023.
        assert_eq!(
            rejections(r),
            vec![(1152, RejectReason::MergedCommune { code: "63330".into(), successor: "63109".into() })],
            "{year}"
        );
        assert_every_row_accounted(r);
        // (The 2023 sheet ends with ten formatted but empty rows, 1295–1304: not counted.)
        assert!(out.records.iter().all(|o| o.year == year));
        let got: BTreeSet<&str> = out.records.iter().map(|o| o.commune.as_str()).collect();
        assert_eq!(got, atlas_codes, "{year}: one record per commune of the atlas");
        assert!(out.records.iter().all(|o| o.apl.is_some() && o.apl_under65.is_some()), "{year}");
        // Montluçon, row 193 of both sheets, as openpyxl 3.1.5 reads the xlsx.
        let m = find(&out.records, "03185");
        let want = if year == 2023 { (3.25, 2.747, 35535.149, 33342.0) } else { (3.44, 2.896, 36107.645, 33822.0) };
        assert_eq!(m.line, 193);
        assert_eq!((m.apl, m.apl_under65, m.population_standardised, m.population_total), (Some(want.0), Some(want.1), want.2, want.3), "{year}");
    }

    // With remap_merged, Saint-Cirgues-sur-Couze joins Chidrac in Deux-Rives (2023 rows 936 and
    // 1152 as openpyxl reads them: 3.648 / 3.578 / 505.496 / 512 and 2.077 / 2.042 / 342.087 / 345).
    let out = DreesAplReader::parse("auvergne", &bytes, atlas.registry(), &DreesAplOptions { year: None, remap_merged: true }).unwrap();
    assert_eq!((out.report.rows_used, out.records.len()), (1284, 1283));
    assert!(out.report.rejected.is_empty());
    let d = find(&out.records, "63109");
    let w = 505.496 + 342.087;
    assert!((d.apl.unwrap() - (3.648 * 505.496 + 2.077 * 342.087) / w).abs() < 1e-12, "{d:?}");
    assert!((d.apl_under65.unwrap() - (3.578 * 505.496 + 2.042 * 342.087) / w).abs() < 1e-12, "{d:?}");
    assert_eq!(d.population_total, 512.0 + 345.0);
}
