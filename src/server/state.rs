//! The server's state: the current atlas ([`Snapshot`], swapped whole on reload) and what the
//! handlers share (tile cache, scenario store).

use super::ApiError;
use super::scenario_store::{ScenarioStore, StoredScenario};
use crate::analysis::CommuneAccess;
use crate::analysis::apl::AplParams;
use crate::analysis::perimeter::MspReach;
use crate::analysis::projection::{self, Projection, ProjectionSpec};
use crate::analysis::retirement::RetirementParams;
use crate::analysis::scenario::Baseline;
use crate::atlas::{Atlas, CommuneSearch};
use crate::tiles::cache::TileCache;
use crate::tiles::{LayerAttributes, TileSet};
use arc_swap::ArcSwap;
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
    baseline: OnceLock<Option<Arc<Baseline>>>,
    search: OnceLock<CommuneSearch>,
    /// Each commune's soonest MSP, for the perimeter diagnostics.
    msp_reach: OnceLock<MspReach>,
    /// Commune attributes of the scenarios whose tiles were asked for (a few, see
    /// [`SCENARIO_LAYERS_KEPT`]).
    scenario_layers: std::sync::Mutex<std::collections::HashMap<String, Arc<LayerAttributes>>>,
    /// Projections asked for, by their canonical `years,horizon,replacement`.
    projections: Kept<Projection>,
    /// Scenario baselines in N years (a full APL with its pairs each: a few only).
    projected_baselines: Kept<Baseline>,
    /// Commune attributes of projections whose tiles were asked for.
    projection_layers: Kept<LayerAttributes>,
}

/// How many scenarios' commune attributes a snapshot keeps for their tiles.
const SCENARIO_LAYERS_KEPT: usize = 32;
/// How many projections (and their tile attributes) a snapshot keeps.
const PROJECTIONS_KEPT: usize = 8;
/// How many baselines in N years a snapshot keeps: each holds the pairs of a full APL.
const PROJECTED_BASELINES_KEPT: usize = 3;

/// Values computed on demand and kept by key, at most `max` of them: beyond, one is dropped
/// for the new one (requests rarely ask for more than a few parameter sets at a time).
struct Kept<T> {
    max: usize,
    map: std::sync::Mutex<std::collections::HashMap<String, Arc<T>>>,
}

impl<T> Kept<T> {
    fn new(max: usize) -> Self {
        Kept { max, map: Default::default() }
    }

    /// The value kept under `key`, or the one `make` computes (then kept). Two requests for
    /// the same new key may both compute it; the lock is never held while computing.
    fn get_or_make(&self, key: &str, make: impl FnOnce() -> Result<T, ApiError>) -> Result<Arc<T>, ApiError> {
        let lock = || self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = lock().get(key) {
            return Ok(found.clone());
        }
        let made = Arc::new(make()?);
        let mut kept = lock();
        if kept.len() >= self.max && !kept.contains_key(key) {
            let drop = kept.keys().next().cloned();
            if let Some(k) = drop {
                kept.remove(&k);
            }
        }
        kept.insert(key.to_string(), made.clone());
        Ok(made)
    }
}

impl Snapshot {
    fn new(atlas: Atlas, generation: u64) -> Self {
        Snapshot {
            atlas,
            generation,
            tiles: OnceLock::new(),
            access: OnceLock::new(),
            baseline: OnceLock::new(),
            search: OnceLock::new(),
            msp_reach: OnceLock::new(),
            scenario_layers: Default::default(),
            projections: Kept::new(PROJECTIONS_KEPT),
            projected_baselines: Kept::new(PROJECTED_BASELINES_KEPT),
            projection_layers: Kept::new(PROJECTIONS_KEPT),
        }
    }

    /// The tile layers, built on first use (with this snapshot's access values).
    pub fn tiles(&self) -> &TileSet {
        self.tiles.get_or_init(|| TileSet::build_with(&self.atlas, self.access()))
    }

    /// The MSP every commune reaches soonest (from the atlas's travel-time source), computed on
    /// the first perimeter diagnostic (one nearest-place query per commune).
    pub fn msp_reach(&self) -> &MspReach {
        self.msp_reach.get_or_init(|| MspReach::build(&self.atlas))
    }

    /// The commune search index, built on the first search.
    pub fn search(&self) -> &CommuneSearch {
        self.search.get_or_init(|| CommuneSearch::new(&self.atlas))
    }

    /// The scenario baseline (APL with its intermediate values, MSP distances), built on the
    /// first planner request.
    pub fn baseline(&self) -> Option<&Baseline> {
        self.shared_baseline().map(Arc::as_ref)
    }

    fn shared_baseline(&self) -> Option<&Arc<Baseline>> {
        self.baseline.get_or_init(|| Baseline::build(&self.atlas, &AplParams::default()).ok().map(Arc::new)).as_ref()
    }

    /// The baseline a scenario is measured against: today's, or the one in N years of its
    /// projection (built on first use, a few kept). A projection out of range is a 400.
    pub fn baseline_for(&self, projection: Option<&ProjectionSpec>) -> Result<Arc<Baseline>, ApiError> {
        let Some(spec) = projection else {
            return self.shared_baseline().cloned().ok_or_else(|| ApiError::internal("the access baseline could not be computed"));
        };
        let params = projection_params(spec)?;
        self.projected_baselines.get_or_make(&ProjectionSpec::key(&params), || {
            projection::projected_baseline(&self.atlas, &params, &AplParams::default()).map_err(ApiError::internal)
        })
    }

