//! Planning and running a travel-time matrix job against an OSRM server, and writing it.
//!
//! **Plan.** The candidate pairs are the ordered pairs of distinct points whose great-circle
//! distance could be driven within `max_minutes` at a generous speed (`prefilter_speed_kmh`,
//! 120 km/h: 30 min ⇒ 60 km); no road is that straight and fast for long, so the pre-filter
//! drops no pair that a car makes within the limit, while national pairs fall from 1.2 billion
//! to a few tens of millions. The points are sorted along a Hilbert curve and cut into blocks
//! of `max_table_size`: consecutive blocks are compact areas. A request (a *batch*) asks one
//! block's points as sources and one block's as destinations, for each pair of blocks that
//! holds at least one candidate pair (OSRM's `--max-table-size` limit is sources ×
//! destinations ≤ its square). Only candidate cells of an answer are kept: the matrix does not
//! depend on how the points fell into blocks.
//!
//! **Run.** `concurrency` threads send the batches through one [`TableClient`] (retries with
//! back-off); the calling thread appends each finished batch to `OUT.partial` (synced) and then
//! records it in `OUT.journal` (its id, the partial's length after it, its counts, the snaps
//! and routed points it saw first). A journal starts with a hash of the inputs (points,
//! options, engine); a re-run with the same inputs skips the batches it lists and cuts the
//! partial back to the length its last entry gives (rows of a batch whose entry was never
//! written are dropped and asked again). Only when every batch is done is the matrix written,
//! sorted, to a temporary file renamed over `OUT`, then the partial and journal are removed:
//! a file under the output's name is always whole.
//!
//! **Output.** `OUT`: CSV `from,to,minutes,km` (minutes to 0.001, km to the metre), the
//! candidate pairs routed within `max_minutes`; a pair not listed is beyond it or unreachable,
//! and a commune to itself is not listed (0 min for `ingest::time_matrix`). `OUT.json`: the
//! engine, profile and extract (name, sha256), the date, the kind of points, the options, the
//! counts and the snapping report (points snapped more than `snap_warn_m` from their position,
//! points that had candidate pairs but no pair could be routed).

use super::error::{Result, RoutingError};
use super::table::{Snap, TableAnswer, TableClient, TableQuery};
use super::utc_now;
use crate::index::{PointIndex, haversine_m};
use geo::Point;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The header of the matrix file (read by `ingest::time_matrix`, which ignores `km`).
pub const HEADER: &str = "from,to,minutes,km\n";

/// Options of a matrix job.
#[derive(Debug, Clone)]
pub struct MatrixOptions {
    /// Pairs routed within this many minutes (inclusive) are written.
    pub max_minutes: f64,
    /// Pre-filter: a pair is asked only if its great-circle distance could be driven within
    /// `max_minutes` at this speed (km/h). Generous on purpose (see the module documentation).
    pub prefilter_speed_kmh: f64,
    /// Points per block: sources (and destinations) per request, OSRM's `--max-table-size`.
    pub max_table_size: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Further attempts of a request after a connection error or a 5xx answer.
    pub retries: u32,
    /// Wait before the first retry; doubled at each further one.
    pub backoff: Duration,
    /// Longest time one request may take.
    pub request_timeout: Duration,
    /// Points snapped farther than this (m) from their position are reported.
    pub snap_warn_m: f64,
}

impl Default for MatrixOptions {
    fn default() -> Self {
        MatrixOptions {
            max_minutes: 30.0,
            prefilter_speed_kmh: 120.0,
            max_table_size: 100,
            concurrency: 4,
            retries: 4,
            backoff: Duration::from_millis(250),
            request_timeout: Duration::from_secs(300),
            snap_warn_m: 1000.0,
        }
    }
}

impl MatrixOptions {
    /// The pre-filter's great-circle radius, metres.
    pub fn prefilter_radius_m(&self) -> f64 {
        self.max_minutes / 60.0 * self.prefilter_speed_kmh * 1000.0
    }

    /// Checks that every option is in range.
    pub fn check(&self) -> Result<()> {
        let bad = |what: String| Err(RoutingError::Options(what));
        if !(self.max_minutes.is_finite() && self.max_minutes > 0.0) {
            return bad(format!("max minutes must be > 0, got {}", self.max_minutes));
        }
        if !(self.prefilter_speed_kmh.is_finite() && self.prefilter_speed_kmh > 0.0) {
            return bad(format!("the pre-filter speed must be > 0 km/h, got {}", self.prefilter_speed_kmh));
        }
        if self.max_table_size < 1 {
            return bad("the table size must be at least 1".into());
        }
        if !(1..=256).contains(&self.concurrency) {
            return bad(format!("concurrency must be between 1 and 256, got {}", self.concurrency));
        }
        if !(self.snap_warn_m.is_finite() && self.snap_warn_m >= 0.0) {
            return bad(format!("the snap warning distance must be ≥ 0, got {}", self.snap_warn_m));
        }
        Ok(())
    }
}

