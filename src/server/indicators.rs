//! Indicator endpoints: densities and the retirement projection by area
//! (`GET /api/indicators`), as JSON, CSV or GeoJSON, and what they share with the perimeter's
//! diagnostic (`POST /api/indicators/basin`, `GET /api/perimeter`: [`super::perimeter`]).
//! Handlers parse, call [`crate::analysis::density`] and render; they compute no indicator
//! themselves.

use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState};
use crate::analysis::CommuneAccess;
use crate::analysis::density::{self, AreaFilter, AreaIndicators, BasinError, DensityError, DensityOptions, Level};
use crate::analysis::retirement::{self, RetirementError, RetirementParams};
use crate::atlas::Atlas;
use crate::tiles::properties;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use serde_json::{Value, json};

/// Largest basin request body: 1 MiB holds every commune code of France (about 300 kB) or a
/// detailed polygon, and bounds the work one request can ask for.
pub(super) const BASIN_BODY_LIMIT: usize = 1024 * 1024;

/// At most this many bad codes are spelled out in an error; the rest are counted.
const MAX_LISTED_BAD_CODES: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Json,
    Csv,
    GeoJson,
}

/// `?format=` wins; else the first media type of `Accept` we produce; else JSON.
pub(super) fn format_of(param: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
    if let Some(f) = param {
        return match f.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "geojson" => Ok(Format::GeoJson),
            _ => Err(ApiError::bad_request(format!("unknown format {f:?}: expected one of json, csv, geojson"))),
        };
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    for range in accept.split(',') {
        let media = range.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match media.as_str() {
            "text/csv" => return Ok(Format::Csv),
            "application/geo+json" => return Ok(Format::GeoJson),
            "application/json" => return Ok(Format::Json),
            _ => {}
        }
    }
    Ok(Format::Json)
}

/// Query parameters shared by both endpoints. Strings, so that a bad value gets our message
/// rather than serde's.
#[derive(Debug, Deserialize)]
pub(super) struct OptionsQuery {
    pub(super) format: Option<String>,
    min_population: Option<String>,
    years: Option<String>,
    horizon: Option<String>,
    replacement: Option<String>,
}

/// Query parameters of `GET /api/indicators`.
#[derive(Debug, Deserialize)]
pub(super) struct IndicatorsQuery {
    level: Option<String>,
    dep: Option<String>,
    region: Option<String>,
    #[serde(flatten)]
    options: OptionsQuery,
}

/// A parameter's value, with an empty one (`dep=` from a form) taken as absent.
pub(super) fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn number(v: &Option<String>, name: &str, default: f64) -> Result<f64, ApiError> {
    match given(v) {
        None => Ok(default),
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ApiError::bad_request(format!("{name}={s:?} is not a number"))),
    }
}

pub(super) fn options(q: &OptionsQuery) -> Result<DensityOptions, ApiError> {
    let low_population_threshold = match given(&q.min_population) {
        None => density::DEFAULT_LOW_POPULATION,
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("min_population={s:?} is not a whole number ≥ 0")))?,
    };
    let d = RetirementParams::default();
    let years = number(&q.years, "years", d.years)?;
    let horizon = number(&q.horizon, "horizon", d.departure_horizon_years)?;
    let replacement = number(&q.replacement, "replacement", d.replacement_rate)?;
    let retirement = RetirementParams::new(years, horizon, replacement).map_err(|e| {
        let param = match e {
            RetirementError::Years(_) => "years",
            RetirementError::Horizon(_) => "horizon",
            RetirementError::Replacement(_) => "replacement",
        };
        ApiError::bad_request(format!("parameter {param}: {e}"))
    })?;
    Ok(DensityOptions { low_population_threshold, retirement })
}

fn density_error(e: DensityError) -> ApiError {
    match e {
        DensityError::UnknownDepartment(_) | DensityError::UnknownRegion(_) => ApiError::not_found(e.to_string()),
        DensityError::Retirement(_) => ApiError::bad_request(e.to_string()),
    }
}

pub(super) fn basin_error(e: BasinError) -> ApiError {
    match e {
        BasinError::CommuneIndex(_) => ApiError::internal(e),
        _ => ApiError::bad_request(e.to_string()),
    }
}


/// The `meta` of every indicator answer: the atlas, the projection's parameters, how the APL
/// was computed (null without it), the formulas, and what one endpoint adds (`filter` and
/// `communes_without_area` for `/api/indicators`, `selection` for a basin), absent elsewhere.
#[derive(Serialize)]
pub(super) struct IndicatorsMeta {
    atlas: String,
    synthetic_gp: bool,
    near_retirement_estimated: bool,
    gp_notes: Vec<String>,
    projection: ProjectionMeta,
    low_population_threshold: u64,
    access: Option<AccessMeta>,
    pub(super) formulas: BTreeMap<&'static str, &'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<FilterMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    communes_without_area: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) selection: Option<SelectionMeta>,
}

