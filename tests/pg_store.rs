//! The scenario store on a real PostgreSQL (scripts/setup-postgres.sh starts one; scripts/test.sh
//! passes its URL in MEDATLAS_TEST_PG): two stores (two pools, as two instances) see each
//! other's scenarios, concurrent writes of one scenario make one row, a corrupt row is refused,
//! and two `medatlas serve` processes on one database serve each other's scenarios — also after
//! one is killed with SIGKILL right after acknowledging a write. Each test works in a database
//! of its own, dropped at the end. Without MEDATLAS_TEST_PG the tests are skipped, except in CI
//! (CI=true), where that is a failure.

use medatlas::analysis::scenario::{Change, Place, Scenario};
use medatlas::analysis::projection::ProjectionSpec;
use medatlas::server::scenario_store::{ScenarioStore, StoreError, StoredScenario, scenario_id};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_postgres::NoTls;

/// A database of the test's own on the server of MEDATLAS_TEST_PG, dropped on drop.
struct TestDb {
    admin: String,
    name: String,
    url: String,
}

impl TestDb {
    async fn create(tag: &str) -> Option<TestDb> {
        let Ok(admin) = std::env::var("MEDATLAS_TEST_PG") else {
            assert!(std::env::var("CI").is_err(), "MEDATLAS_TEST_PG is not set (scripts/test.sh sets it)");
            eprintln!("SKIPPED: MEDATLAS_TEST_PG is not set (run scripts/setup-postgres.sh)");
            return None;
        };
        let name = format!("medatlas_{tag}_{}", std::process::id());
        let (client, conn) = tokio_postgres::connect(&admin, NoTls).await.expect("the test server answers");
        tokio::spawn(conn);
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(TestDb { url: format!("{base}/{name}"), admin, name })
    }