/// What answers the requests, as the sidecar records it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EngineInfo {
    /// The engine, e.g. "osrm-routed".
    pub name: String,
    /// Its version, e.g. "v26.10.0" (unknown behind a URL: OSRM's HTTP API does not say it).
    pub version: Option<String>,
    /// The server's URL when the user gave one (`--osrm-url`).
    pub url: Option<String>,
    /// The routing profile.
    pub profile: String,
    /// The OpenStreetMap extract's file name (when prepared here).
    pub osm_file: Option<String>,
    /// The extract's sha256.
    pub osm_sha256: Option<String>,
    /// When the extract was prepared (UTC).
    pub prepared_utc: Option<String>,
    /// Whether this run reused files prepared by an earlier one.
    pub prepared_reused: Option<bool>,
}

impl EngineInfo {
    /// What makes two runs' answers the same, for the resume journal: the extract, the OSRM
    /// version and the profile when prepared here (not the port), else the URL.
    fn identity(&self) -> String {
        match &self.osm_sha256 {
            Some(sha) => format!("osm {sha} {} {:?} {}", self.name, self.version, self.profile),
            None => format!("url {:?} {:?}", self.url, self.version),
        }
    }
}

/// One request: a block of sources and a block of destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// The source block.
    pub sources: usize,
    /// The destination block.
    pub destinations: usize,
    /// How many candidate pairs it holds.
    pub candidate_pairs: u64,
}

/// The requests of a job.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Point positions in Hilbert-curve order.
    pub order: Vec<usize>,
    /// Each block, a range of `order`.
    pub blocks: Vec<Range<usize>>,
    /// The requests; a batch's id is its position.
    pub batches: Vec<Batch>,
    /// Ordered pairs of distinct points within the pre-filter's radius.
    pub candidate_pairs: u64,
    /// Candidate pairs of each point (as source or destination).
    pub candidates_per_point: Vec<u32>,
    /// The pre-filter's radius, metres.
    pub radius_m: f64,
}

/// Plans the requests of a job. See the [module documentation](self).
pub fn plan(points: &[(String, Point<f64>)], options: &MatrixOptions) -> Result<Plan> {
    options.check()?;
    let radius_m = options.prefilter_radius_m();
    let order = hilbert_order(points);
    let b = options.max_table_size;
    let blocks: Vec<Range<usize>> = (0..order.len()).step_by(b).map(|s| s..(s + b).min(order.len())).collect();
    let mut block_of = vec![0u32; points.len()];
    for (k, block) in blocks.iter().enumerate() {
        for &p in &order[block.clone()] {
            block_of[p] = k as u32;
        }
    }
    let index = PointIndex::build(points.iter().map(|(_, p)| Some(*p)));
    let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
    let mut candidates_per_point = vec![0u32; points.len()];
    let mut candidate_pairs = 0u64;
    for (a, (_, pa)) in points.iter().enumerate() {
        for (b, _) in index.within(*pa, radius_m) {
            // `within` keeps haversine_m(pa, pb) ≤ radius: the same test as `is_candidate`.
            if a != b {
                *pairs.entry((block_of[a], block_of[b])).or_default() += 1;
                candidates_per_point[a] += 1;
                candidates_per_point[b] += 1;
                candidate_pairs += 1;
            }
        }
    }
    let mut batches: Vec<Batch> = pairs.into_iter().map(|((s, d), n)| Batch { sources: s as usize, destinations: d as usize, candidate_pairs: n }).collect();
    batches.sort_unstable_by_key(|b| (b.sources, b.destinations));
    Ok(Plan { order, blocks, batches, candidate_pairs, candidates_per_point, radius_m })
}

/// Whether `a → b` is a candidate pair (the test `plan` applies through the index).
fn is_candidate(pa: Point<f64>, pb: Point<f64>, radius_m: f64) -> bool {
    haversine_m(pa, pb) <= radius_m
}