#[derive(Serialize)]
struct ProjectionMeta {
    years: f64,
    departure_horizon_years: f64,
    replacement_rate: f64,
    model: &'static str,
}

#[derive(Serialize)]
struct AccessMeta {
    indicator: &'static str,
    method: &'static str,
    unit: &'static str,
    travel_times: &'static str,
    travel: String,
    official: &'static str,
    supply: String,
}

#[derive(Serialize)]
struct FilterMeta {
    dep: Option<String>,
    region: Option<String>,
}

/// How a basin's communes were chosen; `rule` only for a polygon.
#[derive(Serialize)]
pub(super) struct SelectionMeta {
    pub(super) by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) rule: Option<&'static str>,
    /// The EPCI or département selected whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) code: Option<String>,
}

impl IndicatorsMeta {
    /// As GeoJSON's foreign member (`properties::write_areas_geojson` takes a JSON value).
    pub(super) fn to_value(&self) -> Result<Value, ApiError> {
        serde_json::to_value(self).map_err(ApiError::internal)
    }
}

pub(super) fn meta(atlas: &Atlas, opts: &DensityOptions, access: Option<&CommuneAccess>) -> IndicatorsMeta {
    let p = &opts.retirement;
    IndicatorsMeta {
        atlas: atlas.meta.name.clone(),
        synthetic_gp: atlas.meta.synthetic_gp,
        near_retirement_estimated: atlas.meta.near_retirement_estimated,
        gp_notes: atlas.meta.gp_notes(),
        projection: ProjectionMeta {
            years: p.years,
            departure_horizon_years: p.departure_horizon_years,
            replacement_rate: p.replacement_rate,
            model: retirement::MODEL,
        },
        low_population_threshold: opts.low_population_threshold,
        access: access.map(|a| AccessMeta {
            indicator: "apl",
            method: "DREES APL: E2SFCA between communes, decay 1 / 2/3 / 1/3 up to 10 / 15 / 20 min, 0 beyond; \
each GP counts its activity (which GPs and which activity: see `supply`); \
residents and GPs at the town hall; aggregates weighted by population",
            unit: "consultations per year per standardised inhabitant",
            travel_times: atlas.travel_times().kind(),
            travel: a.travel.clone(),
            official: "apl_official: DREES's published APL (vintage in apl_official_year), weighted by the sheet's standardised population",
            supply: a.supply.clone(),
        }),
        formulas: density::FORMULAS.iter().copied().collect(),
        filter: None,
        communes_without_area: None,
        selection: None,
    }
}

/// `GET /api/indicators`: one row per area of a level.
#[utoipa::path(get, path = "/api/indicators", summary = "Indicators per area of a level (JSON, CSV, GeoJSON)", tag = "indicators",
    params(
        ("level" = Option<super::schemas::LevelName>, Query, description = "Level of the areas (default departement)", example = "departement"),
        ("dep" = Option<String>, Query, description = "Only areas with a commune in this département", example = "03"),
        ("region" = Option<String>, Query, description = "Only areas with a commune in this region"),
        super::schemas::IndicatorOptions,
    ),
    responses(
        (status = 200, description = "Densities and the retirement projection per area (real counts, estimated near-retirement where flagged, synthetic when the atlas is)", content(
            (super::schemas::Indicators = "application/json"),
            (String = "text/csv"),
            (super::schemas::Object = "application/geo+json"),
        )),
        (status = 400, description = "An unknown level or format, or a parameter out of its range", body = super::error::ErrorBody),
        (status = 404, description = "An unknown département or region", body = super::error::ErrorBody),
        (status = 405, description = "Another method than GET on this path (with Allow)", body = super::error::ErrorBody),
    ))]
