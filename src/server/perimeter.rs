//! The perimeter's diagnostic: `POST /api/indicators/basin` (a body with `codes`, `polygon`,
//! `epci` or `dep`) and `GET /api/perimeter?codes=…|epci=…|dep=…`, the link that reopens a
//! selection and answers the same. JSON (the basin's indicators, its communes, the diagnostic
//! of [`crate::analysis::perimeter`] and the link), CSV or GeoJSON of the perimeter as one row
//! (default) or of its communes (`rows=communes`).

use super::extract::ApiQuery;
use super::indicators::{self, Format, OptionsQuery, SelectionMeta, given};
use super::{ApiError, AppState, Snapshot};
use crate::analysis::density;
use crate::analysis::perimeter::{self, PerimeterError};
use crate::tiles::properties::{self, PerimeterCommuneRow, TableFormat};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Longest perimeter name accepted, in characters.
const MAX_NAME_CHARS: usize = 200;

/// The rule of a polygon selection, stated in `meta.selection.rule`.
const POLYGON_RULE: &str =
    "a commune is in the basin when its representative point (the town hall, else a point inside it) lies in the polygon or on its edge";

/// How the communes of a perimeter are given.
#[derive(Debug)]
enum Selection {
    /// INSEE codes as users type them.
    Codes(Vec<String>),
    /// A GeoJSON polygon (POST only).
    Polygon(Value),
    /// Every commune of an EPCI (SIREN).
    Epci(String),
    /// Every commune of a département.
    Dep(String),
}

/// The one selection among the given ones; none, or more than one, is a 400.
fn one_selection(codes: Option<Vec<String>>, polygon: Option<Value>, epci: Option<String>, dep: Option<String>) -> Result<Selection, ApiError> {
    let mut given: Vec<(&str, Selection)> = Vec::new();
    if let Some(c) = codes {
        given.push(("codes", Selection::Codes(c)));
    }
    if let Some(p) = polygon {
        given.push(("polygon", Selection::Polygon(p)));
    }
    if let Some(e) = epci.filter(|e| !e.trim().is_empty()) {
        given.push(("epci", Selection::Epci(e.trim().to_string())));
    }
    if let Some(d) = dep.filter(|d| !d.trim().is_empty()) {
        given.push(("dep", Selection::Dep(d.trim().to_string())));
    }
    match given.len() {
        0 => Err(ApiError::bad_request(
            "give codes (a list of INSEE commune codes), polygon (a GeoJSON Polygon or MultiPolygon, or a Feature holding one), \
epci (the SIREN of an EPCI) or dep (a département code)",
        )),
        1 => Ok(given.remove(0).1),
        _ => {
            let names: Vec<&str> = given.iter().map(|(n, _)| *n).collect();
            Err(ApiError::bad_request(format!("give one of codes, polygon, epci or dep, not both: got {}", names.join(" and "))))
        }
    }
}

/// Which rows a CSV or GeoJSON answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// One row: the perimeter (its communes' codes in a column).
    Perimeter,
    /// One row per commune of the perimeter.
    Communes,
}

fn rows_of(v: &Option<String>) -> Result<Rows, ApiError> {
    match given(v) {
        None | Some("perimeter") => Ok(Rows::Perimeter),
        Some("communes") => Ok(Rows::Communes),
        Some(other) => Err(ApiError::bad_request(format!("rows={other:?}: expected perimeter (one row) or communes (one row per commune)"))),
    }
}

/// Query of `POST /api/indicators/basin`: the indicator options and `rows`.
#[derive(Debug, Deserialize)]
pub(super) struct BasinQuery {
    rows: Option<String>,
    #[serde(flatten)]
    options: OptionsQuery,
}

/// Body of `POST /api/indicators/basin`: one of `codes`, `polygon`, `epci`, `dep`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BasinRequest {
    name: Option<String>,
    codes: Option<Vec<String>>,
    polygon: Option<Value>,
    epci: Option<String>,
    dep: Option<String>,
}

