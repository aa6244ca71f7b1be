//! HTTP server (axum). Handlers are thin: they parse, call the atlas, and answer JSON.
//! Every error is JSON with a fitting status; no handler panics on user input.

mod error;
mod extract;
mod indicators;
mod nearest;
mod panorama;
mod planner;
pub mod scenario_store;
mod search;
mod tiles;
pub mod web;

pub use error::ApiError;
use extract::{ApiPath, ApiQuery};

use crate::analysis::CommuneAccess;
use crate::analysis::scenario::{Baseline, Scenario};
use crate::atlas::{Atlas, CommuneCodeError, CommuneSearch};
use crate::tiles::cache::TileCache;
use crate::tiles::{LayerAttributes, TileSet};
use scenario_store::ScenarioStore;
use arc_swap::ArcSwap;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Default memory for the tile cache: 256 MiB.
pub const DEFAULT_TILE_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// One atlas and what is derived from it. The tile set is built on the first tile request
/// (about 1 s for France), so API-only use and tests don't pay for it.
pub struct Snapshot {
    pub atlas: Atlas,
    /// Bumped at each swap: part of every tile cache key.
    pub generation: u64,
    tiles: OnceLock<TileSet>,
    access: OnceLock<Option<CommuneAccess>>,
    baseline: OnceLock<Option<Baseline>>,
    search: OnceLock<CommuneSearch>,
    /// Commune attributes of the scenarios whose tiles were asked for (a few, see
    /// [`SCENARIO_LAYERS_KEPT`]).
    scenario_layers: std::sync::Mutex<std::collections::HashMap<String, Arc<LayerAttributes>>>,
}

/// How many scenarios' commune attributes a snapshot keeps for their tiles.
const SCENARIO_LAYERS_KEPT: usize = 32;

impl Snapshot {
    fn new(atlas: Atlas, generation: u64) -> Self {
        Snapshot {
            atlas,
            generation,
            tiles: OnceLock::new(),
            access: OnceLock::new(),
            baseline: OnceLock::new(),
            search: OnceLock::new(),
            scenario_layers: Default::default(),
        }
    }

    /// The tile layers, built on first use (with this snapshot's access values).
    pub fn tiles(&self) -> &TileSet {
        self.tiles.get_or_init(|| TileSet::build_with(&self.atlas, self.access()))
    }

    /// The commune search index, built on the first search.
    pub fn search(&self) -> &CommuneSearch {
        self.search.get_or_init(|| CommuneSearch::new(&self.atlas))
    }

    /// The scenario baseline (APL with its intermediate values, MSP distances), built on the
    /// first planner request.
    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline
            .get_or_init(|| Baseline::build(&self.atlas, &crate::analysis::apl::AplParams::default()).ok())
            .as_ref()
    }

    /// The commune attributes of a stored scenario, for its tiles (kept for the next tiles).
    pub fn scenario_layer(&self, id: &str, scenario: &Scenario) -> Result<Arc<LayerAttributes>, ApiError> {
        let lock = || self.scenario_layers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = lock().get(id) {
            return Ok(found.clone());
        }
        let baseline = self.baseline().ok_or_else(|| ApiError::internal("the access baseline could not be computed"))?;
        let resolved = baseline.resolve(&self.atlas, scenario).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let after = baseline.apl_after(&resolved).changed.into_iter().collect();
        let layer = Arc::new(crate::tiles::attributes::scenario_commune_attributes(&self.atlas, self.access(), &after, id));
        let mut kept = lock();
        if kept.len() >= SCENARIO_LAYERS_KEPT {
            kept.clear();
        }
        kept.insert(id.to_string(), layer.clone());
        Ok(layer)
    }

    /// APL of every commune with the default parameters, taken from the scenario baseline
    /// (built once, ~0.15 s for France) and shared by the indicators API and the tiles.
    pub fn access(&self) -> Option<&CommuneAccess> {
        self.access.get_or_init(|| self.baseline().map(Baseline::access)).as_ref()
    }
}

