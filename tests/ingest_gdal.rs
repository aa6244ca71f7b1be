//! Reading commune geometries through GDAL/OGR (`--features gdal`).
//!
//! Fixtures are written at test time with the gdal crate into a temporary folder: a
//! GeoPackage in Lambert-93 (EPSG:2154) shaped like IGN ADMIN EXPRESS, a Shapefile like
//! ADMIN EXPRESS `COMMUNE.shp`, and small layers for edge cases. Expected lon/lat come from
//! an independent implementation of the Lambert conformal conic inverse (EPSG method 9802)
//! below, not from GDAL/PROJ.
#![cfg(feature = "gdal")]

use gdal::spatial_ref::SpatialRef;
use gdal::vector::{Feature, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};
use gdal::{Dataset, DriverManager};
use geo::{Coord, LineString, MultiPolygon};
use medatlas::ingest::gdal::{CommuneGeometry, OgrOptions, read_ogr_communes};
use medatlas::model::report::{Imported, RejectReason};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Independent Lambert-93 inverse (GRS80 ellipsoid, RGF93 = WGS84 for this purpose).

fn lambert93_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let a = 6_378_137.0_f64;
    let f: f64 = 1.0 / 298.257_222_101;
    let e = (2.0 * f - f * f).sqrt();
    let (lat0, lat1, lat2, lon0) =
        (46.5_f64.to_radians(), 44.0_f64.to_radians(), 49.0_f64.to_radians(), 3.0_f64.to_radians());
    let (x0, y0) = (700_000.0, 6_600_000.0);
    let m = |phi: f64| phi.cos() / (1.0 - (e * phi.sin()).powi(2)).sqrt();
    let t = |phi: f64| {
        (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - e * phi.sin()) / (1.0 + e * phi.sin())).powf(e / 2.0)
    };
    let n = (m(lat1).ln() - m(lat2).ln()) / (t(lat1).ln() - t(lat2).ln());
    let big_f = m(lat1) / (n * t(lat1).powf(n));
    let r0 = a * big_f * t(lat0).powf(n);
    let (dx, dy) = (x - x0, r0 - (y - y0));
    let r = (dx * dx + dy * dy).sqrt();
    let tp = (r / (a * big_f)).powf(1.0 / n);
    let theta = dx.atan2(dy);
    let lon = theta / n + lon0;
    let mut lat = std::f64::consts::FRAC_PI_2 - 2.0 * tp.atan();
    for _ in 0..20 {
        lat = std::f64::consts::FRAC_PI_2
            - 2.0 * (tp * ((1.0 - e * lat.sin()) / (1.0 + e * lat.sin())).powf(e / 2.0)).atan();
    }
    (lon.to_degrees(), lat.to_degrees())
}

#[test]
fn independent_lambert93_inverse_is_right_at_the_origin() {
    // The projection origin is defined as lon 3°E, lat 46.5°N: checks the helper itself.
    let (lon, lat) = lambert93_to_lonlat(700_000.0, 6_600_000.0);
    assert!((lon - 3.0).abs() < 1e-12 && (lat - 46.5).abs() < 1e-12, "{lon} {lat}");
    // Montluçon is around 2.6°E 46.34°N.
    let (lon, lat) = lambert93_to_lonlat(661_000.0, 6_576_000.0);
    assert!((2.4..2.8).contains(&lon) && (46.2..46.5).contains(&lat), "{lon} {lat}");
}

// ---------------------------------------------------------------------------------------------
// Fixture writing

#[derive(Clone, Copy)]
enum V<'a> {
    S(&'a str),
    I(i32),
    Null,
}

struct Feat<'a> {
    values: Vec<V<'a>>,
    wkt: Option<&'a str>,
}

fn feat<'a>(values: &[V<'a>], wkt: Option<&'a str>) -> Feat<'a> {
    Feat { values: values.to_vec(), wkt }
}

struct LayerSpec<'a> {
    name: &'a str,
    epsg: Option<u32>,
    ty: OGRwkbGeometryType::Type,
    fields: &'a [(&'a str, OGRFieldType::Type)],
    features: Vec<Feat<'a>>,
}