/// Query of `GET /api/perimeter`: one of `codes` (comma-separated), `epci`, `dep`; `name`,
/// `rows` and the indicator options.
#[derive(Debug, Deserialize)]
pub(super) struct PerimeterQuery {
    codes: Option<String>,
    epci: Option<String>,
    dep: Option<String>,
    name: Option<String>,
    rows: Option<String>,
    #[serde(flatten)]
    options: OptionsQuery,
}

/// `POST /api/indicators/basin`: the indicators and diagnostic of the communes given by code, by
/// polygon, or as a whole EPCI or département.
/// `POST /api/indicators/basin`: the indicators and diagnostic of the communes selected by
/// codes, polygon, EPCI or département.
#[utoipa::path(post, path = "/api/indicators/basin", summary = "Indicators and diagnostic of a perimeter", tag = "indicators",
    params(super::schemas::IndicatorOptions),
    request_body(content = super::schemas::BasinRequest, description = "The perimeter: one of codes, polygon, epci or dep (at most 1 MiB)"),
    responses(
        (status = 200, description = "The perimeter's indicators, its diagnostic beside its départements and regions, its link; or one row per commune (rows=communes)", content(
            (super::schemas::Object = "application/json"),
            (String = "text/csv"),
            (super::schemas::Object = "application/geo+json"),
        )),
        (status = 400, description = "None or several of codes, polygon, epci and dep; an unknown code; a bad polygon; a name too long; a body of the wrong shape", body = super::error::ErrorBody),
        (status = 405, description = "Another method than POST on this path (with Allow)", body = super::error::ErrorBody),
        (status = 413, description = "A body over 1 MiB", body = super::error::ErrorBody),
        (status = 415, description = "A body that is not JSON", body = super::error::ErrorBody),
    ))]
pub(super) async fn basin(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: ApiQuery<BasinQuery>,
    body: Result<Json<BasinRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ApiQuery(q) = q;
    // The query first: a bad option answers before the body is looked at.
    let format = indicators::format_of(given(&q.options.format), &headers)?;
    let rows = rows_of(&q.rows)?;
    let Json(body) = body.map_err(|e| super::error::json_body_error(e, ""))?;
    let selection = one_selection(body.codes, body.polygon, body.epci, body.dep)?;
    answer(&state, format, rows, &q.options, body.name, selection).await
}

/// `GET /api/perimeter`: the same answer as `POST /api/indicators/basin` for a selection by codes,
/// EPCI or département; the `link` of every answer.
/// `GET /api/perimeter`: the same answer as the basin, for a link that reopens a perimeter.
#[utoipa::path(get, path = "/api/perimeter", summary = "A perimeter's indicators, as a link", tag = "indicators",
    params(super::schemas::PerimeterSelection, super::schemas::IndicatorOptions),
    responses(
        (status = 200, description = "As POST /api/indicators/basin", content(
            (super::schemas::Object = "application/json"),
            (String = "text/csv"),
            (super::schemas::Object = "application/geo+json"),
        )),
        (status = 400, description = "None or several of codes, epci and dep; an unknown code, EPCI or département", body = super::error::ErrorBody),
        (status = 405, description = "Another method than GET on this path (with Allow)", body = super::error::ErrorBody),
    ))]
