//! One export path for the properties of communes and areas, as CSV and GeoJSON: field tables
//! (name, description, getter — as [`super::attributes`] does for tiles) and the writers that
//! render any table either way.
//!
//! Its users: `/api/indicators` (and the commune and basin variants) through [`write_areas_csv`]
//! and [`write_areas_geojson`] with [`AREA_COLUMNS`]; a perimeter's communes through
//! [`write_perimeter_communes`] with [`PERIMETER_COMMUNE_COLUMNS`]; `medatlas access --out` through
//! [`write_commune_values`] with [`commune_value_columns`] and `--dump-inputs` through
//! [`write_method_inputs`]; `medatlas tiles geojson` ([`super::geojson_export`]) streams its
//! features through the same [`FeatureWriter`] and [`Prop`] rendering.
//!
//! A value renders the same way everywhere: an empty CSV cell for a missing value and `null` in
//! GeoJSON (or no key, for [`Prop::Absent`]); reasons as `field: reason; …` in CSV and an object
//! in GeoJSON; a list of codes space-separated in CSV and an array in GeoJSON. Features are
//! streamed one at a time: a national layer never exists as one JSON value in memory.

use crate::analysis::access::AccessError;
use crate::analysis::density::{AreaIndicators, Level};
use crate::analysis::methods::{self, Method, MethodParams, MethodResult};
use crate::analysis::projection::{CommuneProjection, Projection};
use crate::atlas::Atlas;
use crate::model::Commune;
use geo::{LineString, MultiPolygon, Point, Polygon};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Creating or writing a named file or folder.
    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// Writing to a stream.
    #[error("writing: {0}")]
    Write(#[from] std::io::Error),
    /// The CSV writer failed.
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A feature that could not be serialised as JSON.
    #[error("writing GeoJSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The inputs of an access method could not be computed.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// A file name whose extension names no format this module writes.
    #[error("{0}: the file name must end in .csv or .geojson")]
    UnknownFormat(PathBuf),
}

/// The two formats of a table of properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// One header row with the column names, one row per feature.
    Csv,
    /// A FeatureCollection (RFC 7946) with the columns as properties.
    GeoJson,
}

impl TableFormat {
    /// The format a file name asks for: `.csv`, or `.geojson` / `.json` (any case).
    pub fn of_path(path: &Path) -> Option<TableFormat> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(TableFormat::Csv),
            "geojson" | "json" => Some(TableFormat::GeoJson),
            _ => None,
        }
    }
}

/// The value of one property of one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop<'a> {
    /// No value: an empty CSV cell, `null` in GeoJSON.
    Null,
    /// No value, and no key in GeoJSON either (an empty CSV cell).
    Absent,
    /// A string.
    Text(&'a str),
    /// A count.
    Uint(u64),
    /// A number (a non-finite one is `null` in GeoJSON, as JSON has none).
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// Why fields are null, by field: `field: reason; …` in CSV, an object in GeoJSON.
    Reasons(&'a BTreeMap<&'static str, &'static str>),
    /// A list of codes: separated by spaces in CSV, an array in GeoJSON.
    Codes(&'a [String]),
}

impl Prop<'_> {
    /// The CSV cell.
    pub fn csv_cell(&self) -> String {
        match self {
            Prop::Null | Prop::Absent => String::new(),
            Prop::Text(s) => (*s).to_string(),
            Prop::Uint(n) => n.to_string(),
            Prop::Number(x) => x.to_string(),
            Prop::Bool(b) => b.to_string(),
            Prop::Reasons(m) => m.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "),
            Prop::Codes(codes) => codes.join(" "),
        }
    }

    fn optional<T>(v: Option<T>, f: impl FnOnce(T) -> Self) -> Self {
        v.map_or(Prop::Null, f)
    }
}

impl Serialize for Prop<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Prop::Null | Prop::Absent => s.serialize_none(),
            Prop::Text(x) => s.serialize_str(x),
            Prop::Uint(n) => s.serialize_u64(*n),
            Prop::Number(x) => s.serialize_f64(*x),
            Prop::Bool(b) => s.serialize_bool(*b),
            Prop::Reasons(m) => m.serialize(s),
            Prop::Codes(codes) => codes.serialize(s),
        }
    }
}

/// One column of a table: its name, what it holds, and how to read it from a row (`F` is a
/// function pointer over the table's row type).
pub struct Column<F> {
    /// The CSV header and the GeoJSON property name.
    pub name: &'static str,
    /// What the column holds, with its unit.
    pub description: &'static str,
    /// The value of a row.
    pub value: F,
}

/// A column of [`AREA_COLUMNS`].
pub type AreaColumn = Column<for<'x, 'y> fn(&'x AreaRow<'y>) -> Prop<'x>>;
/// A column of [`commune_value_columns`].
pub type CommuneValueColumn = Column<for<'x, 'y> fn(&'x CommuneValueRow<'y>) -> Prop<'x>>;

/// What a row of [`AREA_COLUMNS`] is made from: an area's indicators and, for a basin, the
/// codes of its communes.
pub struct AreaRow<'a> {
    /// The indicators of the area.
    pub area: &'a AreaIndicators,
    /// The basin's commune codes (the `communes` column), `None` for other areas.
    pub communes: Option<&'a [String]>,
}

