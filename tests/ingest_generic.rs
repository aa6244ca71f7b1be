//! Generic per-commune CSV, SanteScope table and GeoJSON readers: fixtures in the exact
//! formats, bad input, and a parse-level check of the real SanteScope file when available.

mod common;

use medatlas::ingest::Reader;
use geo::Winding;
use medatlas::model::CommuneRegistry;
use medatlas::model::LocationQuality;
use medatlas::ingest::CommuneValues;
use medatlas::ingest::generic_csv::{GenericCsvOptions, GenericCsvReader};
use medatlas::ingest::geojson_sites::{GeoJsonSitesOptions, parse_geojson_polygons, GeoJsonSitesReader, read_geojson_polygons};
use medatlas::model::report::{ImportReport, RejectReason};
use medatlas::ingest::santescope::{SantescopeOptions, SantescopeReader};
use std::path::{Path, PathBuf};

fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir).join(name)
}

fn registry() -> CommuneRegistry {
    common::registry::shared_communes()
        .commune("01001", "L'Abergement-Clémenciat")
        .commune("15014", "Aurillac")
        .commune("43157", "Le Puy-en-Velay")
        .commune("63003", "Ambert")
        .commune("63300", "Riom")
        .commune("69123", "Lyon")
        .commune("75056", "Paris")
        .commune("97701", "Saint-Barthélemy")
        .build()
}

fn rejections(report: &ImportReport) -> Vec<(u64, RejectReason)> {
    report.rejected.iter().map(|r| (r.line, r.reason.clone())).collect()
}

fn kinds(report: &ImportReport) -> Vec<(u64, &'static str)> {
    report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect()
}

fn values(
    commune: &str,
    source: &str,
    line: u64,
    gp: Option<u32>,
    near: Option<u32>,
    extra: &[(&str, f64)],
) -> CommuneValues {
    CommuneValues {
        commune: commune.into(),
        source_code: source.into(),
        line,
        gp,
        gp_near_retirement: near,
        zoning: None,
        msp_present: None,
        extra: extra.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        gp_by_mode: None,
    }
}

fn invalid(field: &str, value: &str, expected: &str) -> RejectReason {
    RejectReason::InvalidValue { field: field.into(), value: value.into(), expected: expected.into() }
}

// ---------------------------------------------------------------------------------------------
// Generic CSV

#[test]
fn generic_csv_keeps_counts_and_numeric_columns() {
    let out =
        GenericCsvReader::read(&fixture("generic", "indicators.csv"), &registry(), &GenericCsvOptions::default()).unwrap();
    let e = |apl: f64, p65: Option<f64>, pop: f64| {
        let mut v = vec![("apl", apl), ("population", pop)];
        v.extend(p65.map(|p| ("part_65_plus", p)));
        v
    };
    assert_eq!(
        out.records,
        vec![
            values("03185", "03185", 2, Some(55), Some(21), &e(3.2, Some(28.4), 33_147.0)),
            values("03190", "03190", 3, Some(102), Some(40), &e(4.1, Some(30.1), 19_206.0)),
            values("63113", "63113", 4, Some(379), Some(120), &e(4.5, Some(19.8), 146_351.0)),
            values("13055", "13201", 5, Some(12), Some(3), &e(3.9, None, 40_000.0)),
            values("13055", "13202", 6, Some(8), None, &e(3.0, Some(15.0), 25_000.0)),
            values("2A004", "2A004", 7, Some(162), Some(50), &e(4.0, Some(22.5), 76_320.0)),
        ]
    );
    let r = &out.report;
    assert_eq!((r.format.as_str(), r.rows_read, r.rows_used, r.rows_skipped()), ("generic_csv", 16, 6, 0));
    assert_eq!(
        rejections(r),
        vec![
            (8, RejectReason::Conflict { key: "03185".into(), detail: "code already given on line 2".into() }),
            (9, RejectReason::MalformedNumber { field: "gp_count".into(), value: "douze".into() }),
            (10, invalid("gp_count", "12,5", "a whole number")),
            (11, invalid("gp_count", "-1", "a count (≥ 0)")),
            (12, invalid("gp_near_retirement", "14", "at most the GP count (13)")),
            (13, RejectReason::MergedCommune { code: "01091".into(), successor: "01033".into() }),
            (14, RejectReason::UnknownCommune { code: "99999".into() }),
            (15, RejectReason::MalformedNumber { field: "gp_near_retirement".into(), value: "x".into() }),
            (16, RejectReason::MissingField { field: "gp_near_retirement".into() }),
            (17, RejectReason::MissingField { field: "code_commune".into() }),
        ]
    );
    assert!(
        r.notes
            .contains(&r#"numeric columns kept as extra indicators: "apl", "part_65_plus", "population""#.to_string()),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes.contains(
            &r#"columns ignored as not numeric: "nom" (line 2: "Montluçon"), "dept" (line 7: "2A")"#.to_string()
        ),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes.contains(&"2 rows of municipal arrondissements counted in their city".to_string()),
        "{:?}",
        r.notes
    );

    let opts = GenericCsvOptions { remap_merged: true, delimiter: None };
    let out = GenericCsvReader::read(&fixture("generic", "indicators.csv"), &registry(), &opts).unwrap();
    assert_eq!(out.records.len(), 7);
    let former = out.records.iter().find(|r| r.source_code == "01091").unwrap();
    assert_eq!((former.commune.as_str(), former.line, former.gp), ("01033", 13, Some(2)));
    assert!(out.report.notes.iter().any(|n| n.starts_with("1 rows of former communes counted in their successor")));
}

