//! Access in N years (`/api/projection`, tiles `?projection=`, the style, scenarios on a
//! projection), in-process, checked against values recomputed here: a full APL of an atlas
//! whose GP counts are the ones left, and a hand-built Cantal case whose APLs are worked out by
//! hand.

mod common;

use axum::http::{StatusCode, header};
use medatlas::analysis::apl::{self, AplParams};
use medatlas::analysis::projection;
use medatlas::analysis::retirement::RetirementParams;
use medatlas::atlas::{Atlas, LoadConfig};
use medatlas::ingest::Reader;
use medatlas::ingest::generic_csv::GenericCsvReader;
use medatlas::ingest::zoning::ZoningReader;
use medatlas::server::AppState;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

async fn get(uri: &str) -> (StatusCode, Value) {
    common::get_json(&state(), uri).await
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// Rows of an answer by commune code.
fn by_code(rows: &Value) -> BTreeMap<String, Value> {
    rows.as_array().unwrap_or_else(|| panic!("not an array: {rows}")).iter().map(|r| (r["code"].as_str().unwrap().to_string(), r.clone())).collect()
}

#[tokio::test]
async fn with_full_replacement_nothing_changes() {
    let today = apl::default_access(&state().snapshot().atlas).expect("APL");
    let (status, body) = get("/api/projection?years=8&horizon=10&replacement=1&rows=all").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let atlas = &state().snapshot().atlas;
    let rows = body["communes"].as_array().unwrap();
    assert_eq!(rows.len(), atlas.communes().len());
    for (row, (c, a)) in rows.iter().zip(atlas.communes().iter().zip(&today.apl)) {
        assert_eq!(row["code"], c.code.as_str());
        assert_eq!(row["apl_projected"], row["apl_now"], "{row}");
        assert_eq!(row["apl_now"].as_f64(), *a, "{}", c.code);
        assert_eq!(row["gp_projected"].as_f64(), c.gp.as_ref().map(|g| f64::from(g.gp)), "{}", c.code);
        assert_eq!(row["crosses_zip_criterion"], false);
    }
    assert_eq!(body["crossing"], json!([]));
    assert_eq!(body["summary"]["residents_under_now"], body["summary"]["residents_under_projected"]);
    // No commune changes: the default rows (changed ones) are none.
    let (_, changed) = get("/api/projection?years=8&horizon=10&replacement=1").await;
    assert_eq!(changed["rows"], "changed");
    assert_eq!(changed["communes"], json!([]));
}

/// Writes `text` to a file of a temporary folder kept for the test's life.
fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[tokio::test]
async fn over_the_full_horizon_without_replacement_the_apl_is_that_of_the_gps_left() {
    // Real counts of near-retirement GPs (2 in 5, rounded down, of every commune's GPs) instead
    // of the default's estimates, so that the GPs left are whole numbers an atlas can hold.
    let default = Atlas::load_default().expect("default loads");
    let near: Vec<(String, u32, u32)> =
        default.communes().iter().filter_map(|c| c.gp.as_ref().map(|g| (c.code.clone(), g.gp, g.gp * 2 / 5))).collect();
    assert!(near.iter().filter(|n| n.2 > 0).count() > 100, "the case needs departures");
    let dir = tempfile::tempdir().expect("temp dir");
    let ages: String = near.iter().map(|(c, _, n)| format!("{c},{n}\n")).collect();
    let left: String = near.iter().map(|(c, g, n)| format!("{c},{}\n", g - n)).collect();
    let with_ages = Atlas::load(&LoadConfig::default().with_file(GenericCsvReader::KIND, file(&dir, "ages.csv", &format!("code,gp_near_retirement\n{ages}"))), &|_, _| {})
        .expect("loads");
    let reduced =
        Atlas::load(&LoadConfig::default().with_file(GenericCsvReader::KIND, file(&dir, "left.csv", &format!("code,gp_count\n{left}"))), &|_, _| {})
            .expect("loads");
    // The reference: the default APL of the atlas whose GP counts are gp − near.
    let expected = apl::default_access(&reduced).expect("APL").apl;
    for years in [10.0, 15.0] {
        let p = projection::project(&with_ages, &RetirementParams::new(years, 10.0, 0.0).unwrap(), &AplParams::default()).expect("projection");
        assert!(!p.assumptions.near_retirement.estimated && p.assumptions.near_retirement.communes_estimated == 0);
        for (c, want) in p.communes.iter().zip(&expected) {
            match (c.apl_projected, want) {
                (Some(g), Some(w)) => assert!(close(g, *w), "{}: {g} vs {w}", c.code),
                (None, None) => {}
                other => panic!("{}: {other:?}", c.code),
            }
        }
        for (row, (code, gp, n)) in p.communes.iter().filter(|c| c.gp_now.is_some()).zip(&near) {
            assert_eq!(&row.code, code);
            assert_eq!(row.gp_projected, Some(f64::from(gp - n)), "{code}: the near-retirement GPs are gone");
        }
    }
    // The same through the API.
    let s = AppState::new(with_ages);
    let (status, body) = common::get_json(&s, "/api/projection?years=10&horizon=10&replacement=0&rows=all&limit=50000").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assumptions"]["near_retirement"]["estimated"], false);
    assert!(body["assumptions"]["near_retirement"]["method"].is_null());
    let rows = body["communes"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    for (row, want) in rows.iter().zip(&expected) {
        match (row["apl_projected"].as_f64(), want) {
            (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{row} vs {w}"),
            (None, None) => {}
            other => panic!("{row}: {other:?}"),
        }
    }
}

/// Cantal without its health data, then by hand: GPs in five communes, zoning for six, and one
/// routed pair (Aurillac ↔ Chanterelle, 5 min; every other pair beyond reach, a commune 0 min
/// from itself). After 10 of 10 years with no replacement every near-retirement GP is gone.
///
/// | commune                 | zoning | GPs | near | APL now            | APL then        |
/// |-------------------------|--------|-----|------|--------------------|-----------------|
/// | 15014 Aurillac          | ZAC    | gA  | gA   | gA·5400/(PA+PC) ≥ 2.5 | 0            |
/// | 15040 Chanterelle       | HZ     | 0   |      | the same as Aurillac  | 0            |
/// | 15187 Saint-Flour       | ZAC    | 3   | 1    | 3·5400/PB ≥ 2.5    | 2·5400/PB < 2.5 |
/// | 15120 Mauriac           | ZIP    | 10  | 10   | 10·5400/PD         | 0               |
/// | 15138 Murat             | ZAC    | 10  | 0    | 10·5400/PE         | unchanged       |
/// | 15162 Riom-ès-Montagnes | ZAC    | 0   |      | 0                  | 0               |
///
/// Crossing: Aurillac, Chanterelle, Saint-Flour, Mauriac; of them ZAC today: Aurillac and
/// Saint-Flour (Chanterelle is HZ, Mauriac already ZIP, Riom-ès-Montagnes already under).
#[tokio::test]
async fn the_zac_meeting_the_zip_criterion_on_a_hand_built_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bare = Atlas::load(&LoadConfig { departments: vec!["15".into()], no_default_health: true, ..LoadConfig::default() }, &|_, _| {}).expect("Cantal");
    let pop = |code: &str| f64::from(bare.commune(code).unwrap_or_else(|| panic!("{code} in Cantal")).population);
    let (pa, pb, pc, pd, pe) = (pop("15014"), pop("15187"), pop("15040"), pop("15120"), pop("15138"));
    // Enough GPs in Aurillac for 2.5 over Aurillac and Chanterelle, and one more.
    let ga = (2.5 * (pa + pc) / 5400.0).ceil() as u32 + 1;
    assert!(3.0 * 5400.0 / pb >= 2.5 && 2.0 * 5400.0 / pb < 2.5, "Saint-Flour's population makes its third GP the one that counts");
    let gps = file(&dir, "gps.csv", &format!("code,gp_count,gp_near_retirement\n15014,{ga},{ga}\n15187,3,1\n15120,10,10\n15138,10,0\n"));
    let zoning = file(&dir, "zoning.csv", "codgeo;libelle;zonage\n15014;Aurillac;2_ZAC\n15040;Chanterelle;3_HZ\n15120;Mauriac;1_ZIP\n15138;Murat;2_ZAC\n15162;Riom-ès-Montagnes;2_ZAC\n15187;Saint-Flour;2_ZAC\n");
    let matrix = file(&dir, "times.csv", "from;to;minutes\n15014;15040;5\n15040;15014;5\n");
    let config = LoadConfig { departments: vec!["15".into()], no_default_health: true, travel_times: Some(matrix), ..LoadConfig::default() }
        .with_file(GenericCsvReader::KIND, gps)
        .with_file(ZoningReader::KIND, zoning);
    let atlas = Atlas::load(&config, &|_, _| {}).expect("the hand-built Cantal loads");
    assert_eq!(atlas.travel_times().kind(), "matrix");
    let total: f64 = atlas.communes().iter().map(|c| f64::from(c.population)).sum();
    let s = AppState::new(atlas);
    let (status, body) = common::get_json(&s, "/api/projection?years=10&horizon=10&replacement=0&rows=all").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let crossing: BTreeSet<&str> = body["crossing"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(crossing, BTreeSet::from(["15014", "15040", "15120", "15187"]));
    assert_eq!(body["zac_meeting_zip_criterion"], json!(["15014", "15187"]));

    let rows = by_code(&body["communes"]);
    let apl = |code: &str, when: &str| num(&rows[code][when]);
    let a_now = f64::from(ga) * 5400.0 / (pa + pc);
    assert!(close(apl("15014", "apl_now"), a_now) && close(apl("15040", "apl_now"), a_now));
    assert_eq!((apl("15014", "apl_projected"), apl("15040", "apl_projected")), (0.0, 0.0));
    assert!(close(apl("15187", "apl_now"), 3.0 * 5400.0 / pb) && close(apl("15187", "apl_projected"), 2.0 * 5400.0 / pb));
    assert!(close(apl("15120", "apl_now"), 10.0 * 5400.0 / pd) && apl("15120", "apl_projected") == 0.0);
    assert!(close(apl("15138", "apl_now"), 10.0 * 5400.0 / pe) && close(apl("15138", "apl_projected"), 10.0 * 5400.0 / pe));
    assert_eq!((apl("15162", "apl_now"), apl("15162", "apl_projected")), (0.0, 0.0));
    assert_eq!(rows["15187"]["gp_projected"], 2.0);
    assert_eq!(rows["15187"]["near_retirement_estimated"], false);
    assert_eq!(rows["15187"]["zoning"], "ZAC");

    let cantal = &body["departements"][0];
    assert_eq!(cantal["code"], "15");
    assert_eq!(num(&cantal["residents_crossing"]), pa + pb + pc + pd);
    assert_eq!(num(&cantal["residents_under_now"]), total - (pa + pb + pc + pd + pe));
    assert_eq!(num(&cantal["residents_under_projected"]), total - pe);
    assert_eq!(num(&cantal["gp_now"]), f64::from(ga) + 23.0);
    assert_eq!(num(&cantal["gp_projected"]), 12.0);
    assert_eq!(cantal["communes_crossing"], 4);
    assert_eq!(cantal["zac_meeting_zip_criterion"], 2);
    let n = &body["assumptions"]["near_retirement"];
    assert_eq!((n["communes_counted"].as_u64(), n["communes_estimated"].as_u64(), n["estimated"].as_bool()), (Some(4), Some(0), Some(false)));
    assert_eq!(body["assumptions"]["travel_times"], "matrix");
}

#[tokio::test]
async fn the_answer_states_its_assumptions_and_its_summaries_add_up() {
    let (status, body) = get("/api/projection?years=5&horizon=10&replacement=0.3").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let a = &body["assumptions"];
    assert_eq!((num(&a["years"]), num(&a["horizon"]), num(&a["replacement"]), num(&a["departed_fraction"])), (5.0, 10.0, 0.3, 0.5));
    assert_eq!(a["retirement_model"], medatlas::analysis::retirement::MODEL);
    assert_eq!(a["threshold"], 2.5);
    assert_eq!(a["travel_times"], "estimated");
    for key in ["supply_rule", "ignores", "apl", "supply", "travel", "zip_criterion"] {
        assert!(a[key].as_str().is_some_and(|s| !s.is_empty()), "{key}: {a}");
    }
    // The embedded default's near-retirement values are estimates, and the answer says how.
    assert_eq!(a["near_retirement"]["estimated"], true);
    assert!(a["near_retirement"]["method"].as_str().unwrap().contains("share of physicians aged 55+"));
    let rows = body["communes"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| num(&r["apl_delta"]) < 0.0), "changed rows lose access");
    let deltas: Vec<f64> = rows.iter().map(|r| num(&r["apl_delta"])).collect();
    assert!(deltas.windows(2).all(|w| w[0] <= w[1]), "largest loss first");
    assert!(rows.iter().any(|r| r["apl_projected_estimated"] == true));
    let crossing = body["crossing"].as_array().unwrap();
    assert!(!crossing.is_empty());
    for c in crossing {
        assert!(num(&c["apl_now"]) >= 2.5 && num(&c["apl_projected"]) < 2.5, "{c}");
    }
    let zac: Vec<&str> = crossing.iter().filter(|c| c["zoning"] == "ZAC").map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(body["zac_meeting_zip_criterion"], json!(zac));
    // Départements add up to the summary.
    let deps = body["departements"].as_array().unwrap();
    assert_eq!(deps.len(), 4);
    for key in ["population", "gp_now", "gp_projected", "residents_under_now", "residents_under_projected", "residents_crossing"] {
        let sum: f64 = deps.iter().map(|d| num(&d[key])).sum();
        assert!((sum - num(&body["summary"][key])).abs() < 1e-6, "{key}");
    }
    let crossing_residents: f64 = crossing.iter().map(|c| num(&c["population"])).sum();
    assert_eq!(crossing_residents, num(&body["summary"]["residents_crossing"]));
    let s = &body["summary"];
    assert!((num(&s["residents_under_projected"]) - num(&s["residents_under_now"]) - crossing_residents).abs() < 1e-6);

    // One département: its rows and its summary only.
    let (status, allier) = get("/api/projection?years=5&horizon=10&replacement=0.3&dep=03&rows=all").await;
    assert_eq!(status, StatusCode::OK, "{allier}");
    assert_eq!(allier["departements"].as_array().unwrap().len(), 1);
    let (summary, row) = (&allier["summary"], &allier["departements"][0]);
    assert_eq!((&summary["code"], &row["code"]), (&json!("03"), &json!("03")));
    for key in ["communes", "population", "gp_now", "gp_projected", "apl_now", "apl_projected", "residents_under_now", "communes_crossing"] {
        assert_eq!(summary[key], row[key], "{key}: the summary of one département is its row");
    }
    assert!(allier["communes"].as_array().unwrap().iter().all(|r| r["dep"] == "03"));
    assert!(allier["crossing"].as_array().unwrap().iter().all(|r| r["dep"] == "03"));
    let (_, limited) = get("/api/projection?years=5&horizon=10&replacement=0.3&limit=3").await;
    assert_eq!(limited["communes"].as_array().unwrap().len(), 3);
    assert_eq!(limited["communes_matching"], body["communes_matching"]);
}

#[tokio::test]
async fn every_bad_input_is_a_json_400_with_the_reason() {
    let bad_requests = [
        ("/api/projection?years=-1", "parameter years"),
        ("/api/projection?years=31", "at most 30"),
        ("/api/projection?years=five", "not a number"),
        ("/api/projection?horizon=0", "parameter horizon"),
        ("/api/projection?horizon=-5", "parameter horizon"),
        ("/api/projection?replacement=1.5", "parameter replacement"),
        ("/api/projection?replacement=-0.1", "within [0, 1]"),
        ("/api/projection?replacement=NaN", "not a number"),
        ("/api/projection?dep=99", "no such département"),
        ("/api/projection?rows=some", "expected changed, all, crossing or none"),
        ("/api/projection?limit=0", "limit"),
        ("/tiles/communes/9/259/181.mvt?projection=abc", "expected years[,horizon[,replacement]]"),
        ("/tiles/communes/9/259/181.mvt?projection=40", "at most 30"),
        ("/tiles/communes/9/259/181.mvt?projection=5,0", "parameter horizon"),
        ("/tiles/communes/9/259/181.mvt?projection=5,10,2", "parameter replacement"),
        ("/styles/apl_projection.json?projection=5,10,-1", "parameter replacement"),
    ]
    .map(|(uri, says)| (uri, StatusCode::BAD_REQUEST, says));
    common::assert_json_errors(&state(), &bad_requests).await;
    common::assert_json_errors(&state(), &[("/tiles/communes/9/259/181.mvt?projection=5&scenario=0123456789abcdef", StatusCode::NOT_FOUND, "no scenario")]).await;
    // A scenario whose projection is out of range is refused and not stored.
    for (projection, says) in [(json!({"years": 31}), "at most 30"), (json!({"years": 5, "horizon": 0}), "horizon"), (json!({"years": 5, "replacement": 2}), "replacement")] {
        let body = json!({"projection": projection, "changes": [{"type": "retire", "commune": "03185", "gps": 1}]});
        let answer = common::post_json(&state(), "/api/scenarios", &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
        let error = answer.json()["error"].as_str().unwrap_or("").to_string();
        assert!(error.contains("projection") && error.contains(says), "{error}");
    }
}

/// The commune features of an uncompressed tile, as code → properties.
fn decode_communes(bytes: &[u8]) -> HashMap<String, HashMap<String, geozero::mvt::tile::Value>> {
    use geozero::mvt::{Message, Tile};
    let tile = Tile::decode(bytes).expect("valid protobuf");
    let layer = tile.layers.iter().find(|l| l.name == "communes").expect("communes layer");
    layer
        .features
        .iter()
        .map(|f| {
            let props: HashMap<String, _> = f.tags.chunks(2).map(|kv| (layer.keys[kv[0] as usize].clone(), layer.values[kv[1] as usize].clone())).collect();
            (props["code"].string_value.clone().unwrap_or_default(), props)
        })
        .collect()
}

async fn tile(uri: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let answer = common::get(&state(), uri).await;
    let etag = answer.headers.get(header::ETAG).map(|v| v.to_str().unwrap_or("").to_string());
    (answer.status, etag, answer.body)
}

/// The z9 tile holding Montluçon's town hall.
fn montlucon_tile() -> String {
    let c = state().snapshot().atlas.commune("03185").expect("Montluçon").repr_point;
    let [wx, wy] = medatlas::tiles::grid::lonlat_to_world(c.x(), c.y());
    format!("/tiles/communes/9/{}/{}.mvt", (wx * 512.0) as u32, (wy * 512.0) as u32)
}

#[tokio::test]
async fn a_projection_tile_carries_the_apl_in_n_years_and_is_cached_under_its_canonical_parameters() {
    let url = montlucon_tile();
    let (_, body) = get("/api/projection?years=5&horizon=10&replacement=0.3&rows=all&dep=03").await;
    let rows = by_code(&body["communes"]);
    let (status, plain_etag, plain) = tile(&url).await;
    assert_eq!(status, StatusCode::OK);
    let (status, etag, bytes) = tile(&format!("{url}?projection=5,10,0.3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(etag, plain_etag, "a projection's tile has its own ETag");
    // The same projection spelled otherwise is the same tile.
    let (_, same_etag, _) = tile(&format!("{url}?projection=5.0,10,0.30")).await;
    assert_eq!(same_etag, etag);
    let (plain, with) = (decode_communes(&plain), decode_communes(&bytes));
    assert_eq!(plain.keys().collect::<BTreeSet<_>>(), with.keys().collect());
    let mut crossing = 0;
    for (code, props) in with.iter().filter(|(code, _)| rows.contains_key(*code)) {
        let row = &rows[code];
        let projected = num(&row["apl_projected"]);
        assert_eq!(props["apl_projected"].double_value, Some((projected * 100.0).round() / 100.0), "{code}");
        assert_eq!(props["apl"].double_value, plain[code]["apl"].double_value, "{code}: apl stays today's");
        assert_eq!(props["crosses_zip_criterion"].bool_value, row["crosses_zip_criterion"].as_bool(), "{code}");
        // Every near-retirement value of the default is estimated: a commune's projection rests
        // on an estimate exactly when some GP is within reach, i.e. when its APL is above 0.
        assert_eq!(props["apl_projected_estimated"].bool_value, Some(num(&row["apl_now"]) > 0.0), "{code}");
        assert_eq!(props["projection"].string_value.as_deref(), Some("5,10,0.3"));
        let delta = props["apl_projected_delta"].double_value.unwrap();
        assert!((delta - num(&row["apl_delta"])).abs() <= 0.0005 + 1e-12, "{code}");
        crossing += usize::from(row["crosses_zip_criterion"] == true);
        assert!(!plain[code].contains_key("apl_projected"));
    }
    assert!(crossing > 0, "Montluçon's tile holds communes crossing 2.5 in 5 years");
    common::assert_fields_on_request(&state(), "projection", with.values().flat_map(|p| p.keys())).await;
}

#[tokio::test]
async fn the_style_states_the_projection_it_draws() {
    let (status, style) = get("/styles/apl_projection.json?projection=5,10,0.3").await;
    assert_eq!(status, StatusCode::OK, "{style}");
    let tiles = style["sources"]["medatlas"]["tiles"][0].as_str().unwrap();
    assert!(tiles.ends_with("/tiles/communes,departements,msp/{z}/{x}/{y}.mvt?projection=5,10,0.3"), "{tiles}");
    let legend = &style["metadata"]["medatlas:legend"];
    assert_eq!(legend["field"], "apl_projected");
    assert_eq!(legend["threshold"], 2.5);
    let assumptions = legend["assumptions"].as_str().unwrap();
    for says in ["In 5 years 50 % of the near-retirement GPs", "30 % of the leavers replaced", "share of physicians aged 55+", "Ignores:"] {
        assert!(assumptions.contains(says), "{assumptions:?} should say {says:?}");
    }
    assert!(legend["title"].as_str().unwrap().contains("5 years"));
    // Without a projection: the default, 5 years over 10, none replaced.
    let (_, default) = get("/styles/apl_projection.json").await;
    assert!(default["sources"]["medatlas"]["tiles"][0].as_str().unwrap().ends_with("?projection=5,10,0"));
}

#[tokio::test]
async fn a_scenario_on_a_projection_is_measured_in_n_years() {
    let changes = json!([{"type": "add_site", "commune": "03082", "gps": 2}]);
    let today = common::post_json(&state(), "/api/scenarios", &json!({"name": "x", "changes": changes})).await.json();
    let later_body = json!({"name": "x", "projection": {"years": 5, "horizon": 10, "replacement": 0.3}, "changes": changes});
    let answer = common::post_json(&state(), "/api/scenarios", &later_body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let later = answer.json();
    assert_ne!(later["id"], today["id"], "the projection is part of the scenario");
    assert_eq!(later["projection"], json!({"years": 5.0, "horizon": 10.0, "replacement": 0.3}));
    let id = later["id"].as_str().unwrap();
    let (_, stored) = get(&format!("/api/scenarios/{id}")).await;
    assert_eq!(stored["scenario"]["projection"]["years"], 5.0);

    let (status, impact) = get(&format!("/api/scenarios/{id}/impact")).await;
    assert_eq!(status, StatusCode::OK, "{impact}");
    assert_eq!(impact["projection"]["years"], 5.0);
    assert_eq!(impact["projection"]["retirement_model"], medatlas::analysis::retirement::MODEL);
    // "Before" is the APL in 5 years, as /api/projection computes it.
    let (_, projected) = get("/api/projection?years=5&horizon=10&replacement=0.3&rows=all").await;
    let rows = by_code(&projected["communes"]);
    let changed = impact["impact"]["apl"].as_array().unwrap();
    assert!(!changed.is_empty());
    for c in changed {
        let want = num(&rows[c["code"].as_str().unwrap()]["apl_projected"]);
        assert!((num(&c["before"]) - want).abs() <= 1e-9 * want.max(1.0), "{c} vs {want}");
        assert!(num(&c["delta"]) > 0.0);
    }
    let (_, now) = get(&format!("/api/scenarios/{}/impact", today["id"].as_str().unwrap())).await;
    assert!(now["projection"].is_null());
    let before_now: BTreeMap<String, Value> = by_code(&now["impact"]["apl"]);
    assert!(changed.iter().any(|c| c["before"] != before_now[c["code"].as_str().unwrap()]["before"]), "in 5 years the baseline is lower");

    // With every leaver replaced the projection changes nothing: the same impact as today's.
    let replaced = json!({"name": "x", "projection": {"years": 5, "replacement": 1}, "changes": changes});
    let r = common::post_json(&state(), "/api/scenarios", &replaced).await.json();
    let (_, same) = get(&format!("/api/scenarios/{}/impact", r["id"].as_str().unwrap())).await;
    assert_eq!(same["impact"]["apl"], now["impact"]["apl"]);

    // Its tiles compare with the APL in 5 years.
    let c = state().snapshot().atlas.commune("03082").expect("03082").repr_point;
    let [wx, wy] = medatlas::tiles::grid::lonlat_to_world(c.x(), c.y());
    let url = format!("/tiles/communes/10/{}/{}.mvt?scenario={id}", (wx * 1024.0) as u32, (wy * 1024.0) as u32);
    let (status, _, bytes) = tile(&url).await;
    assert_eq!(status, StatusCode::OK);
    let features = decode_communes(&bytes);
    let mine = &features["03082"];
    let want = num(&rows["03082"]["apl_projected"]);
    assert_eq!(mine["apl_before"].double_value, Some((want * 100.0).round() / 100.0));
    assert!(mine["apl_delta"].double_value.unwrap() > 0.0);
}
