//! Commune endpoints and the server's own: `/health`, `/api/meta`, `/api/communes/{code}`,
//! `/api/locate`, `/api/access/compare-official`, and the helpers other handlers share
//! (commune codes from a URL, coordinates from a query, the atlas's meta block).

use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState};
use crate::atlas::{Atlas, CommuneCodeError, CommuneView, SourceInfo};
use crate::model::travel::TravelInfo;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `GET /health`: the server answers, with the size of its atlas.
#[utoipa::path(get, path = "/health", summary = "Is the server up", tag = "operations",
    responses((status = 200, description = "The server answers", body = super::schemas::Health)))]
pub(super) async fn health(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    Json(json!({ "status": "ok", "communes": atlas.communes().len(), "sites": atlas.sites().len() }))
}

/// What an answer says about the atlas it comes from (its `meta`, or `/api/meta` itself).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AtlasMeta)]
pub(super) struct AtlasMetaAnswer<'a> {
    name: &'a str,
    /// True when GP counts were generated (`--synthetic-gps`), not read from a source.
    synthetic_gp: bool,
    /// True when near-retirement GP counts are estimated (département share of GPs aged 55+).
    near_retirement_estimated: bool,
    /// The above in words, for legends and attributions.
    gp_notes: Vec<String>,
    #[schema(value_type = Vec<super::schemas::SourceInfo>)]
    sources: &'a [SourceInfo],
    #[schema(value_type = super::schemas::TravelInfo)]
    travel_times: TravelInfo,
    /// Vintages of the official DREES APL the communes carry, each once, in order.
    apl_official_years: Vec<u16>,
}

pub(super) fn meta_json(atlas: &Atlas) -> AtlasMetaAnswer<'_> {
    AtlasMetaAnswer {
        name: &atlas.meta.name,
        synthetic_gp: atlas.meta.synthetic_gp,
        near_retirement_estimated: atlas.meta.near_retirement_estimated,
        gp_notes: atlas.meta.gp_notes(),
        sources: &atlas.meta.sources,
        travel_times: atlas.travel_times().info(),
        apl_official_years: atlas.apl_official_years(),
    }
}

/// `GET /api/meta`: the atlas's meta with its commune count and its départements.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Meta)]
pub(super) struct MetaAnswer<'a> {
    #[serde(flatten)]
    atlas: AtlasMetaAnswer<'a>,
    communes: usize,
    departements: Vec<DepartementName<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct DepartementName<'a> {
    code: &'a str,
    name: &'a str,
}

/// `GET /api/communes/{code}`: everything the atlas knows about the commune, and its `meta`.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CommuneAnswer<'a> {
    #[serde(flatten)]
    #[schema(value_type = super::schemas::Commune)]
    view: CommuneView<'a>,
    meta: AtlasMetaAnswer<'a>,
}

/// `GET /api/access/compare-official`: our APL against DREES's published one, over the
/// communes that have both (404 when the atlas holds no official value).
#[utoipa::path(get, path = "/api/access/compare-official", summary = "Our APL against DREES's official APL", tag = "indicators",
    responses(
        (status = 200, description = "Our APL (estimated) against DREES's published one (real), over the communes that have both", body = super::schemas::OfficialComparison),
        (status = 404, description = "This atlas holds no official DREES APL", body = super::error::ErrorBody),
    ))]
pub(super) async fn compare_official(State(state): State<AppState>) -> Result<Json<crate::analysis::compare::OfficialComparison>, ApiError> {
    use crate::analysis::compare::{self, CompareOptions};
    let snapshot = state.snapshot();
    let access = snapshot.access().ok_or_else(|| ApiError::internal("the access baseline could not be computed"))?;
    let mut found = compare::against_official(&snapshot.atlas, &access.apl, &CompareOptions::default())
        .ok_or_else(|| ApiError::not_found("this atlas holds no official DREES APL (load a workbook with --drees-apl)"))?;
    found.rows.clear();
    Ok(Json(found))
}