#[test]
fn generic_csv_comma_files_aliases_and_forced_delimiter() {
    let reg = registry();
    // With `,` as delimiter a quoted "12,5" is not a number: the column is text.
    let csv = "INSEE,nb_generalistes,score,Label\n03185,55.0,\"12,5\",a\n63113,\"1 379\",3,b\n";
    let out = GenericCsvReader::parse("c.csv", csv.as_bytes(), &reg, &GenericCsvOptions::default()).unwrap();
    assert_eq!(
        out.records,
        vec![values("03185", "03185", 2, Some(55), None, &[]), values("63113", "63113", 3, Some(1379), None, &[])]
    );
    assert!(out.report.notes.iter().any(|n| n.contains(r#""score" (line 2: "12,5")"#)), "{:?}", out.report.notes);

    let csv = "codgeo|medecins_generalistes|taux\n2a004|7|0,5\n";
    let opts = GenericCsvOptions { remap_merged: false, delimiter: Some(b'|') };
    let out = GenericCsvReader::parse("p.csv", csv.as_bytes(), &reg, &opts).unwrap();
    assert_eq!(out.records, vec![values("2A004", "2A004", 2, Some(7), None, &[("taux", 0.5)])]);

    // No count column at all: records carry extras only.
    let csv = "com;indice\n03185;1,5\n";
    let out = GenericCsvReader::parse("i.csv", csv.as_bytes(), &reg, &GenericCsvOptions::default()).unwrap();
    assert_eq!(out.records, vec![values("03185", "03185", 2, None, None, &[("indice", 1.5)])]);
}

#[test]
fn generic_csv_bad_files_are_clear_errors() {
    let reg = registry();
    let opts = GenericCsvOptions::default();
    let err = GenericCsvReader::parse("empty.csv", b"", &reg, &opts).unwrap_err().to_string();
    assert_eq!(err, r#"empty.csv, line 1, field "": empty file: no header line"#);
    let err = GenericCsvReader::parse("nocode.csv", b"nom;gp\nVichy;3\n", &reg, &opts).unwrap_err().to_string();
    assert!(err.starts_with(r#"nocode.csv, line 1, field "code_commune": no code_commune column"#), "{err}");
    assert!(err.contains("found: nom | gp"), "{err}");
    let out = GenericCsvReader::parse("header.csv", b"code;gp\n", &reg, &opts).unwrap();
    assert_eq!((out.records.len(), out.report.rows_read), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// SanteScope

#[test]
fn santescope_real_lines() {
    let out = SantescopeReader::read(
        &fixture("santescope", "communes_medecins_msp_sample.csv"),
        &registry(),
        &SantescopeOptions::default(),
    )
    .unwrap();
    type Row<'a> = (&'a str, &'a str, u64, Option<u32>, Option<f64>, Option<bool>);
    let got: Vec<Row> = out
        .records
        .iter()
        .map(|r| {
            (
                r.commune.as_str(),
                r.source_code.as_str(),
                r.line,
                r.gp,
                r.extra.get("nb_medecins_total").copied(),
                r.msp_present,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("01001", "01001", 2, Some(0), Some(0.0), Some(false)),
            ("01033", "01033", 3, Some(9), Some(23.0), Some(false)),
            ("03185", "03185", 4, Some(55), Some(167.0), Some(false)),
            ("03190", "03190", 5, Some(102), Some(259.0), Some(true)),
            ("13055", "13055", 6, Some(1249), Some(3215.0), Some(false)),
            ("15014", "15014", 7, Some(104), Some(255.0), Some(true)),
            ("2A004", "2A004", 8, Some(162), Some(460.0), Some(true)),
            ("63113", "63113", 9, Some(379), Some(1627.0), Some(true)),
            ("69123", "69123", 10, Some(803), Some(2292.0), Some(false)),
            ("75056", "75056", 11, Some(3047), Some(9781.0), Some(false)),
            ("97701", "97701", 13, Some(10), Some(29.0), Some(false)),
        ]
    );
    assert!(out.records.iter().all(|r| r.extra.len() == 1 && r.zoning.is_none() && r.gp_near_retirement.is_none()));
    let r = &out.report;
    assert_eq!((r.format.as_str(), r.rows_read, r.rows_used), ("santescope", 12, 11));
    assert_eq!(rejections(r), vec![(12, RejectReason::UnknownCommune { code: "97401".into() })]);
    assert!(
        r.notes.contains(&"upstream data_quality of the rows used: complete 7, minimal 4".to_string()),
        "{:?}",
        r.notes
    );
}

#[test]
fn santescope_arrondissements_and_bad_rows() {
    let out = SantescopeReader::read(
        &fixture("santescope", "synthetic_arrondissements.csv"),
        &registry(),
        &SantescopeOptions::default(),
    )
    .unwrap();
    let got: Vec<(&str, &str, Option<u32>, Option<bool>)> =
        out.records.iter().map(|r| (r.commune.as_str(), r.source_code.as_str(), r.gp, r.msp_present)).collect();
    assert_eq!(got, vec![("13055", "13201", Some(60), Some(true)), ("13055", "13202", Some(20), Some(false))]);
    assert_eq!(
        rejections(&out.report),
        vec![
            (4, invalid("msp_presente", "oui", "1 or 0")),
            (5, invalid("nb_generalistes", "300", "at most nb_medecins_total (259)")),
            (6, RejectReason::Conflict { key: "13201".into(), detail: "code already given on line 2".into() }),
            (7, RejectReason::MalformedNumber { field: "nb_generalistes".into(), value: "trois cents".into() }),
            (8, RejectReason::MissingField { field: "msp_presente".into() }),
        ]
    );
    assert!(out.report.notes.contains(&"2 rows of municipal arrondissements counted in their city".to_string()));

    let err = SantescopeReader::parse(
        "s.csv",
        b"code_commune;nb_generalistes;nb_medecins_total\n03185;1;2\n",
        &registry(),
        &SantescopeOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with(r#"s.csv, line 1, field "msp_presente""#), "{err}");
}

fn shared_data(rel: &str) -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    [PathBuf::from("/work/shared/data"), manifest.join("../shared/data")]
        .into_iter()
        .map(|d| d.join(rel))
        .find(|p| p.is_file())
}

/// The whole real file, against a registry made of its own codes and names (the national
/// registry is not available here): checks the parse and the totals given in PROVENANCE.md.
#[test]
fn real_santescope_file_totals() {
    let Some(path) = shared_data("santescope_communes_2026/communes_medecins_msp.csv") else {
        eprintln!(
            "skipped: santescope_communes_2026/communes_medecins_msp.csv not found under /work/shared/data or ../shared/data"
        );
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let mut builder = CommuneRegistry::builder();
    for line in text.lines().skip(1) {
        let mut fields = line.split(';');
        let (Some(code), Some(name)) = (fields.next(), fields.next()) else { panic!("bad line {line:?}") };
        builder = builder.commune(code, name);
    }
    let out =
        SantescopeReader::parse("communes_medecins_msp.csv", &bytes, &builder.build(), &SantescopeOptions::default()).unwrap();
    let r = &out.report;
    assert_eq!((r.rows_read, r.rows_used), (34_969, 34_969), "{}", r.summary());
    assert!(r.rejected.is_empty());
    let gp: u64 = out.records.iter().filter_map(|r| r.gp).map(u64::from).sum();
    let total: f64 = out.records.iter().map(|r| r.extra["nb_medecins_total"]).sum();
    let msp = out.records.iter().filter(|r| r.msp_present == Some(true)).count();
    assert_eq!((gp, total, msp), (101_672, 274_126.0, 2_358));
    let clermont = out.records.iter().find(|r| r.commune == "63113").unwrap();
    assert_eq!((clermont.gp, clermont.msp_present), (Some(379), Some(true)));
    assert!(
        r.notes
            .contains(&"upstream data_quality of the rows used: complete 31186, minimal 144, partial 3639".to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// GeoJSON

#[test]
fn geojson_sites_one_outcome_per_feature() {
    let path = fixture("generic", "sites.geojson");
    let out = GeoJsonSitesReader::read(&path, &registry(), &GeoJsonSitesOptions::default()).unwrap();
    type Row<'a> = (&'a str, &'a str, &'a str, (f64, f64), LocationQuality, &'a str);
    let got: Vec<Row> = out
        .records
        .iter()
        .map(|s| {
            (s.id.as_str(), s.name.as_str(), s.commune.as_str(), s.location.x_y(), s.location_quality, s.kind.as_str())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("msp-1", "MSP de Montluçon", "03185", (2.6071, 46.3411), LocationQuality::Exact, "msp"),
            ("2", "Centre de santé d'Ambert", "", (3.743, 45.5604), LocationQuality::TownHall, "centre_sante"),
            ("f-11", "", "13055", (5.3841, 43.2999), LocationQuality::Exact, "msp"),
            ("msp-12", "MSP Clermont", "63113", (3.1098, 45.7818), LocationQuality::Exact, "msp"),
        ]
    );
    assert!(out.records.iter().all(|s| s.source == path.display().to_string()));
    let r = &out.report;
    assert_eq!((r.format.as_str(), r.rows_read, r.rows_used), ("geojson_sites", 12, 4));
    assert_eq!(
        kinds(r),
        vec![
            (3, "invalid_geometry"),
            (4, "invalid_geometry"),
            (5, "invalid_geometry"),
            (6, "invalid_geometry"),
            (7, "unknown_commune"),
            (8, "invalid_value"),
            (9, "conflict"),
            (10, "missing_field"),
        ]
    );
    let detail = |i: usize| match &r.rejected[i].reason {
        RejectReason::InvalidGeometry { detail } => detail.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(detail(0), "expected a Point, found a LineString");
    assert_eq!(detail(1), "(3, 95) is not a WGS84 lon/lat position");
    assert!(detail(2).starts_with("not a valid GeoJSON feature"), "{}", detail(2));
    assert_eq!(detail(3), "no geometry");
    assert_eq!(r.rejected[5].reason, invalid("location_quality", "approx", "\"exact\" or \"town_hall\""));
    assert_eq!(r.rejected[7].reason, RejectReason::MissingField { field: "id".into() });
    assert!(r.notes.contains(&"1 sites without a commune code: to be located by their point".to_string()));
    assert!(r.notes.contains(&"1 sites without a name".to_string()));
}

#[test]
fn geojson_polygons_reject_invalid_rings() {
    let out = read_geojson_polygons(&fixture("generic", "polygons.geojson")).unwrap();
    let codes: Vec<&str> = out.records.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, vec!["03185", "63113"]);
    // The clockwise square comes out counter-clockwise; the hole is kept.
    assert!(out.records[0].1.0[0].exterior().is_ccw());
    assert_eq!(out.records[1].1.0[0].interiors().len(), 1);
    let r = &out.report;
    assert_eq!((r.rows_read, r.rows_used), (9, 2));
    let got: Vec<(u64, String)> = r
        .rejected
        .iter()
        .map(|x| {
            let text = match &x.reason {
                RejectReason::InvalidGeometry { detail } => detail.clone(),
                other => other.kind().to_string(),
            };
            (x.line, text)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "polygon at index 0 is invalid: exterior ring has a self-intersection".to_string()),
            (3, "polygon 1, exterior ring: not closed: first position (0, 0) differs from last (0, 1)".to_string()),
            (4, "polygon 1, exterior ring: 3 positions, at least 4 needed (3 distinct + closing)".to_string()),
            (5, "polygons at indices 0 and 1 overlap".to_string()),
            (6, "expected a Polygon or MultiPolygon, found a Point".to_string()),
            (7, "missing_field".to_string()),
            (8, "conflict".to_string()),
        ]
    );
}

#[test]
fn geojson_bad_files_are_errors_naming_the_file() {
    let reg = registry();
    let opts = GeoJsonSitesOptions::default();
    let err = GeoJsonSitesReader::read(&fixture("generic", "truncated.geojson"), &reg, &opts).unwrap_err().to_string();
    assert!(err.contains("truncated.geojson, line 6") && err.contains("not valid JSON"), "{err}");
    let err = GeoJsonSitesReader::parse("empty.geojson", b"  \n", &reg, &opts).unwrap_err().to_string();
    assert!(err.starts_with("empty.geojson") && err.contains("empty file"), "{err}");
    let feature = br#"{"type": "Feature", "geometry": {"type": "Point", "coordinates": [3, 45]}, "properties": {}}"#;
    let err = GeoJsonSitesReader::parse("one.geojson", feature, &reg, &opts).unwrap_err().to_string();
    assert!(err.contains(r#"expected a GeoJSON FeatureCollection, found type "Feature""#), "{err}");
    let err =
        parse_geojson_polygons("nofeatures.geojson", br#"{"type": "FeatureCollection"}"#).unwrap_err().to_string();
    assert!(err.contains("\"features\" array"), "{err}");
    let err = parse_geojson_polygons("list.geojson", b"[1, 2]").unwrap_err().to_string();
    assert!(err.contains("list.geojson"), "{err}");
    let empty = parse_geojson_polygons("e.geojson", br#"{"type": "FeatureCollection", "features": []}"#).unwrap();
    assert_eq!((empty.records.len(), empty.report.rows_read), (0, 0));
}
