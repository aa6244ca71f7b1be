//! FINESS etalab stock reader: fixtures in tests/fixtures/finess/ (see README.md there for
//! which lines are verbatim and which are constructed).

mod common;

use medatlas::ingest::Reader;
use medatlas::Error;
use medatlas::model::{CommuneRegistry, LocationQuality};
use medatlas::ingest::finess::{FinessOptions, FinessSite, FinessReader};
use medatlas::model::report::{ImportReport, RejectReason};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/finess").join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn registry() -> CommuneRegistry {
    common::registry::shared_communes()
        .commune("03082", "Commentry")
        .commune("03321", "Yzeure")
        .commune("01451", "Viriat")
        .commune("01034", "Belley")
        .commune("01025", "Bâgé-Dommartin")
        .commune("97101", "Les Abymes")
        .commune("97302", "Cayenne")
        .commune("97411", "Saint-Denis")
        .commune("97606", "Chirongui")
        .build()
}

fn opts(categories: &[&str]) -> FinessOptions {
    FinessOptions { categories: categories.iter().map(|c| c.to_string()).collect(), remap_merged: false }
}

fn site<'a>(records: &'a [FinessSite], id: &str) -> &'a FinessSite {
    records.iter().find(|r| r.site.id == id).unwrap_or_else(|| panic!("no site {id}"))
}

fn rejection(report: &ImportReport, line: u64) -> &RejectReason {
    &report.rejected.iter().find(|r| r.line == line).unwrap_or_else(|| panic!("no rejection at line {line}")).reason
}

fn assert_at(s: &FinessSite, lon: f64, lat: f64, tol: f64) {
    assert!(!s.needs_town_hall, "{} needs its town hall", s.site.id);
    assert_eq!(s.site.location_quality, LocationQuality::Exact);
    let (x, y) = (s.site.location.x(), s.site.location.y());
    assert!((x - lon).abs() <= tol && (y - lat).abs() <= tol, "{}: ({x}, {y}) vs ({lon}, {lat})", s.site.id);
}

fn assert_town_hall(s: &FinessSite) {
    assert!(s.needs_town_hall, "{} should need its town hall", s.site.id);
    assert_eq!(s.site.location_quality, LocationQuality::TownHall);
    assert_eq!((s.site.location.x(), s.site.location.y()), (0.0, 0.0));
}