/// The columns of `/api/indicators` as CSV and GeoJSON, in the order of [`AreaIndicators`]'s
/// fields (its JSON form), then `communes`, which only a basin has.
pub static AREA_COLUMNS: &[AreaColumn] = &[
    Column { name: "code", description: "INSEE code (commune, département, region), SIREN (EPCI) or basin", value: |r| Prop::Text(&r.area.code) },
    Column { name: "name", description: "Official name, or the basin's name", value: |r| Prop::optional(r.area.name.as_deref(), Prop::Text) },
    Column { name: "level", description: "commune, epci, departement, region or basin", value: |r| Prop::Text(r.area.level) },
    Column { name: "population", description: "Σ population municipale", value: |r| Prop::Uint(r.area.population) },
    Column { name: "commune_count", description: "Number of communes aggregated", value: |r| Prop::Uint(r.area.commune_count as u64) },
    Column { name: "gp", description: "Σ GP head counts", value: |r| Prop::optional(r.area.gp, Prop::Uint) },
    Column { name: "gp_near_retirement", description: "Σ GPs near retirement (an expected value when estimated)", value: |r| Prop::optional(r.area.gp_near_retirement, Prop::Number) },
    Column { name: "gp_near_retirement_estimated", description: "True when any commune's near-retirement count is estimated (GPs × département share of physicians aged 55+)", value: |r| Prop::Bool(r.area.gp_near_retirement_estimated) },
    Column { name: "gp_per_10k", description: "GPs per 10,000 inhabitants", value: |r| Prop::optional(r.area.gp_per_10k, Prop::Number) },
    Column { name: "near_retirement_share", description: "Share of GPs near retirement, 0-1", value: |r| Prop::optional(r.area.near_retirement_share, Prop::Number) },
    Column { name: "msp_count", description: "Σ MSP sites", value: |r| Prop::Uint(r.area.msp_count) },
    Column { name: "gp_projected", description: "GPs left after the retirement projection", value: |r| Prop::optional(r.area.gp_projected, Prop::Number) },
    Column { name: "gp_per_10k_projected", description: "Projected GPs per 10,000 inhabitants", value: |r| Prop::optional(r.area.gp_per_10k_projected, Prop::Number) },
    Column { name: "apl", description: "APL computed by medatlas, weighted by (standardised) population", value: |r| Prop::optional(r.area.apl, Prop::Number) },
    Column { name: "apl_official", description: "DREES's published APL, weighted by the sheet's standardised population", value: |r| Prop::optional(r.area.apl_official, Prop::Number) },
    Column { name: "apl_official_year", description: "Vintage of apl_official", value: |r| Prop::optional(r.area.apl_official_year, |y| Prop::Uint(u64::from(y))) },
    Column { name: "synthetic", description: "True when any GP count comes from a model", value: |r| Prop::Bool(r.area.synthetic) },
    Column { name: "low_population", description: "Population under the low-population threshold: read with care", value: |r| Prop::Bool(r.area.low_population) },
    Column { name: "missing", description: "Why a field is null, by field", value: |r| Prop::Reasons(&r.area.missing) },
    Column { name: "communes", description: "INSEE codes of a basin's communes", value: |r| r.communes.map_or(Prop::Absent, Prop::Codes) },
];

/// What a row of [`PERIMETER_COMMUNE_COLUMNS`] is made from: one commune of a perimeter, its
/// indicators (its row of `/api/indicators?level=commune`) and its time to the soonest MSP.
pub struct PerimeterCommuneRow<'a> {
    /// The commune.
    pub commune: &'a Commune,
    /// Its indicators.
    pub area: &'a AreaIndicators,
    /// Minutes from its town hall to the MSP it reaches soonest (atlas travel times).
    pub msp_minutes: Option<f64>,
}

/// A column of [`PERIMETER_COMMUNE_COLUMNS`].
pub type PerimeterCommuneColumn = Column<for<'x, 'y> fn(&'x PerimeterCommuneRow<'y>) -> Prop<'x>>;

