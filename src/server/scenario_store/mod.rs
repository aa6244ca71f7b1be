//! Scenarios kept across restarts: one JSON file per scenario in a folder (the default),
//! written so that a crash never leaves a half-written scenario (temporary file, fsync,
//! rename, fsync of the folder), or rows of a PostgreSQL database shared by several instances
//! ([`postgres`]). A scenario's id is a hash of its content, so storing the same scenario twice
//! gives the same id and a scenario never changes under its id (tile caches and ETags rely on
//! it) — which also makes every scenario read once cacheable for good.

use crate::analysis::projection::ProjectionSpec;
use crate::analysis::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub mod postgres;

/// Most scenarios one store holds; beyond, `put` refuses (the folder is not a database).
pub const MAX_SCENARIOS: usize = 10_000;

/// A scenario as the store keeps it and `POST /api/scenarios` takes it: its changes and, when
/// its impact is measured in N years, the projection (`{"projection": {"years": 5, "horizon":
/// 10, "replacement": 0.3}, "changes": [...]}`). Without a projection it serialises as the bare
/// scenario, so ids of scenarios stored before projections existed do not change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredScenario {
    /// The name and changes.
    #[serde(flatten)]
    pub scenario: Scenario,
    /// Measured in N years (against the projected baseline) when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection: Option<ProjectionSpec>,
}

impl From<Scenario> for StoredScenario {
    fn from(scenario: Scenario) -> Self {
        StoredScenario { scenario, projection: None }
    }
}

/// Where a store keeps its scenarios.
#[derive(Debug, Default)]
enum Backend {
    /// Nowhere: forgotten on restart.
    #[default]
    Memory,
    /// One file per scenario in this folder, all read at open.
    Folder(PathBuf),
    /// A PostgreSQL database, read on demand (other instances write to it too).
    Postgres(postgres::PgStore),
}

/// The scenarios of a server: the backend, and every scenario read or written so far (a
/// scenario never changes under its id, so the copy is never stale).
#[derive(Debug, Default)]
pub struct ScenarioStore {
    backend: Backend,
    scenarios: RwLock<HashMap<String, Arc<StoredScenario>>>,
}

/// Why a scenario could not be stored or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("the store is full ({MAX_SCENARIOS} scenarios)")]
    Full,
    #[error("cannot write the scenario: {0}")]
    Io(#[from] std::io::Error),
    #[error("scenario database: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("scenario database: no connection: {0}")]
    Pool(String),
    #[error("scenario {id} in the database is corrupt: {reason}")]
    Corrupt { id: String, reason: String },
}

impl ScenarioStore {
    /// A store that forgets everything on restart (tests, `--scenarios-dir` not given).
    pub fn in_memory() -> Self {
        ScenarioStore::default()
    }

