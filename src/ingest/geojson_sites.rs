//! GeoJSON inputs: care sites (a `FeatureCollection` of points) and polygons keyed by a code.
//!
//! # Sites ([`GeoJsonSitesReader`])
//!
//! Each feature is a `Point` in WGS84 lon/lat with the properties:
//!
//! - `id` (string or number; the feature's own `id` when the property is absent), required,
//!   unique in the file (a repeated id is a [`RejectReason::Conflict`]);
//! - `name`, optional (empty when absent, counted in a note);
//! - `commune`: INSEE code, resolved through [`CommuneRegistry::commune_for_code`]
//!   (arrondissements count in their city; former communes are rejected unless
//!   `remap_merged`). When absent or empty the site is kept with `commune` empty, for the
//!   caller to locate by point, and counted in a note;
//! - `kind`, default `msp`;
//! - `location_quality`: `exact` (default) or `town_hall`.
//!
//! A feature is rejected with [`RejectReason::InvalidGeometry`] when it is not a valid GeoJSON
//! feature, has no geometry, a geometry other than `Point`, fewer than two coordinates,
//! non-finite coordinates or coordinates outside [-180, 180] × [-90, 90]. The `line` of a
//! rejection is the 1-based index of the feature in `features`. A file that is not JSON, or
//! not a `FeatureCollection`, is a fatal [`Error::Format`] naming the file (and the line of
//! the JSON syntax error).
//!
//! # Polygons ([`read_geojson_polygons`])
//!
//! Features with a `Polygon` or `MultiPolygon` geometry and a `code` property (string or
//! number, kept as written, trimmed; unique). Before conversion each ring must have at least
//! 4 positions, be closed (first position = last) and hold finite lon/lat; after conversion the
//! geometry must pass [`validate_polygon`] (OGC validity: no self-intersection, no overlapping
//! parts...). Kept geometries are oriented with counter-clockwise exterior rings, as in the
//! atlas.

use super::Reader;
use crate::model::report::{ImportReport, Imported, RejectReason};
use super::text;
use crate::model::CommuneRegistry;
use crate::model::{LocationQuality, Site, SiteKind};
use crate::error::{Error, Result};
use geo::algorithm::Validation;
use geo::orient::{Direction, Orient};
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use geojson::{Feature, GeometryValue, Position};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Options of [`GeoJsonSitesReader`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeoJsonSitesOptions {
    /// Count sites whose `commune` is a former commune in its successor instead of rejecting
    /// them.
    pub remap_merged: bool,
}

/// The geojson sites format behind the [`Reader`] trait.
pub struct GeoJsonSitesReader;

impl Reader for GeoJsonSitesReader {
    type Record = Site;
    type Options = GeoJsonSitesOptions;
    const KIND: &'static str = "geojson_sites";

    /// Parses the bytes of a `FeatureCollection` of point sites; `name` names the source.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &GeoJsonSitesOptions) -> Result<Imported<Site>> {
        let mut report = ImportReport::new(name, "geojson_sites");
        let features = feature_values(name, bytes)?;
        let mut records = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let (mut without_commune, mut without_name) = (0u64, 0u64);
        for (i, value) in features.into_iter().enumerate() {
            let line = i as u64 + 1;
            report.rows_read += 1;
            match site(value, name, registry, opts) {
                Ok(site) => {
                    if let Some(first) = seen.get(&site.id) {
                        let detail = format!("site id already given by feature {first}");
                        report.reject(line, RejectReason::Conflict { key: site.id, detail });
                        continue;
                    }
                    seen.insert(site.id.clone(), line);
                    without_commune += u64::from(site.commune.is_empty());
                    without_name += u64::from(site.name.is_empty());
                    report.rows_used += 1;
                    records.push(site);
                }
                Err(reason) => report.reject(line, reason),
            }
        }
        if without_commune > 0 {
            report.note(format!("{without_commune} sites without a commune code: to be located by their point"));
        }
        if without_name > 0 {
            report.note(format!("{without_name} sites without a name"));
        }
        Ok(Imported { records, report })
    }
}

