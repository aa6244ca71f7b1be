//! The server's state: the current atlas ([`Snapshot`], swapped whole on reload) and what the
//! handlers share (tile cache, scenario store).

use super::ApiError;
use super::scenario_store::ScenarioStore;
use crate::analysis::CommuneAccess;
use crate::analysis::scenario::{Baseline, Scenario};
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

    /// APL of every commune with the default parameters, computed once (~0.1 s for France) and
    /// shared by the indicators API and the tiles. It does not need the planner's baseline;
    /// the baseline computes the same values (`tests`: `the_baseline_shows_the_default_apl`),
    /// so a scenario's map changes only where the scenario does.
    pub fn access(&self) -> Option<&CommuneAccess> {
        self.access.get_or_init(|| crate::analysis::apl::default_access(&self.atlas)).as_ref()
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
    pub(super) scenarios: Arc<ScenarioStore>,
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
        }
    }

    /// The current atlas and what is derived from it.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The cache of encoded tiles, shared by every snapshot (keys carry the generation).
    pub fn tile_cache(&self) -> &TileCache {
        &self.tile_cache
    }

    /// Replaces the atlas atomically; tiles cached for the old one are no longer served.
    pub fn swap(&self, atlas: Atlas) {
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        self.current.store(Arc::new(Snapshot::new(atlas, generation)));
    }
}