fn write_dataset(path: &Path, driver: &str, layers: &[LayerSpec]) {
    let driver = DriverManager::get_driver_by_name(driver).unwrap();
    let mut ds: Dataset = driver.create_vector_only(path).unwrap();
    for spec in layers {
        let srs = spec.epsg.map(|code| SpatialRef::from_epsg(code).unwrap());
        let layer =
            ds.create_layer(LayerOptions { name: spec.name, srs: srs.as_ref(), ty: spec.ty, options: None }).unwrap();
        layer.create_defn_fields(spec.fields).unwrap();
        for f in &spec.features {
            let mut feature = Feature::new(layer.defn()).unwrap();
            for (idx, v) in f.values.iter().enumerate() {
                match *v {
                    V::S(s) => feature.set_field_string(idx, s).unwrap(),
                    V::I(i) => feature.set_field_integer(idx, i).unwrap(),
                    V::Null => {}
                }
            }
            if let Some(wkt) = f.wkt {
                feature.set_geometry(Geometry::from_wkt(wkt).unwrap()).unwrap();
            }
            feature.create(&layer).unwrap();
        }
    }
}

const ADMIN_EXPRESS_FIELDS_LOWER: &[(&str, OGRFieldType::Type)] = &[
    ("insee_com", OGRFieldType::OFTString),
    ("nom", OGRFieldType::OFTString),
    ("population", OGRFieldType::OFTInteger),
];
const ADMIN_EXPRESS_FIELDS_UPPER: &[(&str, OGRFieldType::Type)] = &[
    ("INSEE_COM", OGRFieldType::OFTString),
    ("NOM", OGRFieldType::OFTString),
    ("POPULATION", OGRFieldType::OFTInteger),
];

/// Montluçon: exterior wound clockwise and hole counter-clockwise (both the "wrong" way).
const MONTLUCON: &str = "POLYGON((660000 6575000,660000 6577000,662000 6577000,662000 6575000,660000 6575000),\
                         (660500 6575500,661000 6575500,661000 6576000,660500 6576000,660500 6575500))";
/// Commentry: two parts, counter-clockwise.
const COMMENTRY: &str = "MULTIPOLYGON(((663000 6578000,665000 6578000,665000 6580000,663000 6580000,663000 6578000)),\
                         ((664000 6575000,664500 6575000,664500 6575500,664000 6575500,664000 6575000)))";
const DESERTINES: &str = "POLYGON((662000 6577000,664000 6577000,664000 6579000,662000 6579000,662000 6577000))";
const BOW_TIE: &str = "POLYGON((660000 6578000,661000 6579000,661000 6578000,660000 6579000,660000 6578000))";
const SQUARE: &str = "POLYGON((660000 6579000,660500 6579000,660500 6579500,660000 6579500,660000 6579000))";

/// The ADMIN EXPRESS-like GeoPackage: 3 communes, a bow-tie, an empty code.
fn montlucon_gpkg(dir: &Path) -> PathBuf {
    let path = dir.join("admin-express.gpkg");
    write_dataset(
        &path,
        "GPKG",
        &[LayerSpec {
            name: "commune",
            epsg: Some(2154),
            ty: OGRwkbGeometryType::wkbUnknown,
            fields: ADMIN_EXPRESS_FIELDS_LOWER,
            features: vec![
                feat(&[V::S("03185"), V::S("Montluçon"), V::I(34_000)], Some(MONTLUCON)),
                feat(&[V::S("3082"), V::S("Commentry"), V::I(6_500)], Some(COMMENTRY)),
                feat(&[V::S("03098"), V::S("Désertines"), V::Null], Some(DESERTINES)),
                feat(&[V::S("03999"), V::S("Nœud papillon"), V::I(1)], Some(BOW_TIE)),
                feat(&[V::S(""), V::S("Sans code"), V::I(1)], Some(SQUARE)),
            ],
        }],
    );
    path
}

