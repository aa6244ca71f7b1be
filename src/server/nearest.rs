//! Nearest-MSP endpoints: `GET /api/communes/{code}/nearest-msp?k=` (from the commune's town
//! hall) and `GET /api/nearest-msp?lon=&lat=&k=` (from any point on the territory). Handlers
//! parse, call [`crate::analysis::nearest`] and render; distances, minutes and order come from
//! there.

use super::extract::{ApiPath, ApiQuery};
use super::communes::{parse_coord, resolve_commune};
use super::{ApiError, AppState};
use crate::analysis::nearest::{self, DEFAULT_K, MAX_K, NearestError, NearestSite, OriginKind};
use crate::atlas::Atlas;
use axum::Json;
use axum::extract::State;
use geo::Point;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Query of `/api/communes/{code}/nearest-msp`. Strings, so that a bad value gets our message
/// rather than serde's.
#[derive(Debug, Deserialize)]
pub(super) struct CommuneQuery {
    k: Option<String>,
}

/// Query of `/api/nearest-msp`.
#[derive(Debug, Deserialize)]
pub(super) struct PointQuery {
    lon: Option<String>,
    lat: Option<String>,
    k: Option<String>,
}

/// `k` from the query: absent or empty means [`DEFAULT_K`].
fn parse_k(value: Option<&str>) -> Result<usize, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(DEFAULT_K) };
    let k = v.parse::<usize>().map_err(|_| ApiError::bad_request(format!("k={v:?} is not a whole number between 1 and {MAX_K}")))?;
    nearest::check_k(k).map_err(nearest_error)
}

fn nearest_error(e: NearestError) -> ApiError {
    match e {
        NearestError::CommuneIndex(_) => ApiError::internal(e),
        NearestError::InvalidK(_) | NearestError::InvalidPoint { .. } | NearestError::OutsideTerritory { .. } => {
            ApiError::bad_request(e.to_string())
        }
    }
}

fn site_json(atlas: &Atlas, s: &NearestSite) -> Value {
    let site = s.site;
    json!({
        "id": site.id,
        "name": site.name,
        "commune": site.commune,
        "commune_name": atlas.commune(&site.commune).map(|c| c.name.as_str()),
        "kind": site.kind,
        "location": [site.location.x(), site.location.y()],
        "location_quality": s.location_quality,
        "distance_m": s.distance_m,
        "minutes": s.minutes,
        "in_origin_commune": s.in_origin_commune,
    })
}

/// The answer shared by both endpoints; `note` (absent otherwise) says why `sites` is empty.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NearestMsp)]
pub(super) struct NearestAnswer {
    /// The origin: the commune and its point (`point_kind`: town hall or a point inside), or
    /// the point given and the commune it lies in.
    #[schema(value_type = super::schemas::Object)]
    from: Value,
    k: usize,
    /// `estimated` or `matrix`: where the minutes come from.
    travel_times: &'static str,
    /// The travel-time source in words.
    travel_model: String,
    /// How `distance_m` is measured.
    distance: &'static str,
    /// The k nearest MSP, nearest first.
    #[schema(value_type = Vec<super::schemas::NearestSite>)]
    sites: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn body(atlas: &Atlas, from: Value, k: usize, found: &[NearestSite]) -> Json<NearestAnswer> {
    let note = found.is_empty().then(|| {
        format!("this atlas ({}) holds no MSP site: load some (FINESS, GeoJSON sites, SanteScope) to get an answer", atlas.meta.name)
    });
    Json(NearestAnswer {
        from,
        k,
        travel_times: atlas.travel_times().kind(),
        travel_model: atlas.travel_times().describe(),
        distance: "great-circle (haversine) metres from the origin point to the site's location",
        sites: found.iter().map(|s| site_json(atlas, s)).collect(),
        note,
    })
}

/// `GET /api/communes/{code}/nearest-msp?k=`: from the commune's representative point.
#[utoipa::path(get, path = "/api/communes/{code}/nearest-msp", summary = "The MSP nearest to a commune", operation_id = "nearest_msp_from_commune", tag = "communes",
    params(
        ("code" = String, Path, description = "INSEE code of a current commune", example = "03185"),
        ("k" = Option<usize>, Query, description = "How many MSP (default 3)", minimum = 1, maximum = 100, example = 3),
    ),
    responses(
        (status = 200, description = "The k MSP nearest to the commune's town hall (else a point inside it)", body = NearestAnswer),
        (status = 400, description = "A malformed code, or k not a whole number from 1 to 100", body = super::error::ErrorBody),
        (status = 404, description = "No such commune in this atlas", body = super::error::ErrorBody),
    ))]
pub(super) async fn from_commune(
    State(state): State<AppState>,
    code: ApiPath<String>,
    q: ApiQuery<CommuneQuery>,
) -> Result<Json<NearestAnswer>, ApiError> {
    let ApiPath(code) = code;
    let ApiQuery(q) = q;
    let k = parse_k(q.k.as_deref())?;
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    let idx = resolve_commune(atlas, &code)?;
    let found = nearest::nearest_msp_from_commune(atlas, idx, k).map_err(nearest_error)?;
    let c = &atlas.communes()[idx];
    let from = json!({
        "commune": c.code,
        "name": c.name,
        "point": [c.repr_point.x(), c.repr_point.y()],
        "point_kind": OriginKind::of(c).as_str(),
    });
    Ok(body(atlas, from, k, &found))
}

/// `GET /api/nearest-msp?lon=&lat=&k=`: from a point on the atlas's territory.
#[utoipa::path(get, path = "/api/nearest-msp", summary = "The MSP nearest to a point", operation_id = "nearest_msp", tag = "communes",
    params(
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees", minimum = -180, maximum = 180, example = 2.6),
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees", minimum = -90, maximum = 90, example = 46.34),
        ("k" = Option<usize>, Query, description = "How many MSP (default 3)", minimum = 1, maximum = 100, example = 3),
    ),
    responses(
        (status = 200, description = "The k MSP nearest to the point", body = NearestAnswer),
        (status = 400, description = "A coordinate missing or out of range, a point more than 50 km from the atlas's territory, or k not a whole number from 1 to 100", body = super::error::ErrorBody),
    ))]
pub(super) async fn from_point(
    State(state): State<AppState>,
    q: ApiQuery<PointQuery>,
) -> Result<Json<NearestAnswer>, ApiError> {
    let ApiQuery(q) = q;
    let lon = parse_coord(q.lon.as_deref(), "lon", 180.0)?;
    let lat = parse_coord(q.lat.as_deref(), "lat", 90.0)?;
    let k = parse_k(q.k.as_deref())?;
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    let point = Point::new(lon, lat);
    let commune = nearest::check_on_territory(atlas, point).map_err(nearest_error)?;
    let found = nearest::nearest_msp(atlas, point, k).map_err(nearest_error)?;
    let from = json!({
        "point": [lon, lat],
        "commune": commune.map(|c| c.code.as_str()),
        "name": commune.map(|c| c.name.as_str()),
    });
    Ok(body(atlas, from, k, &found))
}