/// The columns of a perimeter's communes (`/api/perimeter?rows=communes&format=csv|geojson`):
/// the commune's indicators as `/api/indicators` names them, with its département, EPCI,
/// zoning class and minutes to the soonest MSP.
pub static PERIMETER_COMMUNE_COLUMNS: &[PerimeterCommuneColumn] = &[
    Column { name: "code", description: "INSEE commune code", value: |r| Prop::Text(&r.commune.code) },
    Column { name: "name", description: "Commune name", value: |r| Prop::Text(&r.commune.name) },
    Column { name: "dep", description: "Département code", value: |r| Prop::Text(&r.commune.dep) },
    Column { name: "epci", description: "SIREN of its EPCI", value: |r| Prop::optional(r.commune.epci.as_deref(), Prop::Text) },
    Column { name: "population", description: "Population municipale", value: |r| Prop::Uint(r.area.population) },
    Column { name: "gp", description: "GP head count", value: |r| Prop::optional(r.area.gp, Prop::Uint) },
    Column { name: "gp_near_retirement", description: "GPs near retirement (55+): a count, or an expected value when gp_near_retirement_estimated", value: |r| Prop::optional(r.area.gp_near_retirement, Prop::Number) },
    Column { name: "gp_near_retirement_estimated", description: "True when gp_near_retirement is estimated (GPs × département share of physicians aged 55+)", value: |r| Prop::Bool(r.area.gp_near_retirement_estimated) },
    Column { name: "gp_per_10k", description: "GPs per 10,000 inhabitants", value: |r| Prop::optional(r.area.gp_per_10k, Prop::Number) },
    Column { name: "near_retirement_share", description: "Share of GPs near retirement, 0-1", value: |r| Prop::optional(r.area.near_retirement_share, Prop::Number) },
    Column { name: "apl", description: "APL computed by medatlas (DREES method)", value: |r| Prop::optional(r.area.apl, Prop::Number) },
    Column { name: "apl_official", description: "DREES's published APL", value: |r| Prop::optional(r.area.apl_official, Prop::Number) },
    Column { name: "apl_official_year", description: "Vintage of apl_official", value: |r| Prop::optional(r.area.apl_official_year, |y| Prop::Uint(u64::from(y))) },
    Column { name: "zoning", description: "ARS zoning class (ZIP, ZAC, HZ; empty: none in the source)", value: |r| Prop::optional(r.commune.zoning.as_ref(), |z| Prop::Text(z.as_str())) },
    Column { name: "msp_count", description: "MSP sites in the commune", value: |r| Prop::Uint(r.area.msp_count) },
    Column { name: "msp_minutes", description: "Minutes from the town hall to the MSP reached soonest (atlas travel times); empty: none reachable", value: |r| Prop::optional(r.msp_minutes, Prop::Number) },
    Column { name: "synthetic", description: "True when the GP counts come from a model", value: |r| Prop::Bool(r.area.synthetic) },
    Column { name: "missing", description: "Why a field is null, by field", value: |r| Prop::Reasons(&r.area.missing) },
];

/// A perimeter's communes as CSV, or as GeoJSON (their polygons, `meta` as a foreign member);
/// returns the row count.
pub fn write_perimeter_communes(rows: &[PerimeterCommuneRow<'_>], format: TableFormat, meta: Value, out: &mut dyn Write) -> Result<u64, ExportError> {
    let columns = PERIMETER_COMMUNE_COLUMNS;
    let names = names(columns);
    match format {
        TableFormat::Csv => {
            write_csv(&names, rows.iter().map(|r| columns.iter().map(|c| (c.value)(r)).collect()), out)?;
            Ok(rows.len() as u64)
        }
        TableFormat::GeoJson => {
            let mut fc = FeatureWriter::start(out, &Map::from_iter([("meta".to_string(), meta)]))?;
            for r in rows {
                let values: Vec<Prop<'_>> = columns.iter().map(|c| (c.value)(r)).collect();
                let g = (!r.commune.geometry.0.is_empty()).then_some(GeometryRef::MultiPolygon(&r.commune.geometry));
                fc.feature(Some(FeatureId::Text(&r.commune.code)), g, &Properties { names: &names, values: &values })?;
            }
            Ok(fc.finish()?)
        }
    }
}

/// What a row of [`commune_value_columns`] is made from: a commune and its value of an access
/// method.
pub struct CommuneValueRow<'a> {
    /// The commune.
    pub commune: &'a Commune,
    /// Its value, when it has one.
    pub value: Option<f64>,
    /// Why it has none.
    pub missing: Option<&'static str>,
}

/// The columns of `medatlas access --out`: the commune, then its value under the method's name
/// (`apl`, `2sfca`, …) and why it is missing.
pub fn commune_value_columns(method: Method) -> Vec<CommuneValueColumn> {
    // The value column is named after the method: one table per method, built on demand.
    let name = method.name();
    vec![
        Column { name: "code", description: "INSEE commune code", value: |r| Prop::Text(&r.commune.code) },
        Column { name: "name", description: "Commune name", value: |r| Prop::Text(&r.commune.name) },
        Column { name: "dep", description: "Département code", value: |r| Prop::Text(&r.commune.dep) },
        Column { name: "population", description: "Population municipale", value: |r| Prop::Uint(u64::from(r.commune.population)) },
        Column { name: "gp", description: "General practitioners (head count)", value: |r| Prop::optional(r.commune.gp.as_ref(), |g| Prop::Uint(u64::from(g.gp))) },
        Column { name, description: "The method's value (see the collection's unit)", value: |r| Prop::optional(r.value, Prop::Number) },
        Column { name: "missing", description: "Why the value is missing", value: |r| r.missing.map_or(Prop::Absent, Prop::Text) },
    ]
}

fn names<F>(columns: &[Column<F>]) -> Vec<&'static str> {
    columns.iter().map(|c| c.name).collect()
}

/// Writes a header and one CSV row per item of `rows` (values in the order of `names`).
pub fn write_csv<'a>(names: &[&str], rows: impl IntoIterator<Item = Vec<Prop<'a>>>, out: &mut dyn Write) -> Result<(), ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(names)?;
    for row in rows {
        w.write_record(row.iter().map(Prop::csv_cell))?;
    }
    w.flush()?;
    Ok(())
}