fn read(path: &Path) -> Imported<CommuneGeometry> {
    read_ogr_communes(path, &OgrOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads a GeoPackage holding one commune polygon (ADMIN EXPRESS's lower-case fields) in `epsg`.
fn read_one_commune<'a>(epsg: u32, values: &[V<'a>], wkt: &'a str) -> Imported<CommuneGeometry> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.gpkg");
    let layer = LayerSpec {
        name: "commune",
        epsg: Some(epsg),
        ty: OGRwkbGeometryType::wkbPolygon,
        fields: ADMIN_EXPRESS_FIELDS_LOWER,
        features: vec![feat(values, Some(wkt))],
    };
    write_dataset(&path, "GPKG", &[layer]);
    read(&path)
}

fn by_code<'a>(imported: &'a Imported<CommuneGeometry>, code: &str) -> &'a CommuneGeometry {
    imported
        .records
        .iter()
        .find(|c| c.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", imported.records.iter().map(|c| &c.code).collect::<Vec<_>>()))
}

/// Twice the signed area (shoelace): positive when counter-clockwise.
fn signed_area2(ring: &LineString<f64>) -> f64 {
    ring.0.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum()
}

fn assert_ccw_exteriors_cw_holes(mp: &MultiPolygon<f64>) {
    for p in &mp.0 {
        assert!(signed_area2(p.exterior()) > 0.0, "exterior not counter-clockwise: {:?}", p.exterior());
        for hole in p.interiors() {
            assert!(signed_area2(hole) < 0.0, "hole not clockwise: {hole:?}");
        }
    }
}

/// Every input vertex (Lambert-93) has an output vertex within 1e-6° of its independent
/// lon/lat, and every output vertex comes from an input vertex; ring sizes match.
fn assert_ring_matches(out: &LineString<f64>, lambert: &[(f64, f64)]) {
    assert_eq!(out.0.len(), lambert.len(), "ring size: {out:?}");
    let expected: Vec<Coord> = lambert
        .iter()
        .map(|&(x, y)| {
            let (lon, lat) = lambert93_to_lonlat(x, y);
            Coord { x: lon, y: lat }
        })
        .collect();
    let close = |a: &Coord, b: &Coord| (a.x - b.x).abs() < 1e-6 && (a.y - b.y).abs() < 1e-6;
    for e in &expected {
        assert!(out.0.iter().any(|c| close(c, e)), "expected vertex {e:?} missing from {out:?}");
    }
    for c in &out.0 {
        assert!(expected.iter().any(|e| close(c, e)), "unexpected vertex {c:?} (expected {expected:?})");
    }
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<(f64, f64)> {
    vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
}

// ---------------------------------------------------------------------------------------------
// GeoPackage in Lambert-93

#[test]
fn geopackage_in_lambert93_codes_names_population() {
    let dir = tempfile::tempdir().unwrap();
    let imported = read(&montlucon_gpkg(dir.path()));
    let codes: Vec<&str> = imported.records.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["03185", "03082", "03098"]);
    let m = by_code(&imported, "03185");
    assert_eq!(m.name.as_deref(), Some("Montluçon"));
    assert_eq!(m.population, Some(34_000));
    assert_eq!(by_code(&imported, "03082").name.as_deref(), Some("Commentry"));
    assert_eq!(by_code(&imported, "03082").population, Some(6_500));
    assert_eq!(by_code(&imported, "03098").population, None, "null population");

    let r = &imported.report;
    assert_eq!((r.rows_read, r.rows_used), (5, 3));
    assert_eq!(r.format, "ogr");
    assert!(r.source.ends_with("admin-express.gpkg"), "{}", r.source);
    assert!(r.notes.iter().any(|n| n.contains("EPSG:2154")), "{:?}", r.notes);
    assert!(r.notes.iter().any(|n| n.contains("GPKG") && n.contains("commune")), "{:?}", r.notes);
}

