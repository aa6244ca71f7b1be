//! Commune geometries from any OGR vector format (GeoPackage, Shapefile such as IGN ADMIN
//! EXPRESS `COMMUNE.shp`, GeoJSON, FlatGeobuf, `/vsizip/` paths...), through GDAL.
//!
//! Compiled only with the `gdal` cargo feature (needs libgdal-dev: `scripts/setup-gdal.sh`).
//!
//! What the reader does with each feature:
//! - the INSEE code is read from [`OgrOptions::code_field`] and normalised with
//!   [`normalize_insee_code`]; an empty or malformed code rejects the feature;
//! - the geometry is reprojected to WGS84 lon/lat when the layer's spatial reference is not
//!   already WGS84 (ADMIN EXPRESS ships in Lambert-93, EPSG:2154). Both spatial references
//!   use the traditional GIS axis order (x = easting/longitude), whatever the CRS definition
//!   says: GDAL 3 would otherwise hand out latitude first for EPSG:4326;
//! - Polygon and MultiPolygon (2D, Z or M) become a [`MultiPolygon`], exterior rings
//!   counter-clockwise and holes clockwise; empty parts are dropped; any other geometry type,
//!   an empty geometry, coordinates outside lon/lat bounds or a polygon that geo's
//!   [`Validation`] finds invalid rejects the feature;
//! - the same code given by two features rejects the second one as a conflict.
//!
//! Rejections use the feature's 1-based position in the layer as `line` (not its FID:
//! Shapefile FIDs start at 0, GeoPackage ones at 1). Field names match case-insensitively
//! (ADMIN EXPRESS uses `INSEE_COM` in Shapefiles and `insee_com` in GeoPackages).

use crate::model::registry::normalize_insee_code;
use crate::error::{Error, Result};
use crate::ingest::generic_csv::parse_count;
use crate::model::report::{ImportReport, Imported, RejectReason};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, Geometry, Layer, LayerAccess, OGRwkbGeometryType, geometry_type_flatten};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::orient::Direction;
use geo::{Coord, CoordsIter, LineString, MultiPolygon, Orient, Polygon, Validation};
use std::collections::HashMap;
use std::path::Path;

/// Which layer and fields hold the communes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OgrOptions {
    /// Layer name (case-insensitive). `None`: the only layer of the dataset; with several
    /// layers, the only one that has [`code_field`](Self::code_field), or among those the
    /// one named `commune` (ADMIN EXPRESS GeoPackage).
    pub layer: Option<String>,
    /// Field holding the INSEE code. Required in the layer.
    pub code_field: String,
    /// Field holding the commune name; when the layer has no such field, names stay `None`
    /// (and the report says so).
    pub name_field: Option<String>,
    /// Field holding the population; same rule as `name_field`.
    pub population_field: Option<String>,
}

impl Default for OgrOptions {
    /// The field names of IGN ADMIN EXPRESS (`INSEE_COM`, `NOM`, `POPULATION`).
    fn default() -> Self {
        OgrOptions {
            layer: None,
            code_field: "INSEE_COM".to_string(),
            name_field: Some("NOM".to_string()),
            population_field: Some("POPULATION".to_string()),
        }
    }
}

/// One commune read from an OGR layer, in WGS84 lon/lat.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneGeometry {
    /// Normalised INSEE code (`"03185"`, `"2A004"`).
    pub code: String,
    pub name: Option<String>,
    pub population: Option<u32>,
    /// Valid, exterior rings counter-clockwise, holes clockwise.
    pub geometry: MultiPolygon<f64>,
}