/// A feature's properties: `values[i]` under `names[i]`, [`Prop::Absent`] ones left out.
pub struct Properties<'a> {
    /// Property names.
    pub names: &'a [&'a str],
    /// Their values, in the same order.
    pub values: &'a [Prop<'a>],
}

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let present = self.values.iter().filter(|v| **v != Prop::Absent).count();
        let mut m = s.serialize_map(Some(present))?;
        for (k, v) in self.names.iter().zip(self.values) {
            if *v != Prop::Absent {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// A feature's id: RFC 7946 allows a number or a string.
#[derive(Debug, Clone, Copy)]
pub enum FeatureId<'a> {
    /// A number (the tiles' feature ids).
    Number(u64),
    /// A string (an area's code).
    Text(&'a str),
}

/// A feature's geometry, borrowed from the atlas.
#[derive(Debug, Clone, Copy)]
pub enum GeometryRef<'a> {
    /// Communes, départements, areas.
    MultiPolygon(&'a MultiPolygon<f64>),
    /// Sites.
    Point(&'a Point<f64>),
}

/// Streams `{"type":"FeatureCollection", <foreign members>, "features":[` … `]}`, one feature
/// per line. Geometry is written as it is: WGS84 lon/lat, full precision, rings closed as geo
/// keeps them (exterior rings counter-clockwise in the atlas, RFC 7946 §3.1.6).
pub struct FeatureWriter<'w> {
    out: &'w mut dyn Write,
    count: u64,
}

impl<'w> FeatureWriter<'w> {
    /// Starts a collection; `foreign_members` (RFC 7946 §6.1: GeoJSON readers ignore them, the
    /// metadata still travels with the data) are written before the features.
    pub fn start(out: &'w mut dyn Write, foreign_members: &Map<String, Value>) -> std::io::Result<Self> {
        out.write_all(br#"{"type":"FeatureCollection","#)?;
        for (k, v) in foreign_members {
            serde_json::to_writer(&mut *out, k)?;
            out.write_all(b":")?;
            serde_json::to_writer(&mut *out, v)?;
            out.write_all(b",")?;
        }
        out.write_all(br#""features":["#)?;
        Ok(FeatureWriter { out, count: 0 })
    }

    /// Writes one feature; a `None` geometry is `null`.
    pub fn feature(&mut self, id: Option<FeatureId<'_>>, geometry: Option<GeometryRef<'_>>, properties: &impl Serialize) -> std::io::Result<()> {
        self.out.write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *self.out, &FeatureOut { id, geometry, properties })?;
        self.count += 1;
        Ok(())
    }

    /// Closes the collection; returns the number of features. The writer is not flushed.
    pub fn finish(self) -> std::io::Result<u64> {
        self.out.write_all(b"\n]}\n")?;
        Ok(self.count)
    }
}

struct FeatureOut<'a, P> {
    id: Option<FeatureId<'a>>,
    geometry: Option<GeometryRef<'a>>,
    properties: &'a P,
}

impl<P: Serialize> Serialize for FeatureOut<'_, P> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = s.serialize_struct("Feature", 4)?;
        f.serialize_field("type", "Feature")?;
        match self.id {
            Some(FeatureId::Number(n)) => f.serialize_field("id", &n)?,
            Some(FeatureId::Text(t)) => f.serialize_field("id", t)?,
            None => f.skip_field("id")?,
        }
        f.serialize_field("geometry", &self.geometry)?;
        f.serialize_field("properties", self.properties)?;
        f.end()
    }
}

impl Serialize for GeometryRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut g = s.serialize_struct("Geometry", 2)?;
        match self {
            GeometryRef::MultiPolygon(mp) => {
                g.serialize_field("type", "MultiPolygon")?;
                g.serialize_field("coordinates", &Seq(mp.0.iter().map(PolygonCoords)))?;
            }
            GeometryRef::Point(p) => {
                g.serialize_field("type", "Point")?;
                g.serialize_field("coordinates", &[p.x(), p.y()])?;
            }
        }
        g.end()
    }
}

/// Serialises an iterator as a JSON array without collecting it.
struct Seq<I>(I);

impl<I: Iterator<Item = T> + Clone, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

struct PolygonCoords<'a>(&'a Polygon<f64>);

impl Serialize for PolygonCoords<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(std::iter::once(self.0.exterior()).chain(self.0.interiors()).map(RingCoords))
    }
}

/// geo keeps rings closed (last = first), as RFC 7946 wants.
struct RingCoords<'a>(&'a LineString<f64>);

impl Serialize for RingCoords<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.0.iter().map(|c| [c.x, c.y]))
    }
}

/// The columns of areas, without `communes` unless a basin's codes are given.
fn area_columns(communes: Option<&[String]>) -> &'static [AreaColumn] {
    if communes.is_some() { AREA_COLUMNS } else { &AREA_COLUMNS[..AREA_COLUMNS.len() - 1] }
}

/// `/api/indicators` as CSV: one row per area; the `communes` column (codes separated by
/// spaces) only when `communes` is given (a basin).
pub fn write_areas_csv(areas: &[AreaIndicators], communes: Option<&[String]>, out: &mut dyn Write) -> Result<(), ExportError> {
    let columns = area_columns(communes);
    let rows: Vec<AreaRow<'_>> = areas.iter().map(|area| AreaRow { area, communes }).collect();
    write_csv(&names(columns), rows.iter().map(|r| columns.iter().map(|c| (c.value)(r)).collect()), out)
}