/// Point positions sorted along a Hilbert curve over their bounding box (ties by code), so
/// that consecutive points are near each other.
fn hilbert_order(points: &[(String, Point<f64>)]) -> Vec<usize> {
    const BITS: u32 = 16;
    let n = points.len();
    if n == 0 {
        return Vec::new();
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (_, p) in points {
        (x0, y0, x1, y1) = (x0.min(p.x()), y0.min(p.y()), x1.max(p.x()), y1.max(p.y()));
    }
    // One scale for both axes, a degree of longitude shortened by the cosine of the latitude.
    let shrink = ((y0 + y1) / 2.0).to_radians().cos().max(0.01);
    let span = ((x1 - x0) * shrink).max(y1 - y0).max(1e-12);
    let cells = f64::from((1u32 << BITS) - 1);
    let key = |p: Point<f64>| {
        let x = (((p.x() - x0) * shrink / span) * cells).round().clamp(0.0, cells) as u32;
        let y = (((p.y() - y0) / span) * cells).round().clamp(0.0, cells) as u32;
        hilbert_index(BITS, x, y)
    };
    let keys: Vec<u64> = points.iter().map(|(_, p)| key(*p)).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]).then_with(|| points[a].0.cmp(&points[b].0)));
    order
}

/// Position of cell (x, y) along the Hilbert curve filling a 2^bits × 2^bits grid.
fn hilbert_index(bits: u32, mut x: u32, mut y: u32) -> u64 {
    let n: u32 = if bits >= 32 { u32::MAX } else { (1u32 << bits) - 1 };
    let mut d = 0u64;
    let mut s = 1u32 << (bits - 1);
    while s > 0 {
        let rx = u32::from(x & s != 0);
        let ry = u32::from(y & s != 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - x;
                y = n - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

/// How far a job has gone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Requests done, this run and earlier ones.
    pub done: u64,
    /// Requests in the job.
    pub total: u64,
    /// Pairs written so far.
    pub pairs_written: u64,
}

/// What a job tells its caller while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// A line for the user (preparation, resume, engine address).
    Note(String),
    /// After each finished request.
    Progress(Progress),
}

/// A point snapped far from where it was given.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SnapReport {
    /// The point's code.
    pub code: String,
    /// How far OSRM moved it, metres.
    pub distance_m: f64,
    /// Where it was given, lon/lat.
    pub given: [f64; 2],
    /// Where OSRM snapped it, lon/lat.
    pub snapped: [f64; 2],
}

/// What a finished job did; also written, with the engine and options, to `OUT.json`.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixSummary {
    /// The matrix file.
    pub out: PathBuf,
    /// Its JSON sidecar.
    pub sidecar: PathBuf,
    /// Points (communes) asked.
    pub communes: usize,
    /// Ordered pairs of distinct points within the pre-filter's radius.
    pub candidate_pairs: u64,
    /// Candidate pairs routed within `max_minutes`: the rows of the matrix.
    pub pairs_within_max_minutes: u64,
    /// Candidate pairs routed, but beyond `max_minutes`.
    pub pairs_beyond_max_minutes: u64,
    /// Candidate pairs OSRM found no route for (`null`).
    pub unreachable_pairs: u64,
    /// `/table` requests of the job (this run and earlier ones).
    pub requests: u64,
    /// Of which this run sent.
    pub requests_this_run: u64,
    /// Failed attempts that were retried.
    pub retries: u64,
    /// Points snapped farther than the warning distance.
    pub snapped_far: Vec<SnapReport>,
    /// Points with candidate pairs none of which could be routed.
    pub unroutable: Vec<String>,
    /// Points with no candidate pair at all (nothing within the pre-filter's radius).
    pub isolated: Vec<String>,
    /// Largest snap distance, metres.
    pub max_snap_m: Option<f64>,
    /// Median snap distance, metres.
    pub median_snap_m: Option<f64>,
    /// Wall time of this run, seconds.
    pub seconds: f64,
}

/// Everything a job needs besides the server.
#[derive(Debug, Clone)]
pub struct MatrixJob<'a> {
    /// The points: code and position (lon/lat).
    pub points: &'a [(String, Point<f64>)],
    /// What the points are, for the sidecar (e.g. "town hall").
    pub point_kind: &'a str,
    /// The options.
    pub options: &'a MatrixOptions,
    /// The engine, for the sidecar and the resume key.
    pub engine: &'a EngineInfo,
    /// The matrix file to write.
    pub out: &'a Path,
}

/// `OUT` with `.suffix` appended to its file name (`matrix.csv` → `matrix.csv.json`).
pub fn beside(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".");
    name.push(suffix);
    out.with_file_name(name)
}

/// Checks the output's name and folder before any work is done.
pub fn check_output(out: &Path) -> Result<()> {
    let name = out.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name.is_empty() {
        return Err(RoutingError::Options(format!("the output {} has no file name", out.display())));
    }
    if name.ends_with(".gz") {
        // ingest::time_matrix reads plain CSV only: a gzipped matrix could not be loaded back.
        return Err(RoutingError::Options(format!("{}: the matrix is written as plain CSV (medatlas reads no .gz matrix); give a name ending in .csv", out.display())));
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(RoutingError::io(dir, std::io::Error::new(std::io::ErrorKind::NotFound, "the output's folder does not exist")));
    }
    Ok(())
}