#[test]
fn geopackage_in_lambert93_is_reprojected_to_lonlat() {
    let dir = tempfile::tempdir().unwrap();
    let imported = read(&montlucon_gpkg(dir.path()));

    let m = &by_code(&imported, "03185").geometry;
    assert_eq!(m.0.len(), 1);
    assert_ring_matches(m.0[0].exterior(), &square(660_000.0, 6_575_000.0, 662_000.0, 6_577_000.0));
    assert_eq!(m.0[0].interiors().len(), 1);
    assert_ring_matches(&m.0[0].interiors()[0], &square(660_500.0, 6_575_500.0, 661_000.0, 6_576_000.0));

    let c = &by_code(&imported, "03082").geometry;
    assert_eq!(c.0.len(), 2, "both parts of the multipolygon");
    assert_ring_matches(c.0[0].exterior(), &square(663_000.0, 6_578_000.0, 665_000.0, 6_580_000.0));
    assert_ring_matches(c.0[1].exterior(), &square(664_000.0, 6_575_000.0, 664_500.0, 6_575_500.0));

    let d = &by_code(&imported, "03098").geometry;
    assert_ring_matches(d.0[0].exterior(), &square(662_000.0, 6_577_000.0, 664_000.0, 6_579_000.0));

    // Longitude first: Montluçon is at ~2.6°E, ~46.3°N (a swapped axis order would give 46, 2).
    let first = m.0[0].exterior().0[0];
    assert!((2.4..2.7).contains(&first.x) && (46.2..46.4).contains(&first.y), "{first:?}");
}

#[test]
fn rings_are_oriented_exterior_ccw_holes_cw() {
    let dir = tempfile::tempdir().unwrap();
    let imported = read(&montlucon_gpkg(dir.path()));
    assert_eq!(imported.records.len(), 3);
    for c in &imported.records {
        assert_ccw_exteriors_cw_holes(&c.geometry);
    }
    // Montluçon was written clockwise with a counter-clockwise hole: both were flipped.
    let m = &by_code(&imported, "03185").geometry.0[0];
    assert!(signed_area2(m.exterior()) > 0.0);
    assert!(signed_area2(&m.interiors()[0]) < 0.0);
}

#[test]
fn bow_tie_and_empty_code_are_rejected_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let imported = read(&montlucon_gpkg(dir.path()));
    let rejected: Vec<(u64, &str)> = imported.report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
    assert_eq!(rejected, [(4, "invalid_geometry"), (5, "missing_field")]);
    match &imported.report.rejected[0].reason {
        RejectReason::InvalidGeometry { detail } => assert!(detail.contains("self-intersection"), "{detail}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(imported.report.rejected[1].reason, RejectReason::MissingField { field: "insee_com".into() });
    assert!(!imported.records.iter().any(|c| c.code == "03999"));
}

#[test]
fn lambert93_origin_becomes_exactly_3e_46_5n() {
    let wkt = "POLYGON((700000 6600000,701000 6600000,701000 6601000,700000 6601000,700000 6600000))";
    let imported = read_one_commune(2154, &[V::S("03001"), V::S("Origine"), V::I(10)], wkt);
    let ring = imported.records[0].geometry.0[0].exterior();
    assert!(
        ring.0.iter().any(|c| (c.x - 3.0).abs() < 1e-9 && (c.y - 46.5).abs() < 1e-9),
        "origin not at lon 3, lat 46.5: {ring:?}"
    );
    // 1 km east of the origin along the parallel: longitude grows, latitude barely moves.
    assert!(ring.0.iter().any(|c| c.x > 3.01 && c.x < 3.02 && (c.y - 46.5).abs() < 1e-3), "{ring:?}");
}

// ---------------------------------------------------------------------------------------------
// Shapefile like ADMIN EXPRESS COMMUNE.shp

#[test]
fn shapefile_like_admin_express_commune_shp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("COMMUNE.shp");
    write_dataset(
        &path,
        "ESRI Shapefile",
        &[LayerSpec {
            name: "COMMUNE",
            epsg: Some(2154),
            ty: OGRwkbGeometryType::wkbPolygon,
            fields: ADMIN_EXPRESS_FIELDS_UPPER,
            features: vec![
                feat(&[V::S("03185"), V::S("Montluçon"), V::I(34_000)], Some(MONTLUCON)),
                feat(&[V::S("03082"), V::S("Commentry"), V::I(6_500)], Some(COMMENTRY)),
                feat(&[V::S("2a004"), V::S("Ajaccio"), V::I(70_000)], Some(DESERTINES)),
            ],
        }],
    );
    // The .prj must exist, or the test would not exercise reprojection.
    assert!(dir.path().join("COMMUNE.prj").exists());

    let imported = read(&path);
    assert!(imported.report.rejected.is_empty(), "{:?}", imported.report.rejected);
    let codes: Vec<&str> = imported.records.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["03185", "03082", "2A004"]);
    assert_eq!(by_code(&imported, "2A004").name.as_deref(), Some("Ajaccio"));
    assert_eq!(by_code(&imported, "03185").population, Some(34_000));

    // Shapefiles store exterior rings clockwise: the reader turns them counter-clockwise.
    for c in &imported.records {
        assert_ccw_exteriors_cw_holes(&c.geometry);
    }
    let m = &by_code(&imported, "03185").geometry.0[0];
    assert_ring_matches(m.exterior(), &square(660_000.0, 6_575_000.0, 662_000.0, 6_577_000.0));
    assert_ring_matches(&m.interiors()[0], &square(660_500.0, 6_575_500.0, 661_000.0, 6_576_000.0));
    let c = &by_code(&imported, "03082").geometry;
    assert_eq!(c.0.len(), 2);
    assert_ring_matches(c.0[1].exterior(), &square(664_000.0, 6_575_000.0, 664_500.0, 6_575_500.0));
}