/// `/api/indicators` as GeoJSON: one feature per area (id: its code; geometry:
/// [`area_geometry`], `null` when empty), `meta` as a foreign member; returns the feature count.
pub fn write_areas_geojson(
    atlas: &Atlas,
    level: Option<Level>,
    areas: &[AreaIndicators],
    communes: Option<&[String]>,
    meta: Value,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let columns = area_columns(communes);
    let names = names(columns);
    let mut fc = FeatureWriter::start(out, &Map::from_iter([("meta".to_string(), meta)]))?;
    for area in areas {
        let geometry = area_geometry(atlas, level, area);
        let row = AreaRow { area, communes };
        let values: Vec<Prop<'_>> = columns.iter().map(|c| (c.value)(&row)).collect();
        let g = (!geometry.0.is_empty()).then_some(GeometryRef::MultiPolygon(&geometry));
        fc.feature(Some(FeatureId::Text(&area.code)), g, &Properties { names: &names, values: &values })?;
    }
    Ok(fc.finish()?)
}

/// The polygon of an area: the commune's own, the département's dissolved one, or the union of
/// its communes (EPCI, basin: `level` `None`) or départements (region), computed here because
/// only GeoJSON asks for it.
pub fn area_geometry(atlas: &Atlas, level: Option<Level>, area: &AreaIndicators) -> MultiPolygon<f64> {
    let communes = || area.communes.iter().filter_map(|&i| atlas.communes().get(i));
    match level {
        Some(Level::Departement) => {
            if let Some(d) = atlas.department(&area.code) {
                return d.geometry.clone();
            }
        }
        Some(Level::Region) => {
            let mut deps: Vec<&str> = communes().map(|c| c.dep.as_str()).collect();
            deps.sort_unstable();
            deps.dedup();
            let parts: Vec<&Polygon<f64>> =
                deps.iter().filter_map(|d| atlas.department(d)).flat_map(|d| d.geometry.0.iter()).collect();
            return geo::unary_union(parts);
        }
        _ => {}
    }
    if area.communes.len() == 1 {
        return communes().next().map(|c| c.geometry.clone()).unwrap_or_else(|| MultiPolygon(vec![]));
    }
    geo::unary_union(communes().flat_map(|c| c.geometry.0.iter()))
}

/// The values of an access method per commune (`medatlas access --out`): CSV, or GeoJSON with
/// the commune polygons and, as foreign members, the method, its unit, the travel times used
/// and whether GP counts are synthetic.
pub fn write_commune_values(atlas: &Atlas, result: &MethodResult, format: TableFormat, out: &mut dyn Write) -> Result<(), ExportError> {
    let columns = commune_value_columns(result.method);
    let names = names(&columns);
    let rows = atlas
        .communes()
        .iter()
        .zip(result.values.iter().zip(&result.missing))
        .map(|(commune, (value, missing))| CommuneValueRow { commune, value: *value, missing: *missing });
    match format {
        TableFormat::Csv => {
            let rows: Vec<CommuneValueRow<'_>> = rows.collect();
            write_csv(&names, rows.iter().map(|r| columns.iter().map(|c| (c.value)(r)).collect()), out)
        }
        TableFormat::GeoJson => {
            let meta = Map::from_iter([
                ("method".to_string(), Value::from(result.method.name())),
                ("unit".to_string(), Value::from(result.unit)),
                ("travel_times".to_string(), Value::from(result.travel_kind)),
                ("travel".to_string(), Value::from(result.travel.clone())),
                ("supply".to_string(), Value::from(result.supply.clone())),
                ("synthetic_gp".to_string(), Value::from(atlas.meta.synthetic_gp)),
            ]);
            let mut fc = FeatureWriter::start(out, &meta)?;
            for row in rows {
                let values: Vec<Prop<'_>> = columns.iter().map(|c| (c.value)(&row)).collect();
                fc.feature(None, Some(GeometryRef::MultiPolygon(&row.commune.geometry)), &Properties { names: &names, values: &values })?;
            }
            fc.finish()?;
            Ok(())
        }
    }
}

/// [`write_commune_values`] to a file, in the format its extension names
/// ([`TableFormat::of_path`]).
pub fn write_commune_values_file(atlas: &Atlas, result: &MethodResult, path: &Path) -> Result<(), ExportError> {
    let format = TableFormat::of_path(path).ok_or_else(|| ExportError::UnknownFormat(path.to_path_buf()))?;
    let file = std::fs::File::create(path).map_err(|source| ExportError::Io { action: "creating", path: path.to_path_buf(), source })?;
    let mut w = std::io::BufWriter::new(file);
    write_commune_values(atlas, result, format, &mut w)?;
    w.flush().map_err(|source| ExportError::Io { action: "writing", path: path.to_path_buf(), source })
}

/// The inputs of one run of an access method, for running the same computation in another
/// tool (`medatlas access --dump-inputs`, scripts/bench_access.sh): `demand.csv` (id, value:
/// the population, standardised for APL), `supply.csv` (id, value: the GP head count, or the
/// counted activity for APL; communes with supply only) and `cost.csv` (origin, dest, cost: the
/// minutes of every pair within `params.max_minutes`), written into `dir` (created if needed).
pub fn write_method_inputs(atlas: &Atlas, params: &MethodParams, method: Method, dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io { action: "creating", path: dir.to_path_buf(), source })?;
    let communes = atlas.communes();
    let (demand, supply) = methods::demand_supply(atlas, method, params)?;
    let supply_communes: Vec<usize> = (0..communes.len()).filter(|&i| supply[i] > 0.0).collect();
    let points: Vec<Point<f64>> = communes.iter().map(|c| c.repr_point).collect();
    let costs = crate::analysis::travel::cost_table(atlas.travel_times(), &points, &supply_communes, params.max_minutes);
    let write = |name: &str, header: &[&str], rows: &mut dyn Iterator<Item = Vec<String>>| -> Result<(), ExportError> {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).map_err(|source| ExportError::Io { action: "creating", path: path.clone(), source })?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        w.write_record(header)?;
        for row in rows {
            w.write_record(&row)?;
        }
        w.flush().map_err(|source| ExportError::Io { action: "writing", path, source })
    };
    let code = |i: usize| communes[i].code.clone();
    write("demand.csv", &["id", "value"], &mut communes.iter().zip(&demand).map(|(c, d)| vec![c.code.clone(), d.to_string()]))?;
    write("supply.csv", &["id", "value"], &mut supply_communes.iter().map(|&i| vec![code(i), supply[i].to_string()]))?;
    write("cost.csv", &["origin", "dest", "cost"], &mut costs.pairs().map(|(d, s, c)| vec![code(d), code(supply_communes[s]), c.to_string()]))
}