pub(super) async fn indicators(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: ApiQuery<IndicatorsQuery>,
) -> Result<Response, ApiError> {
    let ApiQuery(q) = q;
    let level = match given(&q.level) {
        None => Level::Departement,
        Some(s) => s.parse::<Level>().map_err(|e| ApiError::bad_request(e.to_string()))?,
    };
    let format = format_of(given(&q.options.format), &headers)?;
    let opts = options(&q.options)?;
    let filter = AreaFilter { dep: given(&q.dep).map(str::to_string), region: given(&q.region).map(str::to_string) };
    let snapshot = state.snapshot();
    let access = snapshot.access();
    let areas = density::areas(&snapshot.atlas, level, &filter, access, &opts).map_err(density_error)?;
    let mut meta = meta(&snapshot.atlas, &opts, access);
    meta.filter = Some(FilterMeta { dep: filter.dep.clone(), region: filter.region.clone() });
    // Communes in no area of this level (no EPCI...) are named, not silently dropped.
    meta.communes_without_area = Some(
        density::communes_without_area(&snapshot.atlas, level, &filter).iter().map(|&i| snapshot.atlas.communes()[i].code.clone()).collect(),
    );
    match format {
        Format::Json => Ok(Json(json!({ "level": level, "count": areas.len(), "meta": meta, "areas": areas })).into_response()),
        Format::Csv => csv_response(&areas, None),
        Format::GeoJson => {
            let body = tokio::task::spawn_blocking(move || geojson_response(&snapshot.atlas, Some(level), &areas, None, meta))
                .await
                .map_err(ApiError::internal)??;
            Ok(body)
        }
    }
}

/// `GET /api/communes/{code}/indicators?format=json|csv|geojson`: one commune's row of
/// `/api/indicators?level=commune`, as a link the viewer's panel offers for download.
#[utoipa::path(get, path = "/api/communes/{code}/indicators", summary = "One commune's indicators (JSON, CSV, GeoJSON)", operation_id = "commune_indicators", tag = "indicators",
    params(
        ("code" = String, Path, description = "INSEE code of a current commune", example = "03185"),
        super::schemas::IndicatorOptions,
    ),
    responses(
        (status = 200, description = "The commune's row of the indicators", content(
            (super::schemas::Indicators = "application/json"),
            (String = "text/csv"),
            (super::schemas::Object = "application/geo+json"),
        )),
        (status = 400, description = "A malformed code, an unknown format, or a parameter out of its range", body = super::error::ErrorBody),
        (status = 404, description = "No such commune in this atlas", body = super::error::ErrorBody),
    ))]
pub(super) async fn commune(
    State(state): State<AppState>,
    headers: HeaderMap,
    code: ApiPath<String>,
    q: ApiQuery<OptionsQuery>,
) -> Result<Response, ApiError> {
    let ApiPath(code) = code;
    let ApiQuery(q) = q;
    let format = format_of(given(&q.format), &headers)?;
    let opts = options(&q)?;
    let snapshot = state.snapshot();
    let i = super::communes::resolve_commune(&snapshot.atlas, &code)?;
    let access = snapshot.access();
    let area = density::commune(&snapshot.atlas, i, access, &opts).map_err(density_error)?;
    let meta = meta(&snapshot.atlas, &opts, access);
    match format {
        Format::Json => Ok(Json(json!({ "level": Level::Commune, "meta": meta, "area": area })).into_response()),
        Format::Csv => csv_response(std::slice::from_ref(&area), None),
        Format::GeoJson => geojson_response(&snapshot.atlas, Some(Level::Commune), std::slice::from_ref(&area), None, meta),
    }
}

/// 405 with a JSON body and `Allow` (axum's own answer has an empty body).
/// Any method but GET on `/api/indicators`.
pub(super) async fn get_only() -> Response {
    super::error::method_not_allowed("GET, HEAD", "/api/indicators")
}

/// Any method but POST on `/api/indicators/basin`.
pub(super) async fn post_only() -> Response {
    super::error::method_not_allowed("POST", "/api/indicators/basin")
}

/// Atlas indexes of the given codes ([`Atlas::resolve_commune_list`]): any code that names no
/// commune makes the request a 400 naming it.
pub(super) fn resolve_codes(atlas: &Atlas, codes: &[String]) -> Result<Vec<usize>, ApiError> {
    if codes.is_empty() {
        return Err(ApiError::bad_request("codes is empty: give at least one INSEE commune code"));
    }
    let (found, rejected) = atlas.resolve_commune_list(codes);
    if rejected.is_empty() {
        return Ok(found);
    }
    let bad: Vec<String> = rejected.iter().map(|(raw, e)| format!("{raw}: {e}")).collect();
    let more = bad.len().saturating_sub(MAX_LISTED_BAD_CODES);
    let mut message = format!("{} invalid commune code(s): {}", bad.len(), bad[..bad.len().min(MAX_LISTED_BAD_CODES)].join("; "));
    if more > 0 {
        message.push_str(&format!("; and {more} more"));
    }
    Err(ApiError::bad_request(message))
}