fn site(
    value: Value,
    source: &str,
    registry: &CommuneRegistry,
    opts: &GeoJsonSitesOptions,
) -> Result<Site, RejectReason> {
    let feature = parse_feature(value)?;
    let geometry = feature.geometry.as_ref().ok_or_else(|| invalid("no geometry"))?;
    let GeometryValue::Point { coordinates } = &geometry.value else {
        return Err(invalid(format!("expected a Point, found a {}", geometry.value.type_name())));
    };
    let location = Point::from(coord(coordinates).map_err(invalid)?);
    let props = feature.properties.as_ref();
    let feature_id = feature.id.as_ref().map(|id| match id {
        geojson::feature::Id::String(s) => s.trim().to_string(),
        geojson::feature::Id::Number(n) => n.to_string(),
    });
    let id = property(props, "id")?
        .or(feature_id.filter(|s| !s.is_empty()))
        .ok_or_else(|| RejectReason::MissingField { field: "id".into() })?;
    let commune = match property(props, "commune")? {
        Some(code) => registry.commune_for_code(&code, opts.remap_merged)?,
        None => String::new(),
    };
    let location_quality = match property(props, "location_quality")?.as_deref() {
        None | Some("exact") => LocationQuality::Exact,
        Some("town_hall") => LocationQuality::TownHall,
        Some(other) => {
            return Err(RejectReason::InvalidValue {
                field: "location_quality".into(),
                value: other.to_string(),
                expected: "\"exact\" or \"town_hall\"".into(),
            });
        }
    };
    Ok(Site {
        id,
        name: property(props, "name")?.unwrap_or_default(),
        commune,
        location,
        location_quality,
        kind: property(props, "kind")?.map_or(SiteKind::Msp, |k| SiteKind::parse(&k)),
        source: source.to_string(),
    })
}

/// Reads a `FeatureCollection` of polygons keyed by their `code` property. See the
/// [module documentation](self).
pub fn read_geojson_polygons(path: &Path) -> Result<Imported<(String, MultiPolygon<f64>)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_geojson_polygons(&path.display().to_string(), &bytes)
}

/// Parses the bytes of a `FeatureCollection` of polygons keyed by `code`; `name` names the
/// source.
pub fn parse_geojson_polygons(name: &str, bytes: &[u8]) -> Result<Imported<(String, MultiPolygon<f64>)>> {
    let mut report = ImportReport::new(name, "geojson_polygons");
    let features = feature_values(name, bytes)?;
    let mut records = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, value) in features.into_iter().enumerate() {
        let line = i as u64 + 1;
        report.rows_read += 1;
        match polygon_feature(value) {
            Ok((code, geometry)) => {
                if let Some(first) = seen.get(&code) {
                    let detail = format!("code already given by feature {first}");
                    report.reject(line, RejectReason::Conflict { key: code, detail });
                    continue;
                }
                seen.insert(code.clone(), line);
                report.rows_used += 1;
                records.push((code, geometry));
            }
            Err(reason) => report.reject(line, reason),
        }
    }
    Ok(Imported { records, report })
}

fn polygon_feature(value: Value) -> Result<(String, MultiPolygon<f64>), RejectReason> {
    let feature = parse_feature(value)?;
    let code = property(feature.properties.as_ref(), "code")?
        .ok_or_else(|| RejectReason::MissingField { field: "code".into() })?;
    let geometry = feature.geometry.as_ref().ok_or_else(|| invalid("no geometry"))?;
    let polygons: Vec<&Vec<Vec<Position>>> = match &geometry.value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => return Err(invalid(format!("expected a Polygon or MultiPolygon, found a {}", other.type_name()))),
    };
    let mut parts = Vec::with_capacity(polygons.len());
    for (p, rings) in polygons.iter().enumerate() {
        let mut converted = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            let role = if r == 0 { "exterior ring".to_string() } else { format!("interior ring {r}") };
            let at = |detail: String| invalid(format!("polygon {}, {role}: {detail}", p + 1));
            if ring.len() < 4 {
                return Err(at(format!("{} positions, at least 4 needed (3 distinct + closing)", ring.len())));
            }
            let coords: Vec<Coord<f64>> = ring.iter().map(coord).collect::<Result<_, _>>().map_err(at)?;
            let (first, last) = (coords[0], coords[coords.len() - 1]);
            if first != last {
                return Err(at(format!(
                    "not closed: first position ({}, {}) differs from last ({}, {})",
                    first.x, first.y, last.x, last.y
                )));
            }
            converted.push(LineString::new(coords));
        }
        let mut converted = converted.into_iter();
        let Some(exterior) = converted.next() else {
            return Err(invalid(format!("polygon {} has no ring", p + 1)));
        };
        parts.push(Polygon::new(exterior, converted.collect()));
    }
    let geometry = MultiPolygon::new(parts);
    validate_polygon(&geometry).map_err(invalid)?;
    Ok((code, geometry.orient(Direction::Default)))
}