/// A column of [`PROJECTION_COLUMNS`].
pub type ProjectionColumn = Column<for<'x> fn(&'x CommuneProjection) -> Prop<'x>>;

/// The columns of `medatlas projection --out`: one commune now and in N years, with the JSON
/// names of `/api/projection`'s rows.
pub static PROJECTION_COLUMNS: &[ProjectionColumn] = &[
    Column { name: "code", description: "INSEE commune code", value: |r| Prop::Text(&r.code) },
    Column { name: "name", description: "Commune name", value: |r| Prop::Text(&r.name) },
    Column { name: "dep", description: "Département code", value: |r| Prop::Text(&r.dep) },
    Column { name: "population", description: "Population municipale", value: |r| Prop::Uint(u64::from(r.population)) },
    Column { name: "zoning", description: "ARS zoning class today (ZIP, ZAC, HZ)", value: |r| Prop::optional(r.zoning.as_deref(), Prop::Text) },
    Column { name: "gp_now", description: "GP head count now", value: |r| Prop::optional(r.gp_now, |g| Prop::Uint(u64::from(g))) },
    Column { name: "gp_near_retirement", description: "GPs near retirement (55+): a count, or an expected value when near_retirement_estimated", value: |r| Prop::optional(r.gp_near_retirement, Prop::Number) },
    Column { name: "near_retirement_estimated", description: "True when gp_near_retirement is estimated (GPs × département share of physicians aged 55+)", value: |r| Prop::Bool(r.near_retirement_estimated) },
    Column { name: "gp_projected", description: "GPs left in N years (an expected value)", value: |r| Prop::optional(r.gp_projected, Prop::Number) },
    Column { name: "apl_now", description: "APL now (consultations / year / inhabitant)", value: |r| Prop::optional(r.apl_now, Prop::Number) },
    Column { name: "apl_projected", description: "APL in N years", value: |r| Prop::optional(r.apl_projected, Prop::Number) },
    Column { name: "apl_delta", description: "apl_projected − apl_now", value: |r| Prop::optional(r.apl_delta, Prop::Number) },
    Column { name: "apl_projected_estimated", description: "True when some GP within the catchment has an estimated near-retirement value", value: |r| Prop::Bool(r.apl_projected_estimated) },
    Column { name: "crosses_zip_criterion", description: "APL ≥ 2.5 now and under 2.5 in N years", value: |r| Prop::Bool(r.crosses_zip_criterion) },
];

/// Communes of a projection (those `keep` accepts) as CSV, or as GeoJSON with their polygons
/// and the projection's assumptions as a foreign member, to a file in the format its extension
/// names ([`TableFormat::of_path`]). Returns the number of communes written.
pub fn write_projection_file(atlas: &Atlas, projection: &Projection, keep: impl Fn(&CommuneProjection) -> bool, path: &Path) -> Result<u64, ExportError> {
    let format = TableFormat::of_path(path).ok_or_else(|| ExportError::UnknownFormat(path.to_path_buf()))?;
    let file = std::fs::File::create(path).map_err(|source| ExportError::Io { action: "creating", path: path.to_path_buf(), source })?;
    let mut w = std::io::BufWriter::new(file);
    let names = names(PROJECTION_COLUMNS);
    let rows: Vec<&CommuneProjection> = projection.communes.iter().filter(|c| keep(c)).collect();
    match format {
        TableFormat::Csv => write_csv(&names, rows.iter().map(|r| PROJECTION_COLUMNS.iter().map(|c| (c.value)(r)).collect()), &mut w)?,
        TableFormat::GeoJson => {
            let meta = Map::from_iter([
                ("assumptions".to_string(), serde_json::to_value(&projection.assumptions)?),
                ("synthetic_gp".to_string(), Value::from(atlas.meta.synthetic_gp)),
            ]);
            let mut fc = FeatureWriter::start(&mut w, &meta)?;
            for row in &rows {
                let values: Vec<Prop<'_>> = PROJECTION_COLUMNS.iter().map(|c| (c.value)(row)).collect();
                let geometry = &atlas.communes()[row.index].geometry;
                fc.feature(None, Some(GeometryRef::MultiPolygon(geometry)), &Properties { names: &names, values: &values })?;
            }
            fc.finish()?;
        }
    }
    w.flush().map_err(|source| ExportError::Io { action: "writing", path: path.to_path_buf(), source })?;
    Ok(rows.len() as u64)
}