/// A GeoJSON Polygon or MultiPolygon (or a Feature holding one, when `feature_allowed`) as lon/lat
/// polygons. Read by hand: the `geojson` crate's conversion panics on a position with fewer
/// than two numbers, which a client controls.
pub(super) fn polygon_of(v: &Value, feature_allowed: bool) -> Result<MultiPolygon<f64>, String> {
    let kind = v.get("type").and_then(Value::as_str).ok_or("expected a GeoJSON object with a \"type\"")?;
    let coordinates = || v.get("coordinates").ok_or(format!("{kind} without \"coordinates\""));
    match kind {
        "Feature" if feature_allowed => match v.get("geometry") {
            Some(g) if !g.is_null() => polygon_of(g, false),
            _ => Err("the Feature has no geometry".into()),
        },
        "Polygon" => Ok(MultiPolygon(vec![polygon(coordinates()?)?])),
        "MultiPolygon" => {
            let polys = coordinates()?.as_array().ok_or("MultiPolygon coordinates must be an array of polygons")?;
            Ok(MultiPolygon(polys.iter().map(polygon).collect::<Result<_, _>>()?))
        }
        other => Err(format!("expected a Polygon or MultiPolygon geometry, or a Feature holding one; got {other:?}")),
    }
}

fn polygon(v: &Value) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("polygon coordinates must be an array of rings")?;
    let (exterior, holes) = rings.split_first().ok_or("a polygon needs an exterior ring")?;
    Ok(Polygon::new(ring(exterior)?, holes.iter().map(ring).collect::<Result<_, _>>()?))
}

fn ring(v: &Value) -> Result<LineString<f64>, String> {
    let positions = v.as_array().ok_or("a ring must be an array of [lon, lat] positions")?;
    positions
        .iter()
        .map(|p| {
            let xy = p.as_array().filter(|a| a.len() >= 2);
            match xy.map(|a| (a[0].as_f64(), a[1].as_f64())) {
                Some((Some(x), Some(y))) if x.abs() <= 180.0 && y.abs() <= 90.0 => Ok(Coord { x, y }),
                Some((Some(_), Some(_))) => Err(format!("position {p} is not [lon, lat] in WGS84 degrees")),
                _ => Err(format!("position {p} is not [lon, lat]")),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString)
}

/// Areas as GeoJSON ([`properties::write_areas_geojson`]: the same columns as the CSV).
pub(super) fn geojson_response(
    atlas: &Atlas,
    level: Option<Level>,
    areas: &[AreaIndicators],
    communes: Option<&[String]>,
    meta: IndicatorsMeta,
) -> Result<Response, ApiError> {
    let mut body = Vec::new();
    properties::write_areas_geojson(atlas, level, areas, communes, meta.to_value()?, &mut body).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"))], body).into_response())
}

/// Areas as CSV ([`properties::write_areas_csv`]).
pub(super) fn csv_response(areas: &[AreaIndicators], communes: Option<&[String]>) -> Result<Response, ApiError> {
    let mut body = Vec::new();
    properties::write_areas_csv(areas, communes, &mut body).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"))], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_and_format_parameter_choose_the_output() {
        let mut h = HeaderMap::new();
        assert_eq!(format_of(None, &h).ok(), Some(Format::Json));
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html, text/csv;q=0.9"));
        assert_eq!(format_of(None, &h).ok(), Some(Format::Csv));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/geo+json"));
        assert_eq!(format_of(None, &h).ok(), Some(Format::GeoJson));
        assert_eq!(format_of(Some("JSON"), &h).ok(), Some(Format::Json));
        assert!(format_of(Some("xml"), &h).is_err());
    }

    #[test]
    fn polygons_are_read_without_panicking_on_short_positions() {
        let square = json!({"type": "Polygon", "coordinates": [[[2.5, 46.3], [2.7, 46.3], [2.7, 46.4], [2.5, 46.3]]]});
        assert_eq!(polygon_of(&square, true).map(|m| m.0.len()), Ok(1));
        let feature = json!({"type": "Feature", "properties": {}, "geometry": square});
        assert!(polygon_of(&feature, true).is_ok());
        let nested = json!({"type": "Feature", "geometry": feature});
        assert!(polygon_of(&nested, true).is_err());
        for bad in [
            json!({"type": "Polygon", "coordinates": [[[2.5], [2.7, 46.3]]]}),
            json!({"type": "Polygon", "coordinates": []}),
            json!({"type": "Polygon", "coordinates": [[[700000.0, 6600000.0]]]}),
            json!({"type": "Point", "coordinates": [2.5, 46.3]}),
            json!({"coordinates": []}),
            json!("Polygon"),
        ] {
            assert!(polygon_of(&bad, true).is_err(), "{bad}");
        }
    }
}
