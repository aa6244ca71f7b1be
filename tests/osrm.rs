//! `travel-times`: road travel times from OSRM.
//!
//! Against the REAL executables on Monaco's OpenStreetMap extract (both unpacked by
//! `scripts/setup-osrm.sh`; without them these tests fail saying so): the matrix equals a
//! direct `/table` call made here to an `osrm-routed` this test starts itself, prepared files
//! are reused, and the failure paths (no server, a file that is not OSM, no executables, a
//! point far at sea) are clear. Against a stand-in HTTP server (a `TcpListener` here): OSRM's
//! error codes, retries of a 500, malformed JSON, `null` durations, and resuming an
//! interrupted job with only the missing requests.

use medatlas::ingest::Reader;
use geo::Point;
use medatlas::routing::{self, EngineSource, MatrixOptions, MatrixSummary, RoutingError};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- the real engine on Monaco

/// Points on Monaco's streets (each within 60 m of a road, found with OSRM's /nearest).
const MONACO: [(&str, f64, f64); 24] = [
    ("M00", 7.4050, 43.7274),
    ("M01", 7.4080, 43.7274),
    ("M02", 7.4080, 43.7301),
    ("M03", 7.4110, 43.7247),
    ("M04", 7.4110, 43.7328),
    ("M05", 7.4140, 43.7274),
    ("M06", 7.4140, 43.7409),
    ("M07", 7.4140, 43.7436),
    ("M08", 7.4140, 43.7517),
    ("M09", 7.4170, 43.7436),
    ("M10", 7.4200, 43.7382),
    ("M11", 7.4200, 43.7490),
    ("M12", 7.4230, 43.7382),
    ("M13", 7.4230, 43.7490),
    ("M14", 7.4260, 43.7328),
    ("M15", 7.4290, 43.7382),
    ("M16", 7.4290, 43.7409),
    ("M17", 7.4290, 43.7436),
    ("M18", 7.4290, 43.7463),
    ("M19", 7.4290, 43.7490),
    ("M20", 7.4320, 43.7490),
    ("M21", 7.4320, 43.7517),
    ("M22", 7.4380, 43.7463),
    ("M23", 7.4380, 43.7490),
];

fn osrm_dir() -> PathBuf {
    let dir = std::env::var_os("MEDATLAS_OSRM_DIR").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("build/osrm"));
    assert!(
        dir.join("bin/osrm-routed").is_file() && dir.join("test-data/monaco.osm.pbf").is_file(),
        "OSRM's executables or Monaco's extract are missing in {}: run scripts/setup-osrm.sh first",
        dir.display()
    );
    dir
}

fn monaco_pbf() -> PathBuf {
    osrm_dir().join("test-data/monaco.osm.pbf")
}

fn write_points(path: &Path, points: &[(&str, f64, f64)]) {
    let mut text = String::from("code,lon,lat\n");
    for (code, lon, lat) in points {
        text.push_str(&format!("{code},{lon},{lat}\n"));
    }
    std::fs::write(path, text).unwrap();
}

fn medatlas(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_medatlas"));
    cmd.args(args).env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// sha256 by coreutils, independent of the code under test.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plain HTTP GET (no client library): status and body.
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Ok((status, body.to_string()))
}

/// An osrm-routed started by the test itself on prepared files, killed on drop.
struct Routed {
    child: Child,
    port: u16,
}