// ---------------------------------------------------------------------------------------------
// Layers already in geographic coordinates

#[test]
fn geojson_in_wgs84_is_kept_as_is_and_numeric_codes_are_padded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("communes.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"Insee_Com":3185,"Nom":"Montluçon","Population":34000},
 "geometry":{"type":"Polygon","coordinates":[[[2.55,46.3],[2.55,46.36],[2.65,46.36],[2.65,46.3],[2.55,46.3]]]}}
]}"#,
    )
    .unwrap();
    let imported = read(&path);
    assert_eq!(imported.records.len(), 1, "{:?}", imported.report.rejected);
    let c = &imported.records[0];
    assert_eq!(c.code, "03185");
    assert_eq!(c.name.as_deref(), Some("Montluçon"));
    assert_eq!(c.population, Some(34_000));
    let ring = c.geometry.0[0].exterior();
    // Written clockwise: now counter-clockwise, same vertices, untouched (no reprojection).
    assert!(signed_area2(ring) > 0.0);
    for (x, y) in [(2.55, 46.3), (2.55, 46.36), (2.65, 46.36), (2.65, 46.3)] {
        assert!(ring.0.iter().any(|c| c.x == x && c.y == y), "({x}, {y}) not in {ring:?}");
    }
    assert!(!imported.report.notes.iter().any(|n| n.contains("reprojected")), "{:?}", imported.report.notes);
}

#[test]
fn geographic_rgf93_is_transformed_without_swapping_axes() {
    // EPSG:4171 (RGF93 geographic) is latitude-first by authority: a transformation set up
    // without the traditional GIS axis order would swap longitude and latitude.
    let wkt = "POLYGON((2.55 46.3,2.65 46.3,2.65 46.36,2.55 46.36,2.55 46.3))";
    let imported = read_one_commune(4171, &[V::S("03185"), V::S("Montluçon"), V::I(34_000)], wkt);
    assert!(imported.report.notes.iter().any(|n| n.contains("EPSG:4171")), "{:?}", imported.report.notes);
    let ring = imported.records[0].geometry.0[0].exterior();
    for (x, y) in [(2.55, 46.3), (2.65, 46.3), (2.65, 46.36), (2.55, 46.36)] {
        assert!(ring.0.iter().any(|c| (c.x - x).abs() < 1e-6 && (c.y - y).abs() < 1e-6), "({x}, {y}) not in {ring:?}");
    }
}

#[test]
fn projected_layer_without_srs_is_rejected_not_taken_as_lonlat() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noprj.shp");
    write_dataset(
        &path,
        "ESRI Shapefile",
        &[LayerSpec {
            name: "noprj",
            epsg: None,
            ty: OGRwkbGeometryType::wkbPolygon,
            fields: ADMIN_EXPRESS_FIELDS_UPPER,
            features: vec![feat(&[V::S("03185"), V::S("Montluçon"), V::I(1)], Some(DESERTINES))],
        }],
    );
    assert!(!dir.path().join("noprj.prj").exists());
    let imported = read(&path);
    assert!(imported.records.is_empty());
    assert_eq!(imported.report.rejected.len(), 1);
    assert_eq!(imported.report.rejected[0].line, 1);
    match &imported.report.rejected[0].reason {
        RejectReason::InvalidGeometry { detail } => assert!(detail.contains("longitude"), "{detail}"),
        other => panic!("{other:?}"),
    }
    assert!(imported.report.notes.iter().any(|n| n.contains("no spatial reference")), "{:?}", imported.report.notes);
}

