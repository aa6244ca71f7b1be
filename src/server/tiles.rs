//! Tile endpoints: `/tiles/{layers}/{z}/{x}/{y}.mvt` (or `.pbf`), `/tiles/{layers}.json`,
//! `/catalog`. Handlers parse, then ask the cache or the tile set; errors are JSON.

use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState};
use crate::analysis::projection::ProjectionSpec;
use crate::tiles::cache::{CacheKey, EncodedTile};
use crate::tiles::compress::Coding;
use crate::tiles::grid::{GridError, TileCoord};
use crate::tiles::{LayerId, LayerListError, parse_layer_list, tilejson};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Browsers may keep a tile 5 minutes, then revalidate it with its ETag (a reload of the atlas
/// changes only the tiles whose bytes change).
const CACHE_CONTROL: &str = "public, max-age=300";
const MVT_TYPE: &str = "application/vnd.mapbox-vector-tile";

fn layers(list: &str) -> Result<Vec<LayerId>, ApiError> {
    parse_layer_list(list).map_err(|e| match e {
        LayerListError::TooMany(m) | LayerListError::Repeated(m) => ApiError::bad_request(m),
        LayerListError::Unknown(m) => ApiError::not_found(m),
    })
}

fn grid_error(e: GridError) -> ApiError {
    match e {
        GridError::Malformed(m) => ApiError::bad_request(m),
        GridError::OutsideGrid(m) => ApiError::not_found(m),
    }
}

/// Does `If-None-Match` name this ETag (or `*`)? Weak comparison, as RFC 9110 asks for GET.
fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| {
        let t = t.trim();
        t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
    })
}