    /// Opens (creating it if needed) a folder of scenarios and loads every `<id>.json` in it.
    /// Files that do not parse, or whose content does not hash to their name, are skipped and
    /// returned with the reason, never deleted.
    pub fn open(dir: &Path) -> std::io::Result<(Self, Vec<(PathBuf, String)>)> {
        std::fs::create_dir_all(dir)?;
        let mut scenarios = HashMap::new();
        let mut skipped = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(stem) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if stem.starts_with('.') {
                continue; // a temporary file left by a crash: never renamed, never valid
            }
            let parsed = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<StoredScenario>(&b).map_err(|e| e.to_string()));
            match parsed {
                Ok(s) if scenario_id(&s) == stem => {
                    scenarios.insert(stem.to_string(), Arc::new(s));
                }
                Ok(_) => skipped.push((path, "content does not match its id".to_string())),
                Err(e) => skipped.push((path, e)),
            }
        }
        Ok((ScenarioStore { backend: Backend::Folder(dir.to_path_buf()), scenarios: RwLock::new(scenarios) }, skipped))
    }

    /// A store on a PostgreSQL database (`postgres://user@host:port/db`), its schema brought
    /// up to date (see [`postgres`]).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pg = postgres::PgStore::connect(url).await?;
        Ok(ScenarioStore { backend: Backend::Postgres(pg), scenarios: RwLock::default() })
    }

    /// Stores a scenario (durably first: on disk, or committed in the database) and returns
    /// its id.
    pub async fn put(&self, scenario: impl Into<StoredScenario>) -> Result<String, StoreError> {
        let scenario = scenario.into();
        let id = scenario_id(&scenario);
        if self.cached(&id).is_some() {
            return Ok(id);
        }
        match &self.backend {
            Backend::Memory | Backend::Folder(_) if self.len() >= MAX_SCENARIOS => return Err(StoreError::Full),
            Backend::Memory => {}
            Backend::Folder(dir) => {
                write_atomically(dir, &format!("{id}.json"), &serde_json::to_vec_pretty(&scenario).map_err(std::io::Error::other)?)?;
            }
            Backend::Postgres(pg) => pg.put(&id, &serde_json::to_string(&scenario).map_err(std::io::Error::other)?).await?,
        }
        self.remember(&id, scenario);
        Ok(id)
    }

    /// The scenario stored under `id`, if any (from the database when another instance wrote it).
    pub async fn get(&self, id: &str) -> Result<Option<Arc<StoredScenario>>, StoreError> {
        if let Some(s) = self.cached(id) {
            return Ok(Some(s));
        }
        match &self.backend {
            Backend::Postgres(pg) => Ok(pg.get(id).await?.map(|s| self.remember(id, s))),
            Backend::Memory | Backend::Folder(_) => Ok(None),
        }
    }

    fn cached(&self, id: &str) -> Option<Arc<StoredScenario>> {
        self.scenarios.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    fn remember(&self, id: &str, scenario: StoredScenario) -> Arc<StoredScenario> {
        let scenario = Arc::new(scenario);
        self.scenarios.write().unwrap_or_else(|e| e.into_inner()).insert(id.to_string(), scenario.clone());
        scenario
    }

    /// Scenarios this instance holds in memory (for a folder or memory store: all of them).
    pub fn len(&self) -> usize {
        self.scenarios.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether [`ScenarioStore::len`] is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the scenarios are kept, for logs: "memory", the folder, or "PostgreSQL (N scenarios)".
    pub async fn describe(&self) -> String {
        match &self.backend {
            Backend::Memory => "memory (forgotten on restart)".into(),
            Backend::Folder(dir) => format!("{} ({} scenarios)", dir.display(), self.len()),
            Backend::Postgres(pg) => match pg.count().await {
                Ok(n) => format!("PostgreSQL ({n} scenarios)"),
                Err(e) => format!("PostgreSQL ({e})"),
            },
        }
    }
}

/// The id of a scenario: 16 hex digits of the xxh3 hash of its canonical JSON.
pub fn scenario_id(scenario: &StoredScenario) -> String {
    let bytes = serde_json::to_vec(scenario).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// Writes `name` in `dir` so that readers see the old state or the whole new file, never a
/// part: write a hidden temporary file, flush it to disk, rename it, flush the folder.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    // The rename is durable once the folder's entry is on disk (POSIX); not possible on every
    // platform, hence not an error.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::scenario::{Change, Place};

    fn scenario(gps: f64) -> Scenario {
        Scenario { name: "s".into(), changes: vec![Change::AddSite { place: Place::Commune { commune: "03082".into() }, gps, name: None }] }
    }

    #[tokio::test]
    async fn scenarios_survive_a_restart_and_ids_follow_content() {
        let dir = tempfile::tempdir().unwrap();
        let (store, skipped) = ScenarioStore::open(dir.path()).unwrap();
        assert!(skipped.is_empty() && store.is_empty());
        let a = store.put(scenario(3.0)).await.unwrap();
        assert_eq!(store.put(scenario(3.0)).await.unwrap(), a, "same content, same id");
        let b = store.put(scenario(4.0)).await.unwrap();
        assert_ne!(a, b);
        drop(store);
        // A crash mid-write leaves a hidden temporary file; a stranger leaves a broken one.
        std::fs::write(dir.path().join(format!(".{a}.json.tmp")), b"{\"name\": \"half").unwrap();
        std::fs::write(dir.path().join("0000000000000000.json"), b"not json").unwrap();
        let (store, skipped) = ScenarioStore::open(dir.path()).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(store.get(&a).await.unwrap().unwrap().scenario, scenario(3.0));
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(dir.path().join("0000000000000000.json").exists(), "a broken file is reported, not deleted");
    }

    #[test]
    fn a_projection_is_part_of_the_content_and_its_absence_leaves_ids_as_they_were() {
        let bare = scenario(3.0);
        let stored = StoredScenario::from(bare.clone());
        assert_eq!(serde_json::to_vec(&stored).unwrap(), serde_json::to_vec(&bare).unwrap());
        let projected = StoredScenario { projection: Some(ProjectionSpec { years: 5.0, horizon: 10.0, replacement: 0.3 }), ..stored.clone() };
        assert_ne!(scenario_id(&projected), scenario_id(&stored));
        let back: StoredScenario = serde_json::from_slice(&serde_json::to_vec(&projected).unwrap()).unwrap();
        assert_eq!(back, projected);
    }
}