/// Checks that a multipolygon is valid in the OGC sense (geo's [`Validation`]): at least one
/// polygon, rings of at least 3 distinct points, finite coordinates, no self-intersection, holes
/// inside their exterior, parts not overlapping. Returns every problem found, `; `-separated.
///
/// geo closes rings itself, so an unclosed ring cannot be seen here: readers of raw
/// coordinates check closure before converting (as [`read_geojson_polygons`] does).
pub fn validate_polygon(geom: &MultiPolygon<f64>) -> Result<(), String> {
    if geom.0.is_empty() {
        return Err("no polygon".into());
    }
    let errors = geom.validation_errors();
    if errors.is_empty() { Ok(()) } else { Err(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")) }
}

/// The features of a `FeatureCollection`, as JSON values so that one bad feature does not
/// fail the whole file.
fn feature_values(file: &str, bytes: &[u8]) -> Result<Vec<Value>> {
    let (text, _) = text::decode(bytes);
    if text.trim().is_empty() {
        return Err(Error::format(file, 1, "", "empty file: expected a GeoJSON FeatureCollection"));
    }
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        Error::format(file, e.line() as u64, "", format!("not valid JSON (column {}): {e}", e.column()))
    })?;
    let Value::Object(mut object) = json else {
        return Err(Error::format(file, 1, "", "expected a GeoJSON FeatureCollection, found no JSON object"));
    };
    let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
    if kind != "FeatureCollection" {
        return Err(Error::format(
            file,
            1,
            "type",
            format!("expected a GeoJSON FeatureCollection, found type {kind:?}"),
        ));
    }
    match object.remove("features") {
        Some(Value::Array(features)) => Ok(features),
        _ => Err(Error::format(file, 1, "features", "a FeatureCollection needs a \"features\" array")),
    }
}

fn parse_feature(value: Value) -> Result<Feature, RejectReason> {
    serde_json::from_value::<Feature>(value).map_err(|e| invalid(format!("not a valid GeoJSON feature: {e}")))
}

/// A property as text: strings trimmed, numbers written out; `None` when absent, null or empty.
fn property(props: Option<&geojson::JsonObject>, key: &str) -> Result<Option<String>, RejectReason> {
    match props.and_then(|p| p.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(RejectReason::InvalidValue {
            field: key.to_string(),
            value: other.to_string(),
            expected: "a string or a number".into(),
        }),
    }
}

/// A GeoJSON position as a WGS84 coordinate: at least lon and lat, finite, in range.
fn coord(position: &Position) -> Result<Coord<f64>, String> {
    let &[x, y, ..] = position.as_slice() else {
        return Err(format!("position {:?} has fewer than 2 coordinates", position.as_slice()));
    };
    if !x.is_finite() || !y.is_finite() {
        return Err(format!("non-finite coordinates ({x}, {y})"));
    }
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(format!("({x}, {y}) is not a WGS84 lon/lat position"));
    }
    Ok(Coord { x, y })
}

fn invalid(detail: impl Into<String>) -> RejectReason {
    RejectReason::InvalidGeometry { detail: detail.into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn bow_tie_is_invalid_and_square_valid() {
        let square = MultiPolygon::new(vec![polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)]]);
        assert_eq!(validate_polygon(&square), Ok(()));
        let bow_tie = MultiPolygon::new(vec![polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.)]]);
        let err = validate_polygon(&bow_tie).unwrap_err();
        assert!(err.contains("self-intersection"), "{err}");
        assert_eq!(validate_polygon(&MultiPolygon::new(vec![])), Err("no polygon".into()));
    }

    #[test]
    fn positions_must_be_lon_lat() {
        assert_eq!(coord(&Position::from([3.1, 45.7])), Ok(Coord { x: 3.1, y: 45.7 }));
        assert!(coord(&Position::from([3.1, 95.0])).is_err());
        assert!(coord(&Position::from([f64::NAN, 45.0])).is_err());
        assert!(coord(&Position::from(vec![3.0])).is_err());
        assert!(coord(&Position::from([700_000.0, 6_500_000.0])).is_err());
    }
}