/// Query of a tile: `?scenario=<id>` gives the commune features a stored scenario's values,
/// `?projection=years[,horizon[,replacement]]` (e.g. `5,10,0.3`) the APL in N years.
#[derive(Debug, serde::Deserialize)]
pub struct TileQuery {
    scenario: Option<String>,
    projection: Option<String>,
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt`: one vector tile, cached, with an ETag.
#[utoipa::path(get, path = "/tiles/{layers}/{z}/{x}/{y}", summary = "A vector tile", tag = "tiles",
    params(
        ("layers" = super::schemas::LayerList, Path, example = "communes"),
        ("z" = u8, Path, description = "Zoom", minimum = 0, maximum = 22, example = 9),
        ("x" = u32, Path, description = "Column, 0 to 2^z − 1", example = 259),
        ("y" = String, Path, description = "Row (0 to 2^z − 1) followed by .mvt or .pbf", pattern = "^[0-9]+\\.(mvt|pbf)$", example = "181.mvt"),
        ("scenario" = Option<String>, Query, description = "A stored scenario's id: the commune features carry its values (APL after the scenario, change)"),
        ("projection" = Option<String>, Query, description = "years[,horizon[,replacement]], e.g. 5,10,0.3: the commune features carry the APL in N years; not with scenario"),
        ("Accept-Encoding" = Option<String>, Header, description = "gzip or br: the tile comes compressed (Content-Encoding)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer: 304 when unchanged"),
    ),
    responses(
        (status = 200, description = "A Mapbox Vector Tile (binary); attributes say which values are real, estimated or synthetic", content_type = "application/vnd.mapbox-vector-tile", body = inline(super::schemas::Bytes)),
        (status = 204, description = "No feature in this tile"),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "A malformed zoom, column or row, a path not ending in .mvt or .pbf, a layer listed twice or too many, a bad projection, both scenario and projection", body = super::error::ErrorBody),
        (status = 404, description = "An unknown layer, a tile outside the grid of its zoom, or an unknown scenario", body = super::error::ErrorBody),
        (status = 503, description = "The scenario store cannot be read", body = super::error::ErrorBody),
    ))]
pub async fn tile(
    State(state): State<AppState>,
    headers: HeaderMap,
    // The query before the path: a bad query answers first, as it always has.
    query: ApiQuery<TileQuery>,
    path: ApiPath<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let ApiQuery(query) = query;
    let ApiPath((layer_list, z, x, y_ext)) = path;
    let layers = layers(&layer_list)?;
    let y = y_ext
        .strip_suffix(".mvt")
        .or_else(|| y_ext.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::bad_request(format!("tile {y_ext:?}: tile paths end in .mvt or .pbf, e.g. /tiles/communes/9/259/181.mvt")))?;
    let tile = TileCoord::parse(&z, &x, y).map_err(grid_error)?;
    let coding = Coding::negotiate(headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()));

    let snapshot = state.snapshot();
    // A scenario's commune attributes are computed once per scenario and snapshot (its
    // errors answer here, with their status), then shared by all of its tiles.
    let (scenario, communes) = match query.scenario.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => (None, None),
        Some(id) => {
            let stored = super::planner::stored_scenario(&state, id).await?;
            let communes = if layers.contains(&LayerId::Communes) {
                let (snapshot, id) = (snapshot.clone(), id.to_string());
                let layer = tokio::task::spawn_blocking(move || snapshot.scenario_layer(&id, &stored)).await.map_err(ApiError::internal)??;
                Some(layer)
            } else {
                None
            };
            (Some(id.to_string()), communes)
        }
    };
    let projection = match query.projection.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(_) if scenario.is_some() => {
            return Err(ApiError::bad_request("give scenario= or projection=, not both: a scenario carries its own projection"));
        }
        Some(text) => {
            let spec = ProjectionSpec::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))?;
            Some(super::state::projection_params(&spec)?)
        }
    };
    let (projection, communes) = match projection {
        None => (None, communes),
        Some(params) => {
            let layer = if layers.contains(&LayerId::Communes) {
                let snapshot = snapshot.clone();
                Some(tokio::task::spawn_blocking(move || snapshot.projection_layer(&params)).await.map_err(ApiError::internal)??)
            } else {
                None
            };
            (Some(ProjectionSpec::key(&params)), layer)
        }
    };
    let key = CacheKey { generation: snapshot.generation, layers: layers.clone(), tile, coding, scenario, projection };
    let render = {
        let snapshot = snapshot.clone();
        async move {
            tokio::task::spawn_blocking(move || EncodedTile::render_with(snapshot.tiles(), tile, &layers, coding, communes.as_deref()))
                .await
                .map_err(|e| crate::tiles::TileError::Stopped(e.to_string()))?
        }
    };
    let encoded = state.tile_cache().get_or_render(key, render).await.map_err(ApiError::internal)?;
    Ok(respond(&headers, encoded))
}

fn respond(request: &HeaderMap, tile: EncodedTile) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&tile.etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if etag_matches(request, &tile.etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if tile.body.is_empty() {
        return (StatusCode::NO_CONTENT, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT_TYPE));
    if let Some(enc) = tile.coding.header() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    (StatusCode::OK, headers, tile.body).into_response()
}

/// `/tiles/communes.json`, `/tiles/communes,msp.json`.
#[utoipa::path(get, path = "/tiles/{name}", summary = "TileJSON of tile layers", tag = "tiles",
    params(("name" = String, Path, description = "Tile layers, comma-separated, followed by .json (e.g. communes.json, communes,msp.json)", pattern = "^[a-z_]+(,[a-z_]+)*\\.json$", example = "communes.json")),
    responses(
        (status = 200, description = "TileJSON 3.0.0 with absolute tile URLs on the Host asked", body = super::schemas::TileJson),
        (status = 400, description = "A layer listed twice, or too many", body = super::error::ErrorBody),
        (status = 404, description = "An unknown layer, or a name not ending in .json", body = super::error::ErrorBody),
    ))]
pub async fn tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let ApiPath(name) = path;
    let list = name
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::not_found(format!("no {name:?}: TileJSON is at /tiles/{{layers}}.json, tiles at /tiles/{{layers}}/{{z}}/{{x}}/{{y}}.mvt")))?;
    let layers = layers(list)?;
    let snapshot = state.snapshot();
    // Absolute tile URLs, as MapLibre needs them, built from the Host the client used.
    let base = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|h| format!("http://{h}")).unwrap_or_default();
    Ok(Json(tilejson::tilejson(&snapshot.atlas, &layers, &base)))
}

/// `GET /catalog`: the tile layers.
#[utoipa::path(get, path = "/catalog", summary = "The tile layers", tag = "tiles",
    responses((status = 200, description = "Every tile layer with its TileJSON, tile path and fields", body = super::schemas::Catalog)))]
pub async fn catalog(State(state): State<AppState>) -> Json<Value> {
    Json(tilejson::catalog(&state.snapshot().atlas))
}