// ---------------------------------------------------------------------------------------------
// Per-feature edge cases

#[test]
fn edge_cases_are_rejected_or_accepted_feature_by_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge.gpkg");
    let square_z =
        "POLYGON Z((660000 6575000 200,662000 6575000 210,662000 6577000 220,660000 6577000 230,660000 6575000 200))";
    let empty_part =
        "MULTIPOLYGON(EMPTY,((662000 6577000,664000 6577000,664000 6579000,662000 6579000,662000 6577000)))";
    write_dataset(
        &path,
        "GPKG",
        &[LayerSpec {
            name: "commune",
            epsg: Some(2154),
            ty: OGRwkbGeometryType::wkbUnknown,
            fields: ADMIN_EXPRESS_FIELDS_LOWER,
            features: vec![
                feat(&[V::Null, V::S("Code nul"), V::I(1)], Some(SQUARE)), // 1
                feat(&[V::S("3A123"), V::S("Code faux"), V::I(1)], Some(SQUARE)), // 2
                feat(&[V::S(" 03185 "), V::S("Montluçon"), V::I(34_000)], Some(square_z)), // 3: ok, 3D
                feat(&[V::S("03185"), V::S("Montluçon bis"), V::I(1)], Some(SQUARE)), // 4: duplicate
                feat(&[V::S("03200"), V::S("Point"), V::I(1)], Some("POINT(660000 6575000)")), // 5
                feat(&[V::S("03201"), V::S("Sans géométrie"), V::I(1)], None), // 6
                feat(&[V::S("03202"), V::S("Négatif"), V::I(-5)], Some(SQUARE)), // 7
                feat(&[V::S("03203"), V::S("Vide"), V::I(1)], Some("POLYGON EMPTY")), // 8
                feat(&[V::S("03204"), V::S(""), V::Null], Some(empty_part)), // 9: ok, part dropped
            ],
        }],
    );
    let imported = read(&path);
    let rejected: Vec<(u64, &str)> = imported.report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
    assert_eq!(
        rejected,
        [
            (1, "missing_field"),
            (2, "invalid_value"),
            (4, "conflict"),
            (5, "invalid_geometry"),
            (6, "invalid_geometry"),
            (7, "invalid_value"),
            (8, "invalid_geometry"),
        ]
    );
    let detail = |i: usize| match &imported.report.rejected[i].reason {
        RejectReason::InvalidGeometry { detail } => detail.clone(),
        other => panic!("{other:?}"),
    };
    assert!(detail(3).contains("not a polygon"), "{}", detail(3));
    assert!(detail(4).contains("no geometry"), "{}", detail(4));
    assert!(detail(6).contains("empty"), "{}", detail(6));
    match &imported.report.rejected[1].reason {
        RejectReason::InvalidValue { field, value, .. } => {
            assert_eq!((field.as_str(), value.as_str()), ("insee_com", "3A123"))
        }
        other => panic!("{other:?}"),
    }
    match &imported.report.rejected[2].reason {
        RejectReason::Conflict { key, detail } => {
            assert_eq!(key, "03185");
            assert!(detail.contains("feature 3"), "{detail}");
        }
        other => panic!("{other:?}"),
    }

    let codes: Vec<&str> = imported.records.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["03185", "03204"]);
    let m = by_code(&imported, "03185");
    assert_eq!(m.name.as_deref(), Some("Montluçon"), "the first 03185 is kept");
    assert_ring_matches(m.geometry.0[0].exterior(), &square(660_000.0, 6_575_000.0, 662_000.0, 6_577_000.0));
    let p = by_code(&imported, "03204");
    assert_eq!(p.name, None, "empty name is None");
    assert_eq!(p.geometry.0.len(), 1, "the empty part is dropped");
    assert_eq!((imported.report.rows_read, imported.report.rows_used), (9, 2));
}

// ---------------------------------------------------------------------------------------------
// Layer and field selection, file-level errors