/// `GET /api/meta`.
#[utoipa::path(get, path = "/api/meta", summary = "The atlas and its sources", tag = "atlas",
    responses((status = 200, description = "The atlas: its sources (real, estimated or synthetic), travel times, communes and départements", body = MetaAnswer)))]
pub(super) async fn meta(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    let departements = atlas.departments().iter().map(|d| DepartementName { code: &d.code, name: &d.name }).collect();
    Json(MetaAnswer { atlas: meta_json(atlas), communes: atlas.communes().len(), departements }).into_response()
}

/// `GET /api/communes/{code}`.
#[utoipa::path(get, path = "/api/communes/{code}", summary = "One commune", tag = "communes",
    params(("code" = String, Path, description = "INSEE code of a current commune (a string: 03185, 2A004)", example = "03185")),
    responses(
        (status = 200, description = "Everything the atlas knows about the commune, and the atlas's meta", body = CommuneAnswer),
        (status = 400, description = "A malformed code", body = super::error::ErrorBody),
        (status = 404, description = "An unknown code, an arrondissement or a merged commune: no commune of this atlas (the reason is given)", body = super::error::ErrorBody),
    ))]
pub(super) async fn commune(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> Result<Response, ApiError> {
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    let resolved = &atlas.communes()[resolve_commune(atlas, &code)?].code;
    let view = atlas.commune_view(resolved).ok_or_else(|| ApiError::not_found(format!("no commune {resolved}")))?;
    Ok(Json(CommuneAnswer { view, meta: meta_json(atlas) }).into_response())
}

/// A commune code from a URL to the commune's position, for every `/api/communes/{code}/...`
/// route: a malformed code is a bad parameter (400); an arrondissement, a merged commune or
/// an unknown code names no commune of this atlas (404), with the reason.
pub(super) fn resolve_commune(atlas: &Atlas, code: &str) -> Result<usize, ApiError> {
    atlas.resolve_commune(code).map_err(|e| match e {
        CommuneCodeError::Malformed { .. } => ApiError::bad_request(e.to_string()),
        _ => ApiError::not_found(e.to_string()),
    })
}

#[derive(Deserialize)]
pub(super) struct LocateQuery {
    lon: Option<String>,
    lat: Option<String>,
}

pub(super) fn parse_coord(value: Option<&str>, name: &str, range: f64) -> Result<f64, ApiError> {
    let v = value.ok_or_else(|| ApiError::bad_request(format!("missing parameter {name}")))?;
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() <= range => Ok(x),
        _ => Err(ApiError::bad_request(format!("{name}={v:?} is not a number within ±{range}"))),
    }
}

/// `GET /api/locate?lon=&lat=`.
#[utoipa::path(get, path = "/api/locate", summary = "The commune at a point", tag = "communes",
    params(
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees", minimum = -180, maximum = 180, example = 2.6),
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees", minimum = -90, maximum = 90, example = 46.34),
    ),
    responses(
        (status = 200, description = "The commune of this atlas at the point", body = super::schemas::Located),
        (status = 400, description = "A missing coordinate or one out of range", body = super::error::ErrorBody),
        (status = 404, description = "No commune of this atlas at the point", body = super::error::ErrorBody),
    ))]
pub(super) async fn locate(
    State(state): State<AppState>,
    q: ApiQuery<LocateQuery>,
) -> Result<Json<Value>, ApiError> {
    let ApiQuery(q) = q;
    let lon = parse_coord(q.lon.as_deref(), "lon", 180.0)?;
    let lat = parse_coord(q.lat.as_deref(), "lat", 90.0)?;
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    let c = atlas.locate(lon, lat).ok_or_else(|| ApiError::not_found(format!("no commune of this atlas at {lon}, {lat}")))?;
    Ok(Json(json!({ "code": c.code, "name": c.name, "dep": c.dep })))
}