pub(super) async fn perimeter(State(state): State<AppState>, headers: HeaderMap, q: ApiQuery<PerimeterQuery>) -> Result<Response, ApiError> {
    let ApiQuery(q) = q;
    let format = indicators::format_of(given(&q.options.format), &headers)?;
    let rows = rows_of(&q.rows)?;
    let codes = given(&q.codes).map(|c| c.split([',', ' ', ';']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect());
    let selection = one_selection(codes, None, q.epci, q.dep)?;
    answer(&state, format, rows, &q.options, q.name, selection).await
}

/// Any method but GET on `/api/perimeter`.
pub(super) async fn get_only() -> Response {
    super::error::method_not_allowed("GET, HEAD", "/api/perimeter")
}

fn perimeter_error(e: PerimeterError) -> ApiError {
    match e {
        PerimeterError::CommuneIndex(_) => ApiError::internal(e),
        _ => ApiError::bad_request(e.to_string()),
    }
}

/// The communes of a selection, how they were chosen, and the query string that reopens it.
async fn resolve(snapshot: &Arc<Snapshot>, selection: Selection) -> Result<(Vec<usize>, SelectionMeta), ApiError> {
    let atlas = &snapshot.atlas;
    Ok(match selection {
        Selection::Codes(codes) => (indicators::resolve_codes(atlas, &codes)?, SelectionMeta { by: "codes", rule: None, code: None }),
        Selection::Polygon(polygon) => {
            let polygon = indicators::polygon_of(&polygon, true).map_err(|e| ApiError::bad_request(format!("polygon: {e}")))?;
            let snap = Arc::clone(snapshot);
            // Validating a large polygon is quadratic at worst: off the async workers.
            let found = tokio::task::spawn_blocking(move || density::communes_in_polygon(&snap.atlas, &polygon))
                .await
                .map_err(ApiError::internal)?
                .map_err(indicators::basin_error)?;
            (found, SelectionMeta { by: "polygon", rule: Some(POLYGON_RULE), code: None })
        }
        Selection::Epci(code) => {
            (perimeter::communes_of_epci(atlas, &code).map_err(perimeter_error)?, SelectionMeta { by: "epci", rule: None, code: Some(code) })
        }
        Selection::Dep(code) => (
            perimeter::communes_of_departement(atlas, &code).map_err(perimeter_error)?,
            SelectionMeta { by: "dep", rule: None, code: Some(code) },
        ),
    })
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query string of `GET /api/perimeter` that selects the same communes: the EPCI or
/// département when one was selected whole, else the codes (a polygon's selection included).
fn reopening_query(selection: &SelectionMeta, codes: &[String], name: Option<&str>) -> String {
    let mut q = match (selection.by, &selection.code) {
        ("epci", Some(c)) => format!("epci={}", encode(c)),
        ("dep", Some(c)) => format!("dep={}", encode(c)),
        // Commas are kept as they are: the list stays readable in the address bar.
        _ => format!("codes={}", codes.iter().map(|c| encode(c)).collect::<Vec<_>>().join(",")),
    };
    if let Some(n) = name {
        q.push_str(&format!("&name={}", encode(n)));
    }
    q
}

async fn answer(state: &AppState, format: Format, rows: Rows, options: &OptionsQuery, name: Option<String>, selection: Selection) -> Result<Response, ApiError> {
    let opts = indicators::options(options)?;
    let named = given(&name).map(str::to_string);
    if named.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS) {
        return Err(ApiError::bad_request(format!("name is longer than {MAX_NAME_CHARS} characters")));
    }
    if rows == Rows::Communes && format == Format::Json {
        return Err(ApiError::bad_request("rows=communes is for format=csv or format=geojson; the JSON answer lists the communes in `communes`"));
    }
    let snapshot = state.snapshot();
    let (communes, selection) = resolve(&snapshot, selection).await?;
    let name = named.clone().unwrap_or_else(|| "basin".to_string());
    let access = snapshot.access();
    let area = density::basin(&snapshot.atlas, &communes, &name, access, &opts).map_err(indicators::basin_error)?;
    let codes: Vec<String> = area.communes.iter().map(|&i| snapshot.atlas.communes()[i].code.clone()).collect();
    let query = reopening_query(&selection, &codes, named.as_deref());
    let mut meta = indicators::meta(&snapshot.atlas, &opts, access);
    meta.selection = Some(selection);
    meta.formulas.extend(perimeter::FORMULAS);
    match (format, rows) {
        (Format::Json, _) => {
            let snap = Arc::clone(&snapshot);
            let communes = area.communes.clone();
            // One nearest-MSP query per commune the first time, then per commune of the
            // perimeter and of its départements and regions: off the async workers.
            let body = tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
                let diagnostic = perimeter::diagnose(&snap.atlas, &communes, &name, snap.access(), &opts, snap.msp_reach()).map_err(perimeter_error)?;
                Ok(json!({
                    "level": density::BASIN_LEVEL,
                    "meta": meta,
                    "area": area,
                    "communes": codes,
                    "diagnostic": diagnostic,
                    "link": format!("/api/perimeter?{query}"),
                    "query": query,
                }))
            })
            .await
            .map_err(ApiError::internal)??;
            Ok(Json(body).into_response())
        }
        (Format::Csv, Rows::Perimeter) => indicators::csv_response(std::slice::from_ref(&area), Some(&codes)),
        (Format::GeoJson, Rows::Perimeter) => {
            tokio::task::spawn_blocking(move || {
                indicators::geojson_response(&snapshot.atlas, None, std::slice::from_ref(&area), Some(&codes), meta)
            })
            .await
            .map_err(ApiError::internal)?
        }
        (format, Rows::Communes) => {
            let table = if format == Format::Csv { TableFormat::Csv } else { TableFormat::GeoJson };
            let meta = meta.to_value()?;
            let communes = area.communes.clone();
            tokio::task::spawn_blocking(move || commune_rows(&snapshot, &communes, &opts, table, meta)).await.map_err(ApiError::internal)?
        }
    }
}