fn multi_layer_gpkg(path: &Path, names: [&str; 3]) {
    let spec = |name, code: &'static str, with_code: bool| LayerSpec {
        name,
        epsg: Some(2154),
        ty: OGRwkbGeometryType::wkbUnknown,
        fields: if with_code { ADMIN_EXPRESS_FIELDS_LOWER } else { &[("insee_dep", OGRFieldType::OFTString)] },
        features: vec![if with_code {
            feat(&[V::S(code), V::S("X"), V::I(1)], Some(DESERTINES))
        } else {
            feat(&[V::S(code)], Some(DESERTINES))
        }],
    };
    write_dataset(
        path,
        "GPKG",
        &[spec(names[0], "03", false), spec(names[1], "03001", true), spec(names[2], "03185", true)],
    );
}

#[test]
fn layer_commune_is_chosen_among_several_and_names_match_case_insensitively() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layers.gpkg");
    multi_layer_gpkg(&path, ["departement", "commune_associee_ou_deleguee", "commune"]);

    let imported = read(&path);
    assert_eq!(imported.records.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["03185"]);

    let opts = OgrOptions { layer: Some("COMMUNE_ASSOCIEE_OU_DELEGUEE".into()), ..OgrOptions::default() };
    let imported = read_ogr_communes(&path, &opts).unwrap();
    assert_eq!(imported.records.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["03001"]);
}

#[test]
fn ambiguous_layers_unknown_layer_and_missing_code_field_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ambiguous.gpkg");
    multi_layer_gpkg(&path, ["departement", "communes_a", "communes_b"]);
    let file = path.display().to_string();

    let err = read_ogr_communes(&path, &OgrOptions::default()).unwrap_err().to_string();
    assert!(err.contains(&file) && err.contains("communes_a") && err.contains("communes_b"), "{err}");

    let opts = OgrOptions { layer: Some("arrondissement".into()), ..OgrOptions::default() };
    let err = read_ogr_communes(&path, &opts).unwrap_err().to_string();
    assert!(err.contains(&file) && err.contains("\"arrondissement\"") && err.contains("departement"), "{err}");

    let opts = OgrOptions { layer: Some("departement".into()), ..OgrOptions::default() };
    let err = read_ogr_communes(&path, &opts).unwrap_err().to_string();
    assert!(err.contains(&file) && err.contains("INSEE_COM") && err.contains("insee_dep"), "{err}");
}

#[test]
fn unopenable_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.gpkg");
    let err = read_ogr_communes(&missing, &OgrOptions::default()).unwrap_err().to_string();
    assert!(err.contains(&missing.display().to_string()), "{err}");

    let garbage = dir.path().join("garbage.gpkg");
    std::fs::write(&garbage, b"this is not a geopackage").unwrap();
    let err = read_ogr_communes(&garbage, &OgrOptions::default()).unwrap_err().to_string();
    assert!(err.contains(&garbage.display().to_string()) && err.contains("cannot open"), "{err}");
}

#[test]
fn custom_field_names_and_absent_optional_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custom.gpkg");
    write_dataset(
        &path,
        "GPKG",
        &[LayerSpec {
            name: "zones",
            epsg: Some(2154),
            ty: OGRwkbGeometryType::wkbPolygon,
            fields: &[("CodeCommune", OGRFieldType::OFTString), ("Libelle", OGRFieldType::OFTString)],
            features: vec![feat(&[V::S("03185"), V::S("Montluçon")], Some(DESERTINES))],
        }],
    );
    // Default field names: no INSEE_COM in a single-layer file -> error.
    assert!(read_ogr_communes(&path, &OgrOptions::default()).is_err());

    let opts = OgrOptions {
        layer: None,
        code_field: "codecommune".into(),
        name_field: Some("LIBELLE".into()),
        population_field: Some("POPULATION".into()),
    };
    let imported = read_ogr_communes(&path, &opts).unwrap();
    assert_eq!(imported.records.len(), 1);
    assert_eq!(imported.records[0].code, "03185");
    assert_eq!(imported.records[0].name.as_deref(), Some("Montluçon"));
    assert_eq!(imported.records[0].population, None);
    assert!(imported.report.notes.iter().any(|n| n.contains("\"POPULATION\"")), "{:?}", imported.report.notes);
}