#[test]
fn msps_of_the_allier_fixture_are_read_placed_and_accounted_for() {
    let imported = FinessReader::read(&fixture("allier_stock.csv"), &registry(), &FinessOptions::default()).unwrap();
    let (records, report) = (&imported.records, &imported.report);
    let summary = report.summary();

    assert_eq!(report.format, "finess");
    assert_eq!(report.rows_read, 14, "{summary}");
    // 5 verbatim non-MSP lines (355, 223, 355, 101, 462) and the constructed hospital (355).
    assert_eq!(report.rows_skipped(), 6, "{summary}");
    assert_eq!(report.rows_used, 5, "{summary}");
    assert_eq!(records.len(), 5);
    assert_eq!(report.rejected.len(), 3, "{summary}");

    // Montluçon: departement 03 + commune 185, Lambert-93 (2026 form) near the town hall.
    // Reference: pyproj 3.7.2 / PROJ 9.5.1, EPSG:2154 (669465.3, 6582374.7) -> 2.60300005, 46.34059988.
    let m = site(records, "030010017");
    assert_eq!(m.site.commune, "03185");
    assert_eq!(m.site.name, "MAISON DE SANTE PLURIPROFESSIONNELLE DE MONTLUÇON");
    assert_eq!(m.site.kind, medatlas::model::SiteKind::Msp);
    assert_eq!(m.site.source, "allier_stock.csv");
    assert_at(m, 2.60300005, 46.34059988, 1e-6);

    // Commentry: the older geolocalisation form, sourcecoordet split over fields (LAMBERT_93).
    // Reference: pyproj, EPSG:2154 (680114.3, 6576555.7) -> 2.74170032, 46.28859965.
    let c = site(records, "030010058");
    assert_eq!(c.site.commune, "03082");
    assert_at(c, 2.74170032, 46.28859965, 1e-6);

    // Les Abymes (9A + 101 -> 97101), EPSG:5490 UTM 20N, quoted name with "" escapes.
    // Reference: pyproj, EPSG:5490 (657242.9, 1795384.4) -> -61.52873706, 16.23400433.
    let g = site(records, "970110012");
    assert_eq!(g.site.commune, "97101");
    assert_eq!(g.site.name, "MAISON DE SANTE \"LES ABYMES\"");
    assert_at(g, -61.52873706, 16.23400433, 1e-6);

    // Vichy: no geolocalisation line; Moulins: coordinates in EPSG:27572, not converted.
    assert_town_hall(site(records, "030010033"));
    assert_town_hall(site(records, "030010041"));
    assert_eq!(site(records, "030010041").site.commune, "03190");
    assert!(
        report.notes.iter().any(|n| n.starts_with("2 establishments without usable coordinates")
            && n.contains("no geolocalisation line: 1")
            && n.contains("line 20")
            && n.contains("EPSG:27572")),
        "{summary}"
    );

    // Unknown commune 03999, at its structureet line.
    assert_eq!(rejection(report, 9), &RejectReason::UnknownCommune { code: "03999".into() });
    // Yzeure: a Lambert-93 point far outside metropolitan France, at its geolocalisation line.
    match rejection(report, 22) {
        RejectReason::InvalidValue { field, value, expected } => {
            assert_eq!(field, "coordxet;coordyet");
            assert_eq!(value, "100000.0;100000.0");
            assert!(expected.contains("metropolitan France") && expected.contains("030010066"), "{expected}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Châtillon-en-Michaille (01091) merged into Valserhône: rejected without --remap-merged.
    assert_eq!(rejection(report, 14), &RejectReason::MergedCommune { code: "01091".into(), successor: "01033".into() });
    assert!(report.notes.iter().any(|n| n == "encoding: UTF-8"), "{summary}");
    assert!(report.notes.iter().any(|n| n.contains("2026-05-12")), "{summary}");
}

#[test]
fn merged_commune_counts_in_its_successor_when_remapped() {
    let o = FinessOptions { remap_merged: true, ..FinessOptions::default() };
    let imported = FinessReader::parse("allier_stock.csv", &fixture_bytes("allier_stock.csv"), &registry(), &o).unwrap();
    let s = site(&imported.records, "010010019");
    assert_eq!(s.site.commune, "01033");
    assert!(!s.needs_town_hall);
    assert_eq!(imported.report.rejected.len(), 2, "{}", imported.report.summary());
}

#[test]
fn other_categories_can_be_selected_and_overseas_codes_rebuilt() {
    let bytes = fixture_bytes("allier_stock.csv");
    let imported = FinessReader::parse("stock.csv", &bytes, &registry(), &opts(&["355", "101", "462"])).unwrap();
    let r = &imported.records;
    let summary = imported.report.summary();
    // 355: Fleyriat, Cayenne, CH Montluçon; 101: CHU Félix Guyon; 462: lieu de vie (Mayotte).
    assert_eq!(r.len(), 5, "{summary}");
    assert_eq!(imported.report.rows_skipped(), 9, "{summary}");

    // The doc's verbatim geolocalisation line for CH Fleyriat: expected lon 5.20918, lat 46.22229.
    let f = site(r, "010000024");
    assert_eq!((f.site.commune.as_str(), f.site.kind.as_str()), ("01451", "355"));
    assert_eq!(f.site.name, "CENTRE HOSPITALIER DE BOURG-EN-BRESSE FLEYRIAT");
    assert_at(f, 5.20918, 46.22229, 1e-4);

    assert_eq!(site(r, "970300026").site.commune, "97302");
    let reunion = site(r, "970400024");
    assert_eq!((reunion.site.commune.as_str(), reunion.site.kind.as_str()), ("97411", "101"));
    assert_town_hall(reunion);
    let mayotte = site(r, "980501506");
    assert_eq!(mayotte.site.commune, "97606");
    assert_eq!(mayotte.site.name, "LIEU DE VIE ET D'ACCUEIL \"MAVOUNA MEMA 1\"");
    assert_town_hall(site(r, "030000017"));
}

#[test]
fn windows_1252_file_without_geolocation_lines_decodes_and_needs_town_halls() {
    let bytes = fixture_bytes("allier_latin1_nogeo.csv");
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture must not be UTF-8");
    let imported = FinessReader::parse("cs1100502.csv", &bytes, &registry(), &FinessOptions::default()).unwrap();
    let report = &imported.report;
    let summary = report.summary();
    assert!(report.notes.iter().any(|n| n.contains("Windows-1252")), "{summary}");
    assert!(report.notes.iter().any(|n| n.contains("no geolocalisation lines")), "{summary}");
    // Yzeure has no (bad) coordinates here: used. Unknown and merged communes still rejected.
    assert_eq!(imported.records.len(), 6, "{summary}");
    assert!(imported.records.iter().all(|s| s.needs_town_hall));
    assert_eq!(site(&imported.records, "030010017").site.name, "MAISON DE SANTE PLURIPROFESSIONNELLE DE MONTLUÇON");
    assert_eq!(report.rejected.len(), 2, "{summary}");
    assert!(report.notes.iter().any(|n| n.starts_with("6 establishments without usable coordinates")), "{summary}");
}

#[test]
fn layout_b_with_a_header_and_inline_coordinates_is_read() {
    let bytes = fixture_bytes("ain_tfiness_latin1.csv");
    let msp = FinessReader::parse("t-finess.csv", &bytes, &registry(), &FinessOptions::default()).unwrap();
    assert_eq!(msp.report.rows_read, 4);
    assert_eq!(msp.records.len(), 1, "{}", msp.report.summary());
    let m = &msp.records[0];
    assert_eq!((m.site.commune.as_str(), m.site.kind.as_str()), ("03185", "msp"));
    assert_eq!(m.site.name, "MAISON DE SANTE PLURIPROFESSIONNELLE DE MONTLUÇON");
    assert_at(m, 2.60300005, 46.34059988, 1e-6);
    assert!(msp.report.notes.iter().any(|n| n.contains("layout B")));

    let ch = FinessReader::parse("t-finess.csv", &bytes, &registry(), &opts(&["355"])).unwrap();
    assert_eq!(ch.records.len(), 2, "{}", ch.report.summary());
    // Verbatim row of the doc; reference: pyproj, EPSG:2154 (870215.7, 6571590.5) -> 5.20859613, 46.22274479.
    let f = site(&ch.records, "010000024");
    assert_eq!(f.site.commune, "01451");
    assert_at(f, 5.20859613, 46.22274479, 1e-6);
    assert_eq!(site(&ch.records, "010000032").site.commune, "01034");
}

#[test]
fn a_file_without_manifest_is_a_format_error_naming_file_and_line_1() {
    let err = FinessReader::read(&fixture("no_manifest.csv"), &registry(), &FinessOptions::default()).unwrap_err();
    match &err {
        Error::Format { file, line, message, .. } => {
            assert_eq!(file, "no_manifest.csv");
            assert_eq!(*line, 1);
            assert!(message.contains("no FINESS manifest line: expected 'finess;etalab;"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains("no_manifest.csv") && shown.contains("line 1"), "{shown}");

    for bad in [&b""[..], b"\n", b"finess;other;1;2026-01-01\n", b"\nfiness;etalab;111;2026-05-12\n"] {
        let err = FinessReader::parse("bad.csv", bad, &registry(), &FinessOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Format { line: 1, .. }), "{err}");
    }
}

#[test]
fn a_file_cut_in_the_middle_of_a_line_rejects_that_line() {
    let imported = FinessReader::read(&fixture("truncated.csv"), &registry(), &FinessOptions::default()).unwrap();
    let report = &imported.report;
    let summary = report.summary();
    assert_eq!(report.rows_read, 3, "{summary}");
    // The complete MSP line before the cut is used (no geolocalisation: town hall).
    assert_eq!(imported.records.len(), 1, "{summary}");
    assert_town_hall(&imported.records[0]);
    match rejection(report, 4) {
        RejectReason::InvalidValue { field, value, expected } => {
            assert_eq!(field, "structureet");
            assert_eq!(value, "16 fields");
            assert!(expected.contains("\"telephone\""), "{expected}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(summary.contains("truncated.csv") && summary.contains("line 4"), "{summary}");
    assert!(report.notes.iter().any(|n| n.contains("does not end with a line break: line 4")), "{summary}");
}

#[test]
fn every_prefix_of_a_file_parses_or_fails_cleanly() {
    // Cuts anywhere, including inside a quoted field and inside a UTF-8 sequence.
    let bytes = fixture_bytes("allier_stock.csv");
    let mayotte = bytes.windows(6).position(|w| w == b"MAVOUN").unwrap();
    let cut = FinessReader::parse("cut.csv", &bytes[..mayotte], &registry(), &FinessOptions::default()).unwrap();
    assert!(matches!(rejection(&cut.report, 6), RejectReason::InvalidValue { .. }), "{}", cut.report.summary());
    for n in 0..=bytes.len() {
        match FinessReader::parse("cut.csv", &bytes[..n], &registry(), &FinessOptions::default()) {
            // At most the 5 MSPs, plus Yzeure when its bad geolocalisation line is cut off.
            Ok(imported) => assert!(imported.records.len() <= 6),
            Err(Error::Format { line: 1, file, .. }) => assert_eq!(file, "cut.csv"),
            Err(e) => panic!("prefix {n}: {e}"),
        }
    }
}

#[test]
fn a_structureet_line_with_10_fields_is_rejected_with_its_line() {
    let imported = FinessReader::read(&fixture("short_line.csv"), &registry(), &FinessOptions::default()).unwrap();
    let report = &imported.report;
    let summary = report.summary();
    match rejection(report, 2) {
        RejectReason::InvalidValue { field, value, expected } => {
            assert_eq!(field, "structureet");
            assert_eq!(value, "10 fields");
            assert!(expected.contains("32 fields") && expected.contains("\"compvoie\""), "{expected}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(summary.contains("short_line.csv") && summary.contains("line 2"), "{summary}");
    // The next, well-formed MSP line is still read and geolocated.
    assert_eq!(imported.records.len(), 1, "{summary}");
    assert_at(&imported.records[0], 2.60300005, 46.34059988, 1e-6);
}

#[test]
fn line_numbers_count_blank_lines_and_multi_line_quoted_fields() {
    let text = "finess;etalab;111;2026-05-12\n\n\r\nstructureet;\"A\nB\";x\n\nstructureet;030010082;x;MSP;;;;12;R;DE LA GARE\n";
    let imported = FinessReader::parse("blank.csv", text.as_bytes(), &registry(), &FinessOptions::default()).unwrap();
    let lines: Vec<u64> = imported.report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 7], "{}", imported.report.summary());
}

#[test]
fn records_carry_their_structureet_line() {
    let imported = FinessReader::read(&fixture("allier_stock.csv"), &registry(), &FinessOptions::default()).unwrap();
    assert_eq!(site(&imported.records, "030010017").line, 8);
    assert_eq!(site(&imported.records, "970110012").line, 15);
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = FinessReader::read(&fixture("absent.csv"), &registry(), &FinessOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("absent.csv"), "{err}");
}