    async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop from a thread of its own: the test's runtime may be gone or busy.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok((client, conn)) = tokio_postgres::connect(&admin, NoTls).await {
                    tokio::spawn(conn);
                    let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

fn scenario(commune: &str, gps: f64) -> StoredScenario {
    let changes = vec![Change::AddSite { place: Place::Commune { commune: commune.into() }, gps, name: None }];
    Scenario { name: format!("+{gps} in {commune}"), changes }.into()
}

#[tokio::test]
async fn two_stores_on_one_database_share_scenarios_and_write_each_once() {
    let Some(db) = TestDb::create("share").await else { return };
    let a = ScenarioStore::connect(&db.url).await.expect("connects and migrates");
    // The second instance finds the schema there: the migration is not applied twice.
    let b = ScenarioStore::connect(&db.url).await.expect("connects to a migrated database");
    let s = scenario("03082", 3.0);
    assert!(b.get(&scenario_id(&s)).await.unwrap().is_none());
    let id = a.put(s.clone()).await.unwrap();
    assert_eq!(id, scenario_id(&s));
    assert_eq!(b.get(&id).await.unwrap().as_deref(), Some(&s), "written by one, read by the other");
    // Concurrent writes of the same scenario from both: one row, the same id.
    let other = scenario("03185", 2.0);
    let (x, y) = tokio::join!(a.put(other.clone()), b.put(other.clone()));
    assert_eq!(x.unwrap(), y.unwrap());
    // A scenario measured in N years keeps its projection through the database.
    let projected = StoredScenario { projection: Some(ProjectionSpec { years: 5.0, horizon: 10.0, replacement: 0.3 }), ..scenario("03082", 3.0) };
    let pid = b.put(projected.clone()).await.unwrap();
    assert_ne!(pid, id, "the projection is part of the content");
    assert_eq!(a.get(&pid).await.unwrap().as_deref(), Some(&projected));
    let client = db.client().await;
    let rows: i64 = client.query_one("SELECT count(*) FROM scenarios", &[]).await.unwrap().get(0);
    assert_eq!(rows, 3);
    let migrations: i64 = client.query_one("SELECT count(*) FROM medatlas_migrations", &[]).await.unwrap().get(0);
    assert_eq!(migrations, 1, "each migration recorded once");
    assert!(b.describe().await.contains("3 scenarios"), "{}", b.describe().await);
}

#[tokio::test]
async fn a_row_that_does_not_hash_to_its_id_is_refused_not_served() {
    let Some(db) = TestDb::create("corrupt").await else { return };
    let store = ScenarioStore::connect(&db.url).await.unwrap();
    let body = serde_json::to_string(&scenario("03082", 3.0)).unwrap();
    // A row written by hand under another scenario's id, and one that is not JSON.
    let wrong_id = scenario_id(&scenario("03082", 4.0));
    let client = db.client().await;
    client.execute("INSERT INTO scenarios (id, body) VALUES ($1, $2), ('00000000000000aa', 'not json')", &[&wrong_id, &body]).await.unwrap();
    for id in [wrong_id.as_str(), "00000000000000aa"] {
        match store.get(id).await {
            Err(StoreError::Corrupt { id: got, .. }) => assert_eq!(got, id),
            other => panic!("{id}: expected a corrupt-row error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_unreachable_database_is_an_error_at_connection() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = ScenarioStore::connect(&format!("postgres://postgres@127.0.0.1:{port}/x")).await.unwrap_err();
    assert!(matches!(err, StoreError::Pool(_) | StoreError::Database(_)), "{err:?}");
    let err = ScenarioStore::connect("not a url").await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
}

/// A `medatlas serve` process on a free port, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(db_url: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_medatlas"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--scenarios-db", db_url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("medatlas starts");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(120);
        while server.request("GET", "/health", None).is_none() {
            assert!(Instant::now() < deadline, "the server did not answer /health");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// One HTTP/1.1 request: status and body, `None` when nobody answers.
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).ok()?;
        stream.write_all(body.as_bytes()).ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).ok()?;
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status = std::str::from_utf8(&raw[..split]).ok()?.split(' ').nth(1)?.parse().ok()?;
        Some((status, raw[split + 4..].to_vec()))
    }

    fn json(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let (status, bytes) = self.request(method, path, body).unwrap_or_else(|| panic!("{method} {path}: no answer"));
        // Chunked bodies are not decoded here: the JSON answers of this test have a length.
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_serve_each_others_scenarios_and_a_kill_loses_nothing_acknowledged() {
    let Some(db) = TestDb::create("procs").await else { return };
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let a = Server::start(&url);
        let b = Server::start(&url);
        let body = json!({"name": "Commentry +3", "changes": [{"type": "add_site", "commune": "03082", "gps": 3}]});
        let (status, created) = a.json("POST", "/api/scenarios", Some(&body));
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("an id").to_string();
        // Killed right after acknowledging: the row was committed before the answer.
        let mut a = a;
        a.child.kill().expect("SIGKILL");
        a.child.wait().unwrap();
        let (status, stored) = b.json("GET", &format!("/api/scenarios/{id}"), None);
        assert_eq!(status, 200, "{stored}");
        assert_eq!(stored["scenario"]["name"], "Commentry +3");
        let (status, impact) = b.json("GET", &format!("/api/scenarios/{id}/impact"), None);
        assert_eq!(status, 200);
        let changed = impact["impact"]["apl"].as_array().map_or(0, Vec::len);
        assert!(changed > 0, "the other instance computes its impact: {changed} communes changed");
        let (status, _) = b.request("GET", &format!("/tiles/communes/9/259/181.mvt?scenario={id}"), None).unwrap();
        assert_eq!(status, 200, "and its tiles");
        let (status, _) = b.json("GET", "/api/scenarios/00000000000000ff", None);
        assert_eq!(status, 404);
        // A restarted instance finds it in the database.
        let a = Server::start(&url);
        let (status, stored) = a.json("GET", &format!("/api/scenarios/{id}"), None);
        assert_eq!((status, stored["id"].as_str()), (200, Some(id.as_str())));
    })
    .await
    .unwrap();
}