/// Any serialisable value (an import report, export statistics) as pretty JSON in a file.
pub fn write_json_file(path: &Path, value: &(impl Serialize + ?Sized)) -> Result<(), ExportError> {
    let json = serde_json::to_string_pretty(value)?;
    std::fs::write(path, json).map_err(|source| ExportError::Io { action: "writing", path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::access::Decay;
    use std::sync::OnceLock;

    fn atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
    }

    fn area(code: &str, gp: Option<u64>) -> AreaIndicators {
        let mut missing = BTreeMap::new();
        if gp.is_none() {
            missing.insert("gp", "no GP count");
            missing.insert("apl", "not computed");
        }
        AreaIndicators {
            code: code.into(),
            name: gp.map(|_| format!("Area {code}")),
            level: "epci",
            population: 1200,
            commune_count: 3,
            gp,
            gp_near_retirement: None,
            gp_near_retirement_estimated: false,
            gp_per_10k: gp.map(|g| g as f64 * 10_000.0 / 1200.0),
            near_retirement_share: None,
            msp_count: 1,
            gp_projected: None,
            gp_per_10k_projected: None,
            apl: Some(2.75),
            apl_official: None,
            apl_official_year: None,
            synthetic: false,
            low_population: true,
            missing,
            communes: vec![0],
        }
    }

    #[test]
    fn area_columns_are_the_json_fields_in_order() {
        // AreaIndicators serialises its fields in declaration order: the table follows it.
        let json = serde_json::to_string(&area("200011781", Some(3))).expect("serialises");
        let mut keys: Vec<(usize, &str)> = AREA_COLUMNS[..AREA_COLUMNS.len() - 1]
            .iter()
            .map(|c| (json.find(&format!("\"{}\":", c.name)).unwrap_or(usize::MAX), c.name))
            .collect();
        assert!(keys.iter().all(|(at, _)| *at != usize::MAX), "a column is no field: {keys:?}");
        let in_table: Vec<&str> = keys.iter().map(|k| k.1).collect();
        keys.sort();
        assert_eq!(keys.iter().map(|k| k.1).collect::<Vec<_>>(), in_table);
        let fields = serde_json::to_value(area("x", None)).expect("value").as_object().map_or(0, |o| o.len());
        assert_eq!(fields, AREA_COLUMNS.len() - 1, "every field has a column");
        assert_eq!(AREA_COLUMNS.last().map(|c| c.name), Some("communes"));
    }

    #[test]
    fn areas_as_csv_render_missing_values_and_basin_codes() {
        let areas = [area("A", Some(3)), area("B", None)];
        let mut out = Vec::new();
        write_areas_csv(&areas, None, &mut out).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "code,name,level,population,commune_count,gp,gp_near_retirement,gp_near_retirement_estimated,gp_per_10k,near_retirement_share,msp_count,gp_projected,gp_per_10k_projected,apl,apl_official,apl_official_year,synthetic,low_population,missing");
        assert_eq!(lines[1], "A,Area A,epci,1200,3,3,,false,25,,1,,,2.75,,,false,true,");
        assert_eq!(lines[2], "B,,epci,1200,3,,,false,,,1,,,2.75,,,false,true,apl: not computed; gp: no GP count");
        assert_eq!(lines.len(), 3);

        let codes = vec!["03095".to_string(), "03185".to_string()];
        let mut out = Vec::new();
        write_areas_csv(&areas[..1], Some(&codes), &mut out).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.lines().next().is_some_and(|h| h.ends_with(",missing,communes")), "{text}");
        assert!(text.lines().nth(1).is_some_and(|r| r.ends_with(",03095 03185")), "{text}");
    }

    #[test]
    fn areas_as_geojson_carry_ids_meta_and_typed_properties() {
        let i = atlas().commune_index("03185").expect("Montluçon");
        let mut a = area("03185", None);
        a.communes = vec![i];
        let codes = vec!["03185".to_string()];
        let mut out = Vec::new();
        let n = write_areas_geojson(atlas(), None, std::slice::from_ref(&a), Some(&codes), serde_json::json!({"atlas": "t"}), &mut out).expect("written");
        assert_eq!(n, 1);
        let fc: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(fc["type"], "FeatureCollection");
        assert_eq!(fc["meta"]["atlas"], "t");
        let f = &fc["features"][0];
        assert_eq!(f["id"], "03185");
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
        let p = &f["properties"];
        assert!(p["name"].is_null() && p.get("name").is_some(), "a missing value is null, not left out");
        assert_eq!(p["missing"]["gp"], "no GP count");
        assert_eq!(p["communes"], serde_json::json!(["03185"]));
        assert_eq!(p["low_population"], true);
        assert_eq!(p["population"], 1200);
        // An area without communes has no geometry.
        a.communes.clear();
        let mut out = Vec::new();
        write_areas_geojson(atlas(), None, &[a], None, Value::Null, &mut out).expect("written");
        let fc: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert!(fc["features"][0]["geometry"].is_null());
        assert!(fc["features"][0]["properties"].get("communes").is_none());
    }

    fn result(method: Method) -> MethodResult {
        let n = atlas().communes().len();
        MethodResult {
            method,
            values: (0..n).map(|i| (i > 0).then_some(i as f64 / 4.0)).collect(),
            missing: (0..n).map(|i| (i == 0).then_some("no population")).collect(),
            weight: vec![1.0; n],
            unit: "units",
            travel: "estimated".into(),
            travel_kind: "estimated",
            supply: "test supply".into(),
            decay: Decay::Uniform,
            max_minutes: 20.0,
            supply_locations: 0,
            pairs: 0,
            allocated: None,
        }
    }

    #[test]
    fn commune_values_as_csv_name_the_method_column() {
        let mut out = Vec::new();
        write_commune_values(atlas(), &result(Method::TwoStep), TableFormat::Csv, &mut out).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "code,name,dep,population,gp,2sfca,missing");
        assert_eq!(lines.len(), atlas().communes().len() + 1);
        let c1 = &atlas().communes()[1];
        let gp = c1.gp.as_ref().map(|g| g.gp.to_string()).unwrap_or_default();
        assert_eq!(lines[2], format!("{},{},{},{},{gp},0.25,", c1.code, c1.name, c1.dep, c1.population));
        assert!(lines[1].ends_with(",,no population"), "{}", lines[1]);
    }

    #[test]
    fn commune_values_as_geojson_carry_the_method_and_leave_out_absent_reasons() {
        let mut out = Vec::new();
        write_commune_values(atlas(), &result(Method::Apl), TableFormat::GeoJson, &mut out).expect("written");
        let fc: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(fc["method"], "apl");
        assert_eq!(fc["unit"], "units");
        assert_eq!(fc["travel_times"], "estimated");
        assert_eq!(fc["synthetic_gp"], atlas().meta.synthetic_gp);
        let features = fc["features"].as_array().expect("features");
        assert_eq!(features.len(), atlas().communes().len());
        assert!(features[0]["properties"]["apl"].is_null());
        assert_eq!(features[0]["properties"]["missing"], "no population");
        assert_eq!(features[1]["properties"]["apl"], 0.25);
        assert!(features[1]["properties"].get("missing").is_none());
        assert!(features[1].get("id").is_none());
        assert_eq!(features[1]["geometry"]["type"], "MultiPolygon");
    }

    #[test]
    fn the_format_follows_the_extension() {
        assert_eq!(TableFormat::of_path(Path::new("a/b.CSV")), Some(TableFormat::Csv));
        assert_eq!(TableFormat::of_path(Path::new("b.geojson")), Some(TableFormat::GeoJson));
        assert_eq!(TableFormat::of_path(Path::new("b.json")), Some(TableFormat::GeoJson));
        assert_eq!(TableFormat::of_path(Path::new("b.txt")), None);
        assert_eq!(TableFormat::of_path(Path::new("csv")), None);
        let err = write_commune_values_file(atlas(), &result(Method::Apl), Path::new("/nonexistent/x.txt")).unwrap_err();
        assert!(matches!(err, ExportError::UnknownFormat(_)), "{err}");
    }

    #[test]
    fn method_inputs_are_the_populations_head_counts_and_pairs_within_reach() {
        let dir = tempfile::tempdir().expect("temp dir");
        let params = MethodParams { max_minutes: 15.0, ..MethodParams::default() };
        write_method_inputs(atlas(), &params, Method::TwoStep, dir.path()).expect("written");
        let read = |name: &str| -> Vec<Vec<String>> {
            let mut r = csv::Reader::from_path(dir.path().join(name)).expect("readable");
            r.records().map(|row| row.expect("row").iter().map(str::to_string).collect()).collect()
        };
        let communes = atlas().communes();
        let demand = read("demand.csv");
        assert_eq!(demand.len(), communes.len());
        assert_eq!(demand[5], vec![communes[5].code.clone(), communes[5].population.to_string()]);
        let supply = read("supply.csv");
        let with_gp: Vec<&Commune> = communes.iter().filter(|c| c.gp.as_ref().is_some_and(|g| g.gp > 0)).collect();
        assert_eq!(supply.len(), with_gp.len());
        assert_eq!(supply[0], vec![with_gp[0].code.clone(), with_gp[0].gp.as_ref().map_or(0, |g| g.gp).to_string()]);
        let cost = read("cost.csv");
        assert!(!cost.is_empty());
        let suppliers: std::collections::HashSet<&str> = with_gp.iter().map(|c| c.code.as_str()).collect();
        for row in &cost {
            let minutes: f64 = row[2].parse().expect("a number");
            assert!((0.0..=15.0).contains(&minutes), "{row:?}");
            assert!(suppliers.contains(row[1].as_str()), "{row:?}: not a supply commune");
        }
        // A commune reaches itself at the town hall: every supplier is its own destination.
        assert!(with_gp.iter().all(|c| cost.iter().any(|r| r[0] == c.code && r[1] == c.code)));
    }

    #[test]
    fn properties_leave_out_absent_values_only() {
        let reasons = BTreeMap::from([("gp", "none")]);
        let codes = vec!["a".to_string()];
        let values = [Prop::Null, Prop::Absent, Prop::Number(f64::NAN), Prop::Reasons(&reasons), Prop::Codes(&codes), Prop::Bool(true)];
        let names = ["n", "absent", "nan", "why", "codes", "b"];
        let v = serde_json::to_value(Properties { names: &names, values: &values }).expect("serialises");
        assert_eq!(v, serde_json::json!({"n": null, "nan": null, "why": {"gp": "none"}, "codes": ["a"], "b": true}));
        let cells: Vec<String> = values.iter().map(Prop::csv_cell).collect();
        assert_eq!(cells, vec!["", "", "NaN", "gp: none", "a", "true"]);
    }
}