/// The perimeter's communes, one row each ([`properties::PERIMETER_COMMUNE_COLUMNS`]).
fn commune_rows(snapshot: &Snapshot, communes: &[usize], opts: &density::DensityOptions, format: TableFormat, meta: Value) -> Result<Response, ApiError> {
    let atlas = &snapshot.atlas;
    let reach = snapshot.msp_reach();
    let areas = communes
        .iter()
        .map(|&i| density::commune(atlas, i, snapshot.access(), opts).map_err(|e| ApiError::bad_request(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<PerimeterCommuneRow<'_>> = communes
        .iter()
        .zip(&areas)
        .map(|(&i, area)| PerimeterCommuneRow { commune: &atlas.communes()[i], area, msp_minutes: reach.minutes(i) })
        .collect();
    let mut body = Vec::new();
    properties::write_perimeter_communes(&rows, format, meta, &mut body).map_err(ApiError::internal)?;
    let content_type = match format {
        TableFormat::Csv => "text/csv; charset=utf-8",
        TableFormat::GeoJson => "application/geo+json",
    };
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reopening_query_names_the_whole_area_or_the_codes() {
        let codes = vec!["03185".to_string(), "2A004".to_string()];
        let by = |by: &'static str, code: Option<&str>| SelectionMeta { by, rule: None, code: code.map(String::from) };
        assert_eq!(reopening_query(&by("codes", None), &codes, None), "codes=03185,2A004");
        assert_eq!(reopening_query(&by("polygon", None), &codes, Some("Val & Côte")), "codes=03185,2A004&name=Val%20%26%20C%C3%B4te");
        assert_eq!(reopening_query(&by("epci", Some("200071082")), &codes, None), "epci=200071082");
        assert_eq!(reopening_query(&by("dep", Some("03")), &codes, None), "dep=03");
    }

    #[test]
    fn one_selection_only() {
        assert!(matches!(one_selection(Some(vec![]), None, None, None), Ok(Selection::Codes(_))));
        assert!(matches!(one_selection(None, None, Some(" 200071082 ".into()), None), Ok(Selection::Epci(c)) if c == "200071082"));
        assert!(matches!(one_selection(None, None, Some(" ".into()), Some("03".into())), Ok(Selection::Dep(_))));
        let both = one_selection(Some(vec![]), None, Some("1".into()), None).err().map(|e| e.message).unwrap_or_default();
        assert!(both.contains("not both") && both.contains("codes and epci"), "{both}");
        assert!(one_selection(None, None, None, None).is_err());
    }
}