/// Reads the commune polygons of one layer of an OGR dataset.
///
/// Fails (naming the file) when the dataset cannot be opened as a vector dataset, the layer
/// is unknown or ambiguous, the code field is missing, or the layer's spatial reference
/// cannot be transformed to WGS84. Everything about a single feature is a rejection in the
/// report instead.
pub fn read_ogr_communes(path: &Path, opts: &OgrOptions) -> Result<Imported<CommuneGeometry>> {
    let file = path.display().to_string();
    let fail = |message: String| Error::Invalid { file: file.clone(), message };

    let dataset =
        Dataset::open_ex(path, DatasetOptions { open_flags: GdalOpenFlags::GDAL_OF_VECTOR, ..Default::default() })
            .map_err(|e| fail(format!("cannot open as an OGR vector dataset: {e}")))?;

    let mut layer = select_layer(&dataset, opts).map_err(fail)?;
    let layer_name = layer.name();

    let field_names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let find_field = |wanted: &str| field_names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
    let Some(code_idx) = find_field(&opts.code_field) else {
        return Err(fail(format!(
            "layer {layer_name:?} has no field {:?} (fields: {})",
            opts.code_field,
            field_names.join(", ")
        )));
    };

    if layer.defn().geom_fields().next().is_none() {
        return Err(fail(format!("layer {layer_name:?} has no geometry column")));
    }

    let mut report = ImportReport::new(file.clone(), "ogr");
    report.note(format!("driver {}, layer {layer_name:?}", dataset.driver().short_name()));

    let optional_field = |wanted: &Option<String>, report: &mut ImportReport| {
        let wanted = wanted.as_deref()?;
        let idx = find_field(wanted);
        if idx.is_none() {
            report.note(format!("layer {layer_name:?} has no field {wanted:?}: left empty"));
        }
        idx
    };
    let name_idx = optional_field(&opts.name_field, &mut report);
    let population_idx = optional_field(&opts.population_field, &mut report);
    let code_name = &field_names[code_idx];
    let population_name = population_idx.map(|i| field_names[i].clone()).unwrap_or_default();

    let transform = wgs84_transform(&layer).map_err(fail)?;
    match (&transform, layer.spatial_ref()) {
        (Some(_), Some(srs)) => report.note(format!("reprojected from {} to WGS84 lon/lat", describe_srs(&srs))),
        (None, Some(_)) => {}
        (_, None) => report.note("the layer has no spatial reference: coordinates taken as WGS84 lon/lat"),
    }

    let mut records: Vec<CommuneGeometry> = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (i, feature) in layer.features().enumerate() {
        let line = i as u64 + 1;
        report.rows_read += 1;

        let raw_code = field_text(&feature, code_idx);
        let code = match raw_code.as_deref().map(str::trim) {
            None | Some("") => {
                report.reject(line, RejectReason::MissingField { field: code_name.clone() });
                continue;
            }
            Some(raw) => match normalize_insee_code(raw) {
                Some(code) => code,
                None => {
                    report.reject(
                        line,
                        RejectReason::InvalidValue {
                            field: code_name.clone(),
                            value: raw.to_string(),
                            expected: "an INSEE commune code (5 digits, or 2A/2B and 3 digits)".into(),
                        },
                    );
                    continue;
                }
            },
        };

        let name =
            name_idx.and_then(|idx| field_text(&feature, idx)).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());

        let population = match population_idx.and_then(|idx| field_text(&feature, idx)) {
            None => None,
            Some(raw) => match parse_count(&population_name, &raw, false) {
                Ok(p) => p,
                Err(reason) => {
                    report.reject(line, reason);
                    continue;
                }
            },
        };

        // Not `feature.geometry()`: in gdal 0.19 it returns `Some` wrapping a null pointer
        // when the feature has no geometry.
        let geometry = match feature.geometry_by_index(0) {
            Err(_) => Err("no geometry".to_string()),
            Ok(g) => to_multipolygon(g, transform.as_ref()),
        };
        let geometry = match geometry {
            Ok(g) => g,
            Err(detail) => {
                report.reject(line, RejectReason::InvalidGeometry { detail });
                continue;
            }
        };

        if let Some(first) = first_line.get(&code) {
            report.reject(
                line,
                RejectReason::Conflict { key: code, detail: format!("already given by feature {first}") },
            );
            continue;
        }
        first_line.insert(code.clone(), line);
        records.push(CommuneGeometry { code, name, population, geometry });
    }
    report.rows_used = records.len() as u64;
    Ok(Imported { records, report })
}

/// The layer named in the options, or the one that obviously holds communes.
fn select_layer<'a>(dataset: &'a Dataset, opts: &OgrOptions) -> std::result::Result<Layer<'a>, String> {
    let names: Vec<String> = dataset.layers().map(|l| l.name()).collect();
    let by_index = |idx: usize| dataset.layer(idx).map_err(|e| format!("cannot read layer {:?}: {e}", names[idx]));
    if let Some(wanted) = &opts.layer {
        return match names.iter().position(|n| n.eq_ignore_ascii_case(wanted)) {
            Some(idx) => by_index(idx),
            None => Err(format!("no layer {wanted:?} (layers: {})", names.join(", "))),
        };
    }
    match names.len() {
        0 => return Err("no vector layer".to_string()),
        1 => return by_index(0),
        _ => {}
    }
    let with_code: Vec<usize> = dataset
        .layers()
        .enumerate()
        .filter(|(_, l)| l.defn().fields().any(|f| f.name().eq_ignore_ascii_case(&opts.code_field)))
        .map(|(i, _)| i)
        .collect();
    let chosen = match with_code.as_slice() {
        [idx] => Some(*idx),
        _ => with_code.iter().copied().find(|&i| names[i].eq_ignore_ascii_case("commune")),
    };
    chosen.map(by_index).unwrap_or_else(|| {
        Err(format!(
            "{} layers ({}), {} with a field {:?}: say which one to read",
            names.len(),
            names.join(", "),
            with_code.len(),
            opts.code_field
        ))
    })
}