/// Runs a job against the OSRM server at `url`, resuming an interrupted run of the same inputs.
/// See the [module documentation](self).
pub fn build_matrix(job: &MatrixJob, url: &str, events: &dyn Fn(JobEvent)) -> Result<MatrixSummary> {
    let started = Instant::now();
    let options = job.options;
    check_output(job.out)?;
    let plan = plan(job.points, options)?;
    let client = TableClient::new(url, options.retries, options.backoff, options.request_timeout);
    let key = input_key(job);
    let mut state = State::open(job, &plan, &key, events)?;
    let total = plan.batches.len() as u64;
    let resumed = state.requests;
    events(JobEvent::Note(format!(
        "{} points, {} candidate pairs within {:.0} km, {} requests of up to {} × {} points{}",
        job.points.len(),
        plan.candidate_pairs,
        plan.radius_m / 1000.0,
        total,
        options.max_table_size,
        options.max_table_size,
        if resumed > 0 { format!(" ({resumed} done by an earlier run, skipped)") } else { String::new() }
    )));
    events(JobEvent::Progress(Progress { done: state.requests, total, pairs_written: state.written }));
    let todo: Vec<usize> = (0..plan.batches.len()).filter(|&b| !state.done[b]).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut failure: Option<RoutingError> = None;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<Result<BatchResult>>();
        for _ in 0..options.concurrency.min(todo.len()) {
            let tx = tx.clone();
            let (todo, next, stop, plan, client) = (&todo, &next, &stop, &plan, &client);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some(&id) = todo.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    let result = run_batch(job, plan, client, id);
                    let failed = result.is_err();
                    if tx.send(result).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Finished batches are recorded even after a failure: the re-run skips them.
        for result in rx {
            let committed = result.and_then(|r| state.commit(r));
            match committed {
                Ok(()) => events(JobEvent::Progress(Progress { done: state.requests, total, pairs_written: state.written })),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    failure.get_or_insert(e);
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let requests_this_run = state.requests - resumed;
    state.finish(job, &plan, requests_this_run, started.elapsed().as_secs_f64())
}

/// The hash of everything that decides a job's answers, keying its journal.
fn input_key(job: &MatrixJob) -> String {
    let mut h = Sha256::new();
    h.update(b"medatlas travel-times journal 1\n");
    h.update(job.engine.identity().as_bytes());
    let o = job.options;
    h.update(format!("\n{} {} {}\n", o.max_minutes.to_bits(), o.prefilter_speed_kmh.to_bits(), o.max_table_size).as_bytes());
    for (code, p) in job.points {
        h.update(code.as_bytes());
        h.update(p.x().to_bits().to_le_bytes());
        h.update(p.y().to_bits().to_le_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

/// What one finished request contributes.
#[derive(Debug)]
struct BatchResult {
    id: usize,
    rows: String,
    written: u64,
    beyond: u64,
    unreachable: u64,
    retries: u32,
    snaps: Vec<(usize, Snap)>,
    routed: Vec<usize>,
}

fn run_batch(job: &MatrixJob, plan: &Plan, client: &TableClient, id: usize) -> Result<BatchResult> {
    let batch = plan.batches[id];
    let sources = &plan.order[plan.blocks[batch.sources].clone()];
    let destinations = &plan.order[plan.blocks[batch.destinations].clone()];
    let same = batch.sources == batch.destinations;
    let mut coordinates: Vec<Point<f64>> = sources.iter().map(|&p| job.points[p].1).collect();
    if !same {
        coordinates.extend(destinations.iter().map(|&p| job.points[p].1));
    }
    let dest_range = if same { 0..sources.len() } else { sources.len()..sources.len() + destinations.len() };
    let name = format!("batch {id} (block {} → block {}, {} × {} points)", batch.sources, batch.destinations, sources.len(), destinations.len());
    let query = TableQuery { name: &name, coordinates: &coordinates, sources: 0..sources.len(), destinations: dest_range };
    let answer = client.table(&query)?;
    Ok(collect_cells(job, plan, id, sources, destinations, &answer))
}

/// The candidate cells of an answer: rows within the limit, counts, snaps, routed points.
fn collect_cells(job: &MatrixJob, plan: &Plan, id: usize, sources: &[usize], destinations: &[usize], answer: &TableAnswer) -> BatchResult {
    let max = job.options.max_minutes;
    let mut r = BatchResult { id, rows: String::new(), written: 0, beyond: 0, unreachable: 0, retries: answer.retries, snaps: Vec::new(), routed: Vec::new() };
    let mut routed = vec![false; sources.len() + destinations.len()];
    for (si, &a) in sources.iter().enumerate() {
        for (di, &b) in destinations.iter().enumerate() {
            if a == b || !is_candidate(job.points[a].1, job.points[b].1, plan.radius_m) {
                continue;
            }
            let Some(seconds) = answer.duration(si, di) else {
                r.unreachable += 1;
                continue;
            };
            routed[si] = true;
            routed[sources.len() + di] = true;
            let minutes = seconds / 60.0;
            if minutes <= max {
                let km = answer.distance(si, di).unwrap_or(f64::NAN) / 1000.0;
                r.rows.push_str(&format!("{},{},{minutes:.3},{km:.3}\n", job.points[a].0, job.points[b].0));
                r.written += 1;
            } else {
                r.beyond += 1;
            }
        }
    }
    let all = sources.iter().zip(&answer.sources).chain(destinations.iter().zip(&answer.destinations));
    r.snaps = all.map(|(&p, s)| (p, *s)).collect();
    r.routed = sources.iter().chain(destinations).zip(routed).filter(|(_, r)| *r).map(|(&p, _)| p).collect();
    r
}

/// The journal's first line.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct JournalHeader {
    journal: String,
    inputs: String,
    batches: usize,
    points: usize,
}

/// One finished batch in the journal.
#[derive(Debug, Serialize, Deserialize)]
struct JournalEntry {
    batch: usize,
    /// The partial's length after this batch's rows.
    end: u64,
    written: u64,
    beyond: u64,
    unreachable: u64,
    retries: u32,
    /// (point, snap distance m, snapped lon, snapped lat) of points first seen in this batch.
    snaps: Vec<(usize, f64, f64, f64)>,
    /// Points first routed in this batch.
    routed: Vec<usize>,
}

/// The job's progress, in memory and on disk (partial + journal, opened at the first commit).
struct State {
    partial_path: PathBuf,
    journal_path: PathBuf,
    files: Option<(File, File)>,
    header: String,
    end: u64,
    done: Vec<bool>,
    snap: Vec<Option<Snap>>,
    routed: Vec<bool>,
    requests: u64,
    written: u64,
    beyond: u64,
    unreachable: u64,
    retries: u64,
}

impl State {
    /// A fresh state, or the one an interrupted run of the same inputs left.
    fn open(job: &MatrixJob, plan: &Plan, key: &str, events: &dyn Fn(JobEvent)) -> Result<State> {
        let n = job.points.len();
        let header = JournalHeader { journal: "medatlas travel-times".into(), inputs: key.into(), batches: plan.batches.len(), points: n };
        let header = serde_json::to_string(&header).map_err(|e| RoutingError::Options(e.to_string()))?;
        let mut state = State {
            partial_path: beside(job.out, "partial"),
            journal_path: beside(job.out, "journal"),
            files: None,
            header,
            end: HEADER.len() as u64,
            done: vec![false; plan.batches.len()],
            snap: vec![None; n],
            routed: vec![false; n],
            requests: 0,
            written: 0,
            beyond: 0,
            unreachable: 0,
            retries: 0,
        };
        if !state.journal_path.exists() {
            // Rows without a journal were never recorded as done.
            remove_if_exists(&state.partial_path)?;
            return Ok(state);
        }
        let text = std::fs::read_to_string(&state.journal_path).map_err(|e| RoutingError::io(&state.journal_path, e))?;
        let mut lines = text.split_inclusive('\n');
        if lines.next().map(str::trim_end) != Some(state.header.as_str()) {
            events(JobEvent::Note(format!("{} is from other inputs (points, options or engine): starting over", state.journal_path.display())));
            remove_if_exists(&state.journal_path)?;
            remove_if_exists(&state.partial_path)?;
            return Ok(state);
        }
        let mut good = state.header.len() + 1;
        let bad = |message: String| RoutingError::Resume { path: state.journal_path.clone(), message };
        let mut entries = Vec::new();
        for line in lines {
            // A last line cut by a crash (no newline, or not JSON) is dropped: its batch is redone.
            let Some(entry) = line.strip_suffix('\n').and_then(|l| serde_json::from_str::<JournalEntry>(l).ok()) else { break };
            good += line.len();
            entries.push(entry);
        }
        for e in &entries {
            if e.batch >= plan.batches.len() || state.done[e.batch] {
                return Err(bad(format!("batch {} listed twice or out of range", e.batch)));
            }
            if e.snaps.iter().map(|s| s.0).chain(e.routed.iter().copied()).any(|p| p >= n) {
                return Err(bad(format!("batch {} names a point out of range", e.batch)));
            }
            state.done[e.batch] = true;
            state.requests += 1;
            state.written += e.written;
            state.beyond += e.beyond;
            state.unreachable += e.unreachable;
            state.retries += u64::from(e.retries);
            state.end = e.end;
            for &(p, d, lon, lat) in &e.snaps {
                state.snap[p] = Some(Snap { location: [lon, lat], distance_m: d });
            }
            for &p in &e.routed {
                state.routed[p] = true;
            }
        }
        let partial = std::fs::OpenOptions::new().read(true).write(true).open(&state.partial_path).map_err(|e| RoutingError::io(&state.partial_path, e))?;
        let len = partial.metadata().map_err(|e| RoutingError::io(&state.partial_path, e))?.len();
        if len < state.end {
            return Err(RoutingError::Resume { path: state.partial_path.clone(), message: format!("{len} bytes, shorter than the {} its journal records", state.end) });
        }
        // Rows of a batch that was never journaled are cut off; it is asked again.
        partial.set_len(state.end).map_err(|e| RoutingError::io(&state.partial_path, e))?;
        let journal = std::fs::OpenOptions::new().write(true).open(&state.journal_path).map_err(|e| RoutingError::io(&state.journal_path, e))?;
        journal.set_len(good as u64).map_err(|e| RoutingError::io(&state.journal_path, e))?;
        let mut journal = journal;
        let mut partial = partial;
        journal.seek(SeekFrom::End(0)).map_err(|e| RoutingError::io(&state.journal_path, e))?;
        partial.seek(SeekFrom::End(0)).map_err(|e| RoutingError::io(&state.partial_path, e))?;
        state.files = Some((partial, journal));
        events(JobEvent::Note(format!("resuming from {}: {} requests already done", state.journal_path.display(), state.requests)));
        Ok(state)
    }

    /// Appends a finished batch: its rows to the partial (synced), then its journal entry.
    fn commit(&mut self, r: BatchResult) -> Result<()> {
        if self.files.is_none() {
            // Read back by `finish`.
            let mut partial = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&self.partial_path)
                .map_err(|e| RoutingError::io(&self.partial_path, e))?;
            partial.write_all(HEADER.as_bytes()).map_err(|e| RoutingError::io(&self.partial_path, e))?;
            let mut journal = File::create(&self.journal_path).map_err(|e| RoutingError::io(&self.journal_path, e))?;
            writeln!(journal, "{}", self.header).map_err(|e| RoutingError::io(&self.journal_path, e))?;
            self.files = Some((partial, journal));
        }
        let Some((partial, journal)) = self.files.as_mut() else { return Ok(()) };
        partial.write_all(r.rows.as_bytes()).map_err(|e| RoutingError::io(&self.partial_path, e))?;
        // The rows are on disk before the journal says so.
        partial.sync_data().map_err(|e| RoutingError::io(&self.partial_path, e))?;
        self.end += r.rows.len() as u64;
        let mut entry = JournalEntry {
            batch: r.id,
            end: self.end,
            written: r.written,
            beyond: r.beyond,
            unreachable: r.unreachable,
            retries: r.retries,
            snaps: Vec::new(),
            routed: Vec::new(),
        };
        for (p, s) in r.snaps {
            if self.snap[p].is_none() {
                self.snap[p] = Some(s);
                entry.snaps.push((p, s.distance_m, s.location[0], s.location[1]));
            }
        }
        for p in r.routed {
            if !self.routed[p] {
                self.routed[p] = true;
                entry.routed.push(p);
            }
        }
        let line = serde_json::to_string(&entry).map_err(|e| RoutingError::Options(e.to_string()))?;
        writeln!(journal, "{line}").map_err(|e| RoutingError::io(&self.journal_path, e))?;
        self.done[r.id] = true;
        self.requests += 1;
        self.written += r.written;
        self.beyond += r.beyond;
        self.unreachable += r.unreachable;
        self.retries += u64::from(r.retries);
        Ok(())
    }

    /// Every batch is done: the sorted matrix and its sidecar under their final names.
    fn finish(mut self, job: &MatrixJob, plan: &Plan, requests_this_run: u64, seconds: f64) -> Result<MatrixSummary> {
        let mut body = Vec::new();
        if let Some((mut partial, _)) = self.files.take() {
            partial.seek(SeekFrom::Start(0)).map_err(|e| RoutingError::io(&self.partial_path, e))?;
            partial.read_to_end(&mut body).map_err(|e| RoutingError::io(&self.partial_path, e))?;
        }
        let rows = body.get(HEADER.len()..).unwrap_or(&[]);
        let mut lines: Vec<&[u8]> = rows.split_inclusive(|&b| b == b'\n').collect();
        lines.sort_unstable();
        let summary = self.summary(job, plan, requests_this_run, seconds);
        let sidecar = sidecar_json(job, &summary);
        write_atomically(&summary.sidecar, |w| w.write_all(sidecar.as_bytes()))?;
        write_atomically(job.out, |w| {
            w.write_all(HEADER.as_bytes())?;
            for line in &lines {
                w.write_all(line)?;
            }
            Ok(())
        })?;
        remove_if_exists(&self.journal_path)?;
        remove_if_exists(&self.partial_path)?;
        Ok(summary)
    }

    fn summary(&self, job: &MatrixJob, plan: &Plan, requests_this_run: u64, seconds: f64) -> MatrixSummary {
        let points = job.points;
        let mut snapped_far = Vec::new();
        let mut distances = Vec::new();
        for (p, snap) in self.snap.iter().enumerate() {
            let Some(s) = snap else { continue };
            distances.push(s.distance_m);
            if s.distance_m > job.options.snap_warn_m {
                let given = [points[p].1.x(), points[p].1.y()];
                snapped_far.push(SnapReport { code: points[p].0.clone(), distance_m: s.distance_m, given, snapped: s.location });
            }
        }
        snapped_far.sort_by(|a, b| b.distance_m.total_cmp(&a.distance_m).then_with(|| a.code.cmp(&b.code)));
        distances.sort_by(f64::total_cmp);
        let codes = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
            let mut v: Vec<String> = (0..points.len()).filter(|&p| keep(p)).map(|p| points[p].0.clone()).collect();
            v.sort();
            v
        };
        MatrixSummary {
            out: job.out.to_path_buf(),
            sidecar: beside(job.out, "json"),
            communes: points.len(),
            candidate_pairs: plan.candidate_pairs,
            pairs_within_max_minutes: self.written,
            pairs_beyond_max_minutes: self.beyond,
            unreachable_pairs: self.unreachable,
            requests: self.requests,
            requests_this_run,
            retries: self.retries,
            snapped_far,
            unroutable: codes(&|p| plan.candidates_per_point[p] > 0 && !self.routed[p]),
            isolated: codes(&|p| plan.candidates_per_point[p] == 0),
            max_snap_m: distances.last().copied(),
            median_snap_m: distances.get(distances.len() / 2).copied(),
            seconds,
        }
    }
}

/// The sidecar `OUT.json`: where the times come from and what the job counted.
fn sidecar_json(job: &MatrixJob, s: &MatrixSummary) -> String {
    let o = job.options;
    let value = serde_json::json!({
        "format": "medatlas travel-time matrix 1",
        "matrix": job.out.file_name().map(|n| n.to_string_lossy().into_owned()),
        "columns": {
            "from": "code of the origin point (residents' commune)",
            "to": "code of the destination point",
            "minutes": "car travel time routed by OSRM, minutes",
            "km": "road distance of that route, km",
        },
        "source": "routed: OSRM's /table service, car profile, between the points as given (snapped to the nearest road)",
        "engine": job.engine,
        "generated_utc": utc_now(),
        "points": { "kind": job.point_kind, "count": s.communes },
        "max_minutes": o.max_minutes,
        "prefilter": {
            "speed_kmh": o.prefilter_speed_kmh,
            "radius_km": o.prefilter_radius_m() / 1000.0,
            "rule": "a pair is asked only if its great-circle distance could be driven within max_minutes at speed_kmh",
        },
        "max_table_size": o.max_table_size,
        "not_listed": "pairs beyond max_minutes, unreachable or outside the pre-filter; a commune to itself (0 minutes)",
        "counts": {
            "communes": s.communes,
            "candidate_pairs": s.candidate_pairs,
            "pairs_within_max_minutes": s.pairs_within_max_minutes,
            "pairs_beyond_max_minutes": s.pairs_beyond_max_minutes,
            "unreachable_pairs": s.unreachable_pairs,
            "requests": s.requests,
            "requests_this_run": s.requests_this_run,
            "retries": s.retries,
        },
        "snapping": {
            "warn_over_m": o.snap_warn_m,
            "snapped_over_warn": s.snapped_far,
            "unroutable": s.unroutable,
            "isolated": s.isolated,
            "max_snap_m": s.max_snap_m,
            "median_snap_m": s.median_snap_m,
        },
        "seconds": s.seconds,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes `path` through a temporary file beside it, synced then renamed over it.
fn write_atomically(path: &Path, write: impl FnOnce(&mut std::io::BufWriter<&File>) -> std::io::Result<()>) -> Result<()> {
    let tmp = beside(path, &format!("tmp-{}", std::process::id()));
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(&file);
        write(&mut w)?;
        w.flush()?;
        drop(w);
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        RoutingError::io(path, e)
    })
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(RoutingError::io(path, e)),
        _ => Ok(()),
    }
}

/// The rows of a matrix file written here, for checks: (from, to) → (minutes, km).
pub fn read_matrix_rows(path: &Path) -> Result<HashMap<(String, String), (f64, f64)>> {
    let file = File::open(path).map_err(|e| RoutingError::io(path, e))?;
    let mut rows = HashMap::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| RoutingError::io(path, e))?;
        if i == 0 {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let bad = || RoutingError::Points { file: path.display().to_string(), problems: vec![format!("line {}: {line:?} is not from,to,minutes,km", i + 1)] };
        let [from, to, minutes, km] = f[..] else { return Err(bad()) };
        let (Ok(minutes), Ok(km)) = (minutes.parse::<f64>(), km.parse::<f64>()) else { return Err(bad()) };
        rows.insert((from.to_string(), to.to_string()), (minutes, km));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, step: f64) -> Vec<(String, Point<f64>)> {
        (0..n * n).map(|i| (format!("P{i:03}"), Point::new(2.0 + (i % n) as f64 * step, 46.0 + (i / n) as f64 * step))).collect()
    }

    #[test]
    fn the_hilbert_curve_visits_neighbouring_cells_in_turn() {
        // Order 1: (0,0) (0,1) (1,1) (1,0).
        let got: Vec<u64> = [(0, 0), (0, 1), (1, 1), (1, 0)].iter().map(|&(x, y)| hilbert_index(1, x, y)).collect();
        assert_eq!(got, vec![0, 1, 2, 3]);
        // On an 8 × 8 grid every step of the curve moves to an adjacent cell.
        let mut cells: Vec<(u64, i32, i32)> = (0..64).map(|i| (hilbert_index(3, i % 8, i / 8), (i % 8) as i32, (i / 8) as i32)).collect();
        cells.sort();
        assert!(cells.iter().enumerate().all(|(k, c)| c.0 == k as u64));
        assert!(cells.windows(2).all(|w| (w[0].1 - w[1].1).abs() + (w[0].2 - w[1].2).abs() == 1));
    }

    #[test]
    fn the_plan_asks_every_candidate_pair_once_and_no_far_block() {
        // 10 × 10 points 0.1° apart (~8–11 km); 10 minutes at 120 km/h = 20 km.
        let points = grid(10, 0.1);
        let options = MatrixOptions { max_minutes: 10.0, max_table_size: 7, ..MatrixOptions::default() };
        let plan = plan(&points, &options).unwrap();
        assert_eq!(plan.radius_m, 20_000.0);
        // Brute force over every ordered pair.
        let mut expected = 0u64;
        for (a, pa) in points.iter().enumerate() {
            for (b, pb) in points.iter().enumerate() {
                if a != b && haversine_m(pa.1, pb.1) <= 20_000.0 {
                    expected += 1;
                }
            }
        }
        assert_eq!(plan.candidate_pairs, expected);
        assert_eq!(plan.batches.iter().map(|b| b.candidate_pairs).sum::<u64>(), expected);
        assert_eq!(plan.blocks.len(), 15, "100 points in blocks of 7");
        assert!(plan.blocks.iter().all(|b| b.len() <= 7));
        // Blocks are compact: far fewer than all 225 block pairs hold a candidate.
        assert!(plan.batches.len() < 150, "{} batches", plan.batches.len());
        let mut seen = plan.order.clone();
        seen.sort();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn options_out_of_range_are_refused() {
        for bad in [
            MatrixOptions { max_minutes: 0.0, ..MatrixOptions::default() },
            MatrixOptions { max_table_size: 0, ..MatrixOptions::default() },
            MatrixOptions { concurrency: 0, ..MatrixOptions::default() },
            MatrixOptions { prefilter_speed_kmh: f64::NAN, ..MatrixOptions::default() },
        ] {
            assert!(matches!(bad.check(), Err(RoutingError::Options(_))), "{bad:?}");
        }
    }

    #[test]
    fn a_gz_output_is_refused_since_the_reader_reads_plain_csv() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_output(&dir.path().join("m.csv.gz")).unwrap_err();
        assert!(err.to_string().contains(".gz"), "{err}");
        assert!(check_output(&dir.path().join("m.csv")).is_ok());
        assert!(check_output(&dir.path().join("no/such/m.csv")).is_err());
    }

    #[test]
    fn side_files_append_to_the_name() {
        assert_eq!(beside(Path::new("out/m.csv"), "json"), PathBuf::from("out/m.csv.json"));
    }
}