impl Routed {
    fn start(base: &Path) -> Routed {
        let port = free_port();
        let child = Command::new(osrm_dir().join("bin/osrm-routed"))
            .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-l", "WARNING"])
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut routed = Routed { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_get(port, "/nearest/v1/driving/7.42,43.73").is_err() {
            assert!(routed.child.try_wait().unwrap().is_none(), "the test's osrm-routed exited");
            assert!(Instant::now() < deadline, "the test's osrm-routed did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        routed
    }
}

impl Drop for Routed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_rows(path: &Path) -> HashMap<(String, String), (f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("from,to,minutes,km"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            ((f[0].to_string(), f[1].to_string()), (f[2].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn monaco_matrix_equals_a_direct_table_call_and_the_prepared_files_are_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let points = tmp.path().join("pts.csv");
    write_points(&points, &MONACO);
    let cache = tmp.path().join("cache");
    let out = tmp.path().join("m.csv");
    let (pbf, points_s, cache_s, out_s) = (monaco_pbf(), points.display().to_string(), cache.display().to_string(), out.display().to_string());
    let args = ["travel-times", "--osm", pbf.to_str().unwrap(), "--points", &points_s, "--out", &out_s, "--max-minutes", "4", "--osrm-cache", &cache_s];
    let first = medatlas(&args, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("prepared into"), "{}", stderr(&first));

    // The cache folder is named by the extract's sha256.
    let sha = sha256sum(&pbf);
    let prepared = cache.join(&sha);
    let marker = prepared.join("prepared.json");
    let marker_mtime = std::fs::metadata(&marker).unwrap().modified().unwrap();

    // The reference: every pair from one /table call to an osrm-routed started here.
    let routed = Routed::start(&prepared.join("map.osrm"));
    let coords: Vec<String> = MONACO.iter().map(|(_, lon, lat)| format!("{lon},{lat}")).collect();
    let (status, body) = http_get(routed.port, &format!("/table/v1/driving/{}?annotations=duration", coords.join(";"))).unwrap();
    assert_eq!(status, 200, "{body}");
    let table: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(table["code"], "Ok");
    let rows = read_rows(&out);
    let (mut within, mut beyond) = (0, 0);
    for (i, (a, ..)) in MONACO.iter().enumerate() {
        assert!(!rows.contains_key(&(a.to_string(), a.to_string())), "a point to itself is not listed");
        for (j, (b, ..)) in MONACO.iter().enumerate() {
            if i == j {
                continue;
            }
            let seconds = table["durations"][i][j].as_f64().unwrap_or_else(|| panic!("no route {a} → {b} in the reference"));
            match rows.get(&(a.to_string(), b.to_string())) {
                Some(&(minutes, _)) => {
                    assert!(seconds <= 4.0 * 60.0, "{a} → {b}: {seconds} s is beyond 4 min but listed");
                    assert!((minutes * 60.0 - seconds).abs() <= 0.1, "{a} → {b}: {minutes} min vs {seconds} s");
                    within += 1;
                }
                None => {
                    assert!(seconds > 4.0 * 60.0, "{a} → {b}: {seconds} s is within 4 min but missing");
                    beyond += 1;
                }
            }
        }
    }
    assert!(within > 50 && beyond > 50, "the limit should split the pairs: {within} within, {beyond} beyond");
    assert_eq!(rows.len(), within);

    // The sidecar: the engine's version as osrm-routed says it, the extract's sha256.
    let version = Command::new(osrm_dir().join("bin/osrm-routed")).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let side = read_json(&tmp.path().join("m.csv.json"));
    assert_eq!(side["engine"]["version"], version.as_str());
    assert_eq!(side["engine"]["osm_sha256"], sha.as_str());
    assert_eq!(side["engine"]["osm_file"], "monaco.osm.pbf");
    assert_eq!(side["engine"]["profile"], "car.lua");
    assert_eq!(side["engine"]["prepared_reused"], false);
    assert_eq!(side["counts"]["pairs_within_max_minutes"], within as u64);
    assert_eq!(side["counts"]["pairs_beyond_max_minutes"], beyond as u64);
    assert_eq!(side["counts"]["candidate_pairs"], (within + beyond) as u64);
    assert_eq!(side["points"]["count"], MONACO.len() as u64);

    // A second run reuses the prepared folder: not rebuilt, and says so.
    let out2 = tmp.path().join("m2.csv");
    let out2_s = out2.display().to_string();
    let args2 = ["travel-times", "--osm", pbf.to_str().unwrap(), "--points", &points_s, "--out", &out2_s, "--max-minutes", "4", "--osrm-cache", &cache_s];
    let second = medatlas(&args2, &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stderr(&second).contains("reused the prepared files"), "{}", stderr(&second));
    assert_eq!(std::fs::metadata(&marker).unwrap().modified().unwrap(), marker_mtime);
    assert_eq!(read_json(&tmp.path().join("m2.csv.json"))["engine"]["prepared_reused"], true);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&out2).unwrap(), "same inputs, same matrix");
    let leftovers: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from(&sha)], "no temporary folder left in the cache");
    drop(routed);
}

/// The processes whose parent is `parent`: pid, command name and state, read from /proc.
fn children_of(parent: u32) -> Vec<(u32, String, char)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Some((comm, state, ppid)) = proc_stat(pid) else { continue };
        if ppid == parent {
            found.push((pid, comm, state));
        }
    }
    found
}