/// `None` when the layer is already in WGS84 lon/lat (or has no spatial reference).
fn wgs84_transform(layer: &Layer) -> std::result::Result<Option<CoordTransform>, String> {
    let Some(mut source) = layer.spatial_ref() else { return Ok(None) };
    let mut target = SpatialRef::from_epsg(4326).map_err(|e| format!("cannot build EPSG:4326: {e}"))?;
    // Both sides in x/y = easting/longitude, northing/latitude order (GDAL 3 otherwise follows
    // the authority: latitude first for EPSG:4326).
    source.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    target.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    // OSRIsSame ignores the axis order of geographic CRSs: EPSG:4326 and OGC:CRS84 match.
    if source == target {
        return Ok(None);
    }
    CoordTransform::new(&source, &target)
        .map(Some)
        .map_err(|e| format!("cannot reproject {} to WGS84: {e}", describe_srs(&source)))
}

fn describe_srs(srs: &SpatialRef) -> String {
    match (srs.auth_name(), srs.auth_code()) {
        (Some(name), Ok(code)) => format!("{name}:{code}"),
        _ => srs.name().unwrap_or_else(|| "an unnamed spatial reference".to_string()),
    }
}

/// The value of a field as text (numbers without a trailing `.0`), `None` when null or unset.
fn field_text(feature: &gdal::vector::Feature, idx: usize) -> Option<String> {
    match feature.field(idx).ok()?? {
        FieldValue::StringValue(s) => Some(s),
        FieldValue::IntegerValue(v) => Some(v.to_string()),
        FieldValue::Integer64Value(v) => Some(v.to_string()),
        FieldValue::RealValue(v) => Some(v.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Converts, reprojects, checks and orients one geometry. `Err` holds the rejection detail.
fn to_multipolygon(
    geom: &Geometry,
    transform: Option<&CoordTransform>,
) -> std::result::Result<MultiPolygon<f64>, String> {
    if geom.is_empty() {
        return Err("empty geometry".to_string());
    }
    let mut polygons = Vec::new();
    match geometry_type_flatten(geom.geometry_type()) {
        OGRwkbGeometryType::wkbPolygon => polygons.extend(to_polygon(geom, transform)?),
        OGRwkbGeometryType::wkbMultiPolygon => {
            for i in 0..geom.geometry_count() {
                polygons.extend(to_polygon(&geom.get_geometry(i), transform)?);
            }
        }
        _ => return Err(format!("not a polygon: {}", geom.geometry_name())),
    }
    if polygons.is_empty() {
        return Err("empty geometry".to_string());
    }
    let multi = MultiPolygon::new(polygons);
    // Catches a projected layer without a spatial reference (a Shapefile without its .prj).
    let out_of_range = multi.coords_iter().find(|c| !(c.x.abs() <= 180.0 && c.y.abs() <= 90.0));
    if let Some(c) = out_of_range {
        return Err(format!("coordinate ({}, {}) is not a WGS84 longitude/latitude", c.x, c.y));
    }
    if let Err(e) = multi.check_validation() {
        return Err(e.to_string());
    }
    Ok(multi.orient(Direction::Default))
}

/// One OGR polygon (possibly with Z or M) as a geo polygon; `None` when it is empty.
fn to_polygon(
    geom: &Geometry,
    transform: Option<&CoordTransform>,
) -> std::result::Result<Option<Polygon<f64>>, String> {
    let mut rings = Vec::with_capacity(geom.geometry_count());
    for i in 0..geom.geometry_count() {
        rings.push(to_ring(&geom.get_geometry(i), transform)?);
    }
    let mut rings = rings.into_iter();
    match rings.next() {
        Some(exterior) if !exterior.0.is_empty() => Ok(Some(Polygon::new(exterior, rings.collect()))),
        _ => Ok(None),
    }
}

fn to_ring(ring: &Geometry, transform: Option<&CoordTransform>) -> std::result::Result<LineString<f64>, String> {
    let mut points = Vec::with_capacity(ring.point_count());
    ring.get_points(&mut points);
    let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = points.into_iter().map(|(x, y, _)| (x, y)).unzip();
    if let Some(t) = transform.filter(|_| !xs.is_empty()) {
        t.transform_coords(&mut xs, &mut ys, &mut []).map_err(|e| format!("reprojection failed: {e}"))?;
    }
    Ok(LineString::new(xs.into_iter().zip(ys).map(|(x, y)| Coord { x, y }).collect()))
}