    /// The APL now and in N years of every commune (computed once per parameters, a few kept).
    pub fn projection(&self, params: &RetirementParams) -> Result<Arc<Projection>, ApiError> {
        self.projections.get_or_make(&ProjectionSpec::key(params), || {
            projection::project(&self.atlas, params, &AplParams::default()).map_err(ApiError::internal)
        })
    }

    /// The commune attributes of a projection, for its tiles (kept for the next tiles).
    pub fn projection_layer(&self, params: &RetirementParams) -> Result<Arc<LayerAttributes>, ApiError> {
        let key = ProjectionSpec::key(params);
        self.projection_layers.get_or_make(&key, || {
            let projection = self.projection(params)?;
            Ok(crate::tiles::attributes::projection_commune_attributes(&self.atlas, self.access(), &projection, &key))
        })
    }

    /// The commune attributes of a stored scenario, for its tiles (kept for the next tiles).
    /// A scenario in N years compares with the APL then, not today's.
    pub fn scenario_layer(&self, id: &str, stored: &StoredScenario) -> Result<Arc<LayerAttributes>, ApiError> {
        let lock = || self.scenario_layers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = lock().get(id) {
            return Ok(found.clone());
        }
        let baseline = self.baseline_for(stored.projection.as_ref())?;
        let resolved = baseline.resolve(&self.atlas, &stored.scenario).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let after = baseline.apl_after(&resolved).changed.into_iter().collect();
        let projected_access = stored.projection.is_some().then(|| baseline.access());
        let before = projected_access.as_ref().or(self.access());
        let layer = Arc::new(crate::tiles::attributes::scenario_commune_attributes(&self.atlas, before, &after, id));
        let mut kept = lock();
        if kept.len() >= SCENARIO_LAYERS_KEPT {
            kept.clear();
        }
        kept.insert(id.to_string(), layer.clone());
        Ok(layer)
    }

    /// APL of every commune with the default parameters, computed once (~0.1 s for France) and
    /// shared by the indicators API and the tiles. It does not need the planner's baseline;
    /// the baseline computes the same values (`tests`: `the_baseline_shows_the_default_apl`),
    /// so a scenario's map changes only where the scenario does.
    pub fn access(&self) -> Option<&CommuneAccess> {
        self.access.get_or_init(|| crate::analysis::apl::default_access(&self.atlas)).as_ref()
    }
}

/// The retirement parameters of a projection, checked; out of range is a 400 naming the
/// parameter.
pub fn projection_params(spec: &ProjectionSpec) -> Result<RetirementParams, ApiError> {
    spec.params().map_err(|e| match e.parameter() {
        Some(p) => ApiError::bad_request(format!("parameter {p}: {e}")),
        None => ApiError::internal(e),
    })
}

/// Shared state: the current atlas and the tile cache. A reload builds a new atlas beside the
/// old one and swaps it in one step, so a request sees either the old or the new atlas, never
/// half of each.
#[derive(Clone)]
pub struct AppState {
    current: Arc<ArcSwap<Snapshot>>,
    generations: Arc<AtomicU64>,
    tile_cache: Arc<TileCache>,
    pub(super) scenarios: Arc<ScenarioStore>,
    reloader: Option<Arc<super::reload::Reloader>>,
    metrics: Arc<super::metrics::Metrics>,
    /// Zooms rendered ahead into the tile cache after each reload (`None`: none).
    prewarm_zoom: Option<u8>,
}

impl AppState {
    /// With the default tile cache ([`DEFAULT_TILE_CACHE_BYTES`]) and an in-memory scenario store.
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
            reloader: None,
            metrics: Arc::default(),
            prewarm_zoom: None,
        }
    }

    /// The same state, able to reload its atlas (`POST /admin/reload`, SIGHUP).
    pub fn with_reloader(mut self, reloader: super::reload::Reloader) -> Self {
        self.reloader = Some(Arc::new(reloader));
        self
    }

    /// The same state, rendering zooms 0..=`zoom` of the viewer's tiles ahead after each reload
    /// ([`super::prewarm`]; the caller starts the first one).
    pub fn with_prewarm(mut self, zoom: u8) -> Self {
        self.prewarm_zoom = Some(zoom);
        self
    }

    /// Zooms rendered ahead after a reload, if any.
    pub fn prewarm_zoom(&self) -> Option<u8> {
        self.prewarm_zoom
    }

    /// The server's metrics (`/metrics`).
    pub fn metrics(&self) -> &super::metrics::Metrics {
        &self.metrics
    }

    /// How this server reloads its atlas, if it can.
    pub fn reloader(&self) -> Option<Arc<super::reload::Reloader>> {
        self.reloader.clone()
    }

    /// The current atlas and what is derived from it.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The cache of encoded tiles, shared by every snapshot (keys carry the generation).
    pub fn tile_cache(&self) -> &TileCache {
        &self.tile_cache
    }

    /// Replaces the atlas atomically; tiles cached for the old one are dropped (they would never
    /// be served again).
    /// Returns the new generation.
    pub fn swap(&self, atlas: Atlas) -> u64 {
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        self.current.store(Arc::new(Snapshot::new(atlas, generation)));
        self.tile_cache.drop_generations_before(generation);
        generation
    }
}