/// `(command name, state, parent pid)` of a process, from /proc/PID/stat ("pid (comm) S ppid …").
fn proc_stat(pid: u32) -> Option<(String, char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let mut rest = stat[close + 2..].split(' ');
    let state = rest.next()?.chars().next()?;
    Some((stat[open + 1..close].to_string(), state, rest.next()?.parse().ok()?))
}

#[test]
fn travel_times_killed_by_sigkill_leaves_no_osrm_process_behind() {
    let tmp = tempfile::tempdir().unwrap();
    // 1,600 points over Monaco (2.6 M pairs): the job outlasts the moment it is killed.
    let grid: Vec<(String, f64, f64)> =
        (0..1600).map(|k| (format!("G{k:04}"), 7.405 + 0.033 * (k % 40) as f64 / 39.0, 43.724 + 0.028 * (k / 40) as f64 / 39.0)).collect();
    let named: Vec<(&str, f64, f64)> = grid.iter().map(|(c, lon, lat)| (c.as_str(), *lon, *lat)).collect();
    let points = tmp.path().join("grid.csv");
    write_points(&points, &named);
    let (pbf, cache, out) = (monaco_pbf(), tmp.path().join("cache"), tmp.path().join("m.csv"));
    let mut job = Command::new(env!("CARGO_BIN_EXE_medatlas"))
        .args(["travel-times", "--osm", pbf.to_str().unwrap(), "--points", points.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap(), "--osrm-cache", cache.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it is routing (its first batch journaled, after osrm-extract and osrm-contract
    // prepared Monaco): killed while osrm-routed still loads, osrm-routed would die anyway of a
    // write to the closed log pipe, proving nothing.
    let deadline = Instant::now() + Duration::from_secs(600);
    let journal = tmp.path().join("m.csv.journal");
    while !journal.exists() {
        assert!(job.try_wait().unwrap().is_none(), "travel-times ended before its first batch was journaled");
        assert!(Instant::now() < deadline, "no batch journaled within 600 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The server it routes with (not the `osrm-routed --version` it ran before).
    let routed = children_of(job.id()).into_iter().find(|(_, comm, state)| comm == "osrm-routed" && *state != 'Z').map(|(pid, ..)| pid);
    let routed = routed.expect("travel-times routes with an osrm-routed of its own");
    assert!(job.try_wait().unwrap().is_none(), "the job must still run when it is killed");
    job.kill().unwrap(); // SIGKILL: no destructor runs in travel-times
    job.wait().unwrap();
    // Gone, or a zombie nobody reaps: either way it no longer runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while proc_stat(routed).is_some_and(|(comm, state, _)| comm == "osrm-routed" && state != 'Z') {
        if Instant::now() > deadline {
            kill_left_behind(routed);
            panic!("osrm-routed {routed} still runs 10 s after travel-times was killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops a process the test found left behind, so that a failure does not leak it either.
fn kill_left_behind(pid: u32) {
    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
}

#[test]
fn a_point_far_at_sea_is_reported_as_snapped_far_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let points = tmp.path().join("pts.csv");
    // 48 km south of Monaco, in the sea.
    write_points(&points, &[MONACO[3], MONACO[10], MONACO[20], ("SEA", 7.40, 43.30)]);
    let out = tmp.path().join("m.csv");
    let cache = tmp.path().join("cache");
    let o = medatlas(
        &["travel-times", "--osm", monaco_pbf().to_str().unwrap(), "--points", points.to_str().unwrap(), "--out", out.to_str().unwrap(), "--osrm-cache", cache.to_str().unwrap()],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let side = read_json(&tmp.path().join("m.csv.json"));
    let far = side["snapping"]["snapped_over_warn"].as_array().unwrap();
    let unroutable = side["snapping"]["unroutable"].as_array().unwrap();
    let reported_far = far.iter().any(|f| f["code"] == "SEA" && f["distance_m"].as_f64().unwrap() > 1000.0);
    assert!(reported_far || unroutable.iter().any(|u| u == "SEA"), "{side}");
    assert!(far.iter().all(|f| f["code"] == "SEA"), "only the sea point is far: {far:?}");
    assert!(stderr(&o).contains("SEA"), "{}", stderr(&o));
}

#[test]
fn a_text_file_given_as_osm_is_a_clear_error_naming_osrm_extract_and_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes.osm.pbf");
    std::fs::write(&notes, "these are notes, not OpenStreetMap data\n").unwrap();
    let points = tmp.path().join("pts.csv");
    write_points(&points, &MONACO[..3]);
    let out = tmp.path().join("m.csv");
    let cache = tmp.path().join("cache");
    let o = medatlas(
        &["travel-times", "--osm", notes.to_str().unwrap(), "--points", points.to_str().unwrap(), "--out", out.to_str().unwrap(), "--osrm-cache", cache.to_str().unwrap()],
        &[],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("osrm-extract failed on") && err.contains("notes.osm.pbf"), "{err}");
    assert!(!out.exists());
    // Nothing half-prepared is left to be taken for ready.
    let left: Vec<_> = std::fs::read_dir(&cache).map(|d| d.map(|e| e.unwrap().file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_closed_port_is_a_clear_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let points = tmp.path().join("pts.csv");
    write_points(&points, &MONACO[..4]);
    let out = tmp.path().join("m.csv");
    let url = format!("http://127.0.0.1:{}", free_port());
    let o = medatlas(&["travel-times", "--osrm-url", &url, "--points", points.to_str().unwrap(), "--out", out.to_str().unwrap()], &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("no answer after 5 attempts") && err.contains(&url) && err.contains("batch 0"), "{err}");
    let files: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(files, vec!["pts.csv".to_string()], "no output, partial or sidecar");
}

#[test]
fn missing_executables_are_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let points = tmp.path().join("pts.csv");
    write_points(&points, &MONACO[..3]);
    let out = tmp.path().join("m.csv");
    let o = medatlas(
        &["travel-times", "--osm", monaco_pbf().to_str().unwrap(), "--points", points.to_str().unwrap(), "--out", out.to_str().unwrap()],
        &[("MEDATLAS_OSRM_DIR", &empty)],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("executable osrm-extract not found") && err.contains("empty") && err.contains("setup-osrm.sh"), "{err}");
    assert!(!out.exists());
}

// ---------------------------------------------------------------- a stand-in OSRM server

/// A stand-in HTTP server on 127.0.0.1: `answer(n, path)` gives the status and body of the
/// n-th request (from 0); it counts the requests.
struct StandIn {
    url: String,
    count: Arc<AtomicUsize>,
}

impl StandIn {
    fn start(answer: impl Fn(usize, &str) -> (u16, String) + Send + Sync + 'static) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&count);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (status, body) = answer(n, &path);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        StandIn { url, count }
    }

    fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

/// The stand-in's travel time (s) between two points: 29,000 s per degree of |Δlon| + |Δlat|
/// (on the 0.01° grid: multiples of 4.83 min, none within rounding of the 30-minute limit).
fn fake_seconds(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).abs() + (a.1 - b.1).abs()) * 29_000.0
}

/// A well-formed `/table` answer for the request `path`, with the fake times; `null` where
/// `unreachable(from, to)`.
fn fake_table(path: &str, unreachable: &dyn Fn((f64, f64), (f64, f64)) -> bool) -> String {
    let (route, query) = path.split_once('?').unwrap();
    let coords: Vec<(f64, f64)> = route
        .trim_start_matches("/table/v1/driving/")
        .split(';')
        .map(|c| {
            let (x, y) = c.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    let list = |name: &str| -> Vec<usize> {
        let v = query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap();
        v.split(';').map(|i| i.parse().unwrap()).collect()
    };
    let (sources, destinations) = (list("sources"), list("destinations"));
    let cell = |s: usize, d: usize, scale: f64| {
        if unreachable(coords[s], coords[d]) { Value::Null } else { Value::from(fake_seconds(coords[s], coords[d]) * scale) }
    };
    let grid = |scale: f64| -> Vec<Vec<Value>> { sources.iter().map(|&s| destinations.iter().map(|&d| cell(s, d, scale)).collect()).collect() };
    let waypoints = |ids: &[usize]| -> Vec<Value> { ids.iter().map(|&i| serde_json::json!({"location": [coords[i].0, coords[i].1], "distance": 0.0})).collect() };
    serde_json::json!({"code": "Ok", "durations": grid(1.0), "distances": grid(10.0), "sources": waypoints(&sources), "destinations": waypoints(&destinations)}).to_string()
}

/// 20 points 0.01° apart: the fake times run to 34 minutes, so 30 splits them (29 min is in).
fn grid_points() -> Vec<(String, Point<f64>)> {
    (0..20).map(|i| (format!("P{i:02}"), Point::new(3.0 + (i % 5) as f64 * 0.01, 46.0 + (i / 5) as f64 * 0.01))).collect()
}

fn quick_options() -> MatrixOptions {
    MatrixOptions { backoff: Duration::from_millis(5), retries: 2, concurrency: 2, ..MatrixOptions::default() }
}

fn run(url: &str, points: &[(String, Point<f64>)], out: &Path, options: &MatrixOptions) -> Result<MatrixSummary, RoutingError> {
    routing::travel_times(points, "test points", &EngineSource::Url(url.to_string()), out, options, &|_| {})
}

/// Checks a matrix against the fake times: every pair within 30 min, with its time, nothing else.
fn check_fake_matrix(out: &Path, points: &[(String, Point<f64>)], skip: &dyn Fn(&str, &str) -> bool) -> usize {
    let rows = read_rows(out);
    let mut expected = 0;
    for (a, pa) in points {
        for (b, pb) in points {
            let seconds = fake_seconds((pa.x(), pa.y()), (pb.x(), pb.y()));
            let listed = rows.get(&(a.clone(), b.clone()));
            if a == b || skip(a, b) || seconds > 30.0 * 60.0 {
                assert!(listed.is_none(), "{a} → {b} should not be listed");
            } else {
                let &(minutes, km) = listed.unwrap_or_else(|| panic!("{a} → {b} missing"));
                assert!((minutes - seconds / 60.0).abs() < 0.001, "{a} → {b}: {minutes} vs {seconds} s");
                assert!((km - seconds * 10.0 / 1000.0).abs() < 0.001, "{a} → {b}: {km} km");
                expected += 1;
            }
        }
    }
    assert_eq!(rows.len(), expected);
    expected
}

#[test]
fn an_osrm_error_code_is_an_error_with_its_message() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    let in_400 = StandIn::start(|_, _| (400, r#"{"code":"InvalidQuery","message":"Query string malformed close to position 7"}"#.into()));
    let err = run(&in_400.url, &grid_points(), &out, &quick_options()).unwrap_err();
    assert!(matches!(err, RoutingError::Osrm { .. }), "{err}");
    assert!(err.to_string().contains("InvalidQuery: Query string malformed close to position 7"), "{err}");
    assert_eq!(in_400.requests(), 1, "an OSRM error is not retried");
    let in_200 = StandIn::start(|_, _| (200, r#"{"code":"NoTable","message":"No table found"}"#.into()));
    let err = run(&in_200.url, &grid_points(), &out, &quick_options()).unwrap_err();
    assert!(err.to_string().contains("NoTable: No table found") && err.to_string().contains("batch 0"), "{err}");
    assert!(!out.exists());
}

#[test]
fn an_http_500_is_retried_and_the_job_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    let stand_in = StandIn::start(|n, path| if n == 0 { (500, "overloaded".into()) } else { (200, fake_table(path, &|_, _| false)) });
    let points = grid_points();
    let s = run(&stand_in.url, &points, &out, &quick_options()).unwrap();
    assert_eq!(s.retries, 1);
    assert_eq!(stand_in.requests(), 2);
    let n = check_fake_matrix(&out, &points, &|_, _| false);
    assert_eq!(s.pairs_within_max_minutes, n as u64);
    assert!(s.pairs_beyond_max_minutes > 0, "{s:?}");
    assert_eq!(read_json(&tmp.path().join("m.csv.json"))["counts"]["retries"], 1);
}

#[test]
fn a_500_that_lasts_fails_after_the_retries() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    let stand_in = StandIn::start(|_, _| (503, "down".into()));
    let err = run(&stand_in.url, &grid_points(), &out, &quick_options()).unwrap_err();
    assert!(matches!(err, RoutingError::Http { status: 503, attempts: 3, .. }), "{err}");
    assert_eq!(stand_in.requests(), 3);
}

#[test]
fn malformed_json_is_an_error_naming_the_request() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    let stand_in = StandIn::start(|_, _| (200, r#"{"code":"Ok","durations":[[0,"#.into()));
    let err = run(&stand_in.url, &grid_points(), &out, &quick_options()).unwrap_err();
    assert!(matches!(err, RoutingError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("batch 0") && err.to_string().contains("not JSON"), "{err}");
    assert!(!out.exists());
}

#[test]
fn null_durations_are_counted_unreachable_and_not_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    let points = grid_points();
    // P07 (3.02, 46.01) can be reached from nowhere and reaches nowhere.
    let p07 = (3.02, 46.01);
    let isolated = move |a: (f64, f64), b: (f64, f64)| [a, b].iter().any(|p| (p.0 - p07.0).abs() < 1e-9 && (p.1 - p07.1).abs() < 1e-9);
    let stand_in = StandIn::start(move |_, path| (200, fake_table(path, &isolated)));
    let s = run(&stand_in.url, &points, &out, &quick_options()).unwrap();
    assert_eq!(s.unreachable_pairs, 2 * 19, "P07 to and from the 19 others");
    assert_eq!(s.unroutable, vec!["P07".to_string()]);
    check_fake_matrix(&out, &points, &|a, b| a == "P07" || b == "P07");
    let side = read_json(&tmp.path().join("m.csv.json"));
    assert_eq!(side["counts"]["unreachable_pairs"], 38);
    assert_eq!(side["snapping"]["unroutable"][0], "P07");
}

#[test]
fn an_interrupted_job_resumes_with_only_the_missing_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let points = grid_points();
    // Blocks of 5 points: several requests.
    let options = MatrixOptions { max_table_size: 5, concurrency: 1, retries: 1, ..quick_options() };

    // How many requests the whole job takes, on a healthy stand-in.
    let healthy = StandIn::start(|_, path| (200, fake_table(path, &|_, _| false)));
    let reference = tmp.path().join("reference.csv");
    let whole = run(&healthy.url, &points, &reference, &options).unwrap();
    let total = healthy.requests();
    assert_eq!(whole.requests as usize, total);
    assert!(total >= 8, "{total} requests");

    // A stand-in that fails for good after 3 answers, until it is mended.
    let mended = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&mended);
    let flaky = StandIn::start(move |n, path| if n < 3 || flag.load(Ordering::SeqCst) { (200, fake_table(path, &|_, _| false)) } else { (500, "gone".into()) });
    let out = tmp.path().join("m.csv");
    let err = run(&flaky.url, &points, &out, &options).unwrap_err();
    assert!(matches!(err, RoutingError::Http { status: 500, .. }), "{err}");
    assert!(!out.exists(), "no final file after an interruption");
    assert!(!tmp.path().join("m.csv.json").exists());
    assert!(tmp.path().join("m.csv.partial").exists() && tmp.path().join("m.csv.journal").exists());
    let before = flaky.requests();
    assert_eq!(before, 3 + 2, "3 answers, then the failing request and its retry");

    mended.store(true, Ordering::SeqCst);
    let s = run(&flaky.url, &points, &out, &options).unwrap();
    assert_eq!(flaky.requests() - before, total - 3, "only the missing requests are sent");
    assert_eq!(s.requests_this_run as usize, total - 3);
    assert_eq!(s.requests as usize, total);
    check_fake_matrix(&out, &points, &|_, _| false);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&reference).unwrap());
    assert!(!tmp.path().join("m.csv.partial").exists() && !tmp.path().join("m.csv.journal").exists());
}

#[test]
fn the_matrix_is_read_back_by_the_atlas_matrix_reader() {
    use medatlas::model::CommuneRegistry;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    let codes = ["03185", "03095", "03001", "03002", "03003", "03004"];
    let points: Vec<(String, Point<f64>)> = codes.iter().enumerate().map(|(i, c)| (c.to_string(), Point::new(2.6 + i as f64 * 0.01, 46.3))).collect();
    let stand_in = StandIn::start(|_, path| (200, fake_table(path, &|_, _| false)));
    let s = run(&stand_in.url, &points, &out, &quick_options()).unwrap();
    let mut builder = CommuneRegistry::builder();
    for c in codes {
        builder = builder.commune(c, c);
    }
    let registry = builder.build();
    let imported = medatlas::ingest::time_matrix::TimeMatrixReader::read(&out, &registry, &false).unwrap();
    assert!(imported.report.rejected.is_empty(), "{:?}", imported.report.rejected);
    assert_eq!(imported.records.len() as u64, s.pairs_within_max_minutes);
    assert_eq!(imported.records.len(), 30, "6 points, every ordered pair within 30 min");
    let first = imported.records.iter().find(|r| r.from == "03185" && r.to == "03095").unwrap();
    assert!((first.minutes - 0.01 * 29_000.0 / 60.0).abs() < 0.001, "{first:?}");
}
