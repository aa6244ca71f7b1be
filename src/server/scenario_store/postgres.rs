//! The scenario store on PostgreSQL (`serve --scenarios-db postgres://…`): several medatlas
//! instances behind one load balancer share their scenarios. A row is committed before the
//! scenario's id is answered (PostgreSQL's default synchronous commit), so an instance killed
//! after answering loses nothing; content-hash ids make concurrent writes of one scenario the
//! same row (`ON CONFLICT DO NOTHING`).
//!
//! The schema comes from the SQL files of `migrations/` (embedded), applied in order at
//! connection, each once: a table `medatlas_migrations` records them, and a transaction-level
//! advisory lock keeps two instances starting together from applying one twice.

use super::{StoreError, StoredScenario, scenario_id};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../../../migrations/0001_scenarios.sql"))];
/// The advisory lock key of the migrations (any constant; "medatlas" in ASCII, truncated).
const MIGRATION_LOCK: i64 = 0x6d65_6461_746c_6173;
/// Most connections one instance opens.
const POOL_SIZE: usize = 8;

/// A pool of connections to the scenario database.
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("pool_size", &self.pool.status().max_size).finish()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`, as libpq writes it) and brings the
    /// schema up to date.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(StoreError::Database)?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).max_size(POOL_SIZE).build().map_err(|e| StoreError::Pool(e.to_string()))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Pool(e.to_string()))
    }

    /// Applies the migrations the database has not seen, in one transaction.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS medatlas_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
        for &(version, sql) in MIGRATIONS {
            let done = tx.query_opt("SELECT 1 FROM medatlas_migrations WHERE version = $1", &[&version]).await?;
            if done.is_none() {
                tx.batch_execute(sql).await?;
                tx.execute("INSERT INTO medatlas_migrations (version) VALUES ($1)", &[&version]).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores the canonical JSON of a scenario under its id (nothing if already there).
    pub async fn put(&self, id: &str, body: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute("INSERT INTO scenarios (id, body) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", &[&id, &body]).await?;
        Ok(())
    }

    /// The scenario stored under `id`; a row whose body does not parse or does not hash to its
    /// id is an error (never served as another scenario).
    pub async fn get(&self, id: &str) -> Result<Option<StoredScenario>, StoreError> {
        let client = self.client().await?;
        let Some(row) = client.query_opt("SELECT body FROM scenarios WHERE id = $1", &[&id]).await? else {
            return Ok(None);
        };
        let body: String = row.try_get(0)?;
        let scenario: StoredScenario =
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt { id: id.to_string(), reason: e.to_string() })?;
        if scenario_id(&scenario) != id {
            return Err(StoreError::Corrupt { id: id.to_string(), reason: "content does not hash to its id".into() });
        }
        Ok(Some(scenario))
    }

    /// How many scenarios the database holds.
    pub async fn count(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let n: i64 = client.query_one("SELECT count(*) FROM scenarios", &[]).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