/// Shared state: the current atlas and the tile cache. A reload builds a new atlas beside the
/// old one and swaps it in one step, so a request sees either the old or the new atlas, never
/// half of each.
#[derive(Clone)]
pub struct AppState {
    current: Arc<ArcSwap<Snapshot>>,
    generations: Arc<AtomicU64>,
    tile_cache: Arc<TileCache>,
    scenarios: Arc<ScenarioStore>,
}

impl AppState {
    pub fn new(atlas: Atlas) -> Self {
        Self::with_tile_cache(atlas, DEFAULT_TILE_CACHE_BYTES)
    }

    /// With a tile cache of `bytes` (0: no cache).
    pub fn with_tile_cache(atlas: Atlas, bytes: u64) -> Self {
        Self::with_store(atlas, bytes, ScenarioStore::in_memory())
    }

    /// With a tile cache of `bytes` and a scenario store (persisted when opened on a folder).
    pub fn with_store(atlas: Atlas, bytes: u64, scenarios: ScenarioStore) -> Self {
        let snapshot = Snapshot::new(atlas, 0);
        AppState {
            current: Arc::new(ArcSwap::from_pointee(snapshot)),
            generations: Arc::new(AtomicU64::new(0)),
            tile_cache: Arc::new(TileCache::new(bytes)),
            scenarios: Arc::new(scenarios),
        }
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    pub fn tile_cache(&self) -> &TileCache {
        &self.tile_cache
    }

    /// Replaces the atlas atomically; tiles cached for the old one are no longer served.
    pub fn swap(&self, atlas: Atlas) {
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        self.current.store(Arc::new(Snapshot::new(atlas, generation)));
    }
}

impl std::ops::Deref for Snapshot {
    type Target = Atlas;
    fn deref(&self) -> &Atlas {
        &self.atlas
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/meta", get(meta))
        .route("/api/access/compare-official", get(compare_official))
        .route("/api/communes/{code}", get(commune))
        .route("/api/locate", get(locate))
        .route("/api/search", get(search::search))
        .route("/api/departements/{code}", get(search::departement))
        .route("/api/communes/{code}/nearest-msp", get(nearest::from_commune))
        .route("/api/communes/{code}/indicators", get(indicators::commune))
        .route("/api/nearest-msp", get(nearest::from_point))
        .route("/api/indicators", get(indicators::indicators).fallback(indicators::get_only))
        .route(
            "/api/indicators/basin",
            axum::routing::post(indicators::basin)
                .fallback(indicators::post_only)
                .layer(axum::extract::DefaultBodyLimit::max(indicators::BASIN_BODY_LIMIT)),
        )
        .route(
            "/api/scenarios",
            axum::routing::post(planner::create)
                .fallback(planner::post_only)
                .layer(axum::extract::DefaultBodyLimit::max(planner::SCENARIO_BODY_LIMIT)),
        )
        .route("/api/scenarios/{id}", get(planner::get))
        .route("/api/scenarios/{id}/impact", get(planner::impact))
        .route("/api/suggest", get(planner::suggest))
        .route("/api/panorama", get(panorama::panorama))
        .route("/", get(web::index))
        .route("/panorama", get(web::panorama))
        .route("/panorama/{name}", get(web::panorama_preset))
        .route("/styles/{name}", get(web::style))
        .nest_service("/web", tower_http::services::ServeDir::new(web::web_dir()))
        .route("/catalog", get(tiles::catalog))
        .route("/tiles/{name}", get(tiles::tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tiles::tile))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(tower_http::cors::CorsLayer::permissive())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let atlas = state.snapshot();
    Json(json!({ "status": "ok", "communes": atlas.communes().len(), "sites": atlas.sites().len() }))
}

fn meta_json(atlas: &Atlas) -> Value {
    let mut official_years: Vec<u16> = atlas.communes().iter().filter_map(|c| c.apl_official.as_ref().map(|o| o.year)).collect();
    official_years.sort_unstable();
    official_years.dedup();
    json!({
        "name": atlas.meta.name,
        "synthetic_gp": atlas.meta.synthetic_gp,
        "near_retirement_estimated": atlas.meta.near_retirement_estimated,
        "gp_notes": atlas.meta.gp_notes(),
        "sources": atlas.meta.sources,
        "travel_times": atlas.travel_times().info(),
        "apl_official_years": official_years,
    })
}

/// `GET /api/access/compare-official`: our APL against DREES's published one, over the
/// communes that have both (404 when the atlas holds no official value).
async fn compare_official(State(state): State<AppState>) -> Result<Json<crate::analysis::compare::OfficialComparison>, ApiError> {
    use crate::analysis::compare::{self, CompareOptions};
    let snapshot = state.snapshot();
    let access = snapshot.access().ok_or_else(|| ApiError::internal("the access baseline could not be computed"))?;
    let mut found = compare::against_official(&snapshot.atlas, &access.apl, &CompareOptions::default())
        .ok_or_else(|| ApiError::not_found("this atlas holds no official DREES APL (load a workbook with --drees-apl)"))?;
    found.rows.clear();
    Ok(Json(found))
}

async fn meta(State(state): State<AppState>) -> Json<Value> {
    let atlas = state.snapshot();
    let mut m = meta_json(&atlas);
    m["communes"] = json!(atlas.communes().len());
    m["departements"] = json!(atlas.departments().iter().map(|d| json!({"code": d.code, "name": d.name})).collect::<Vec<_>>());
    Json(m)
}

async fn commune(
    State(state): State<AppState>,
    code: ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let ApiPath(code) = code;
    let atlas = state.snapshot();
    let resolved = &atlas.communes()[resolve_commune(&atlas, &code)?].code;
    let view = atlas.commune_view(resolved).ok_or_else(|| ApiError::not_found(format!("no commune {resolved}")))?;
    let mut body = serde_json::to_value(&view).map_err(ApiError::internal)?;
    body["meta"] = meta_json(&atlas);
    Ok(Json(body))
}

/// A commune code from a URL to the commune's position, for every `/api/communes/{code}/...`
/// route: a malformed code is a bad parameter (400); an arrondissement, a merged commune or
/// an unknown code names no commune of this atlas (404), with the reason.
fn resolve_commune(atlas: &Atlas, code: &str) -> Result<usize, ApiError> {
    atlas.resolve_commune(code).map_err(|e| match e {
        CommuneCodeError::Malformed { .. } => ApiError::bad_request(e.to_string()),
        _ => ApiError::not_found(e.to_string()),
    })
}

#[derive(Deserialize)]
struct LocateQuery {
    lon: Option<String>,
    lat: Option<String>,
}

fn parse_coord(value: Option<&str>, name: &str, range: f64) -> Result<f64, ApiError> {
    let v = value.ok_or_else(|| ApiError::bad_request(format!("missing parameter {name}")))?;
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() <= range => Ok(x),
        _ => Err(ApiError::bad_request(format!("{name}={v:?} is not a number within ±{range}"))),
    }
}

async fn locate(
    State(state): State<AppState>,
    q: ApiQuery<LocateQuery>,
) -> Result<Json<Value>, ApiError> {
    let ApiQuery(q) = q;
    let lon = parse_coord(q.lon.as_deref(), "lon", 180.0)?;
    let lat = parse_coord(q.lat.as_deref(), "lat", 90.0)?;
    let atlas = state.snapshot();
    let c = atlas.locate(lon, lat).ok_or_else(|| ApiError::not_found(format!("no commune of this atlas at {lon}, {lat}")))?;
    Ok(Json(json!({ "code": c.code, "name": c.name, "dep": c.dep })))
}
