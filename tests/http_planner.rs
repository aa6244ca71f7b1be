//! Planner API over the embedded default, in-process: scenarios (stored, persisted, their
//! impact) and site suggestions, with every bad input answered by a JSON error.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use medatlas::atlas::Atlas;
use medatlas::server::scenario_store::ScenarioStore;
use medatlas::server::AppState;
use serde_json::{Value, json};
use std::sync::OnceLock;

fn atlas() -> Atlas {
    Atlas::load_default().expect("default loads")
}

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(atlas())).clone()
}

async fn send(state: AppState, request: Request<Body>) -> (StatusCode, Value) {
    common::send_json(&state, request).await
}

async fn get(uri: &str) -> (StatusCode, Value) {
    send(state(), Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post(state: AppState, body: String) -> (StatusCode, Value) {
    let request = Request::post("/api/scenarios").header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap();
    send(state, request).await
}

fn cosne() -> String {
    atlas().communes().iter().find(|c| c.name == "Cosne-d'Allier").expect("Cosne-d'Allier").code.clone()
}

#[tokio::test]
async fn three_gps_at_cosne_d_allier_raise_its_apl() {
    let body = json!({"name": "Cosne +3", "changes": [{"type": "add_site", "commune": cosne(), "gps": 3}]}).to_string();
    let (status, created) = post(state(), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(post(state(), body).await.1["id"], id.as_str(), "same scenario, same id");
    let (status, stored) = get(&format!("/api/scenarios/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["scenario"]["name"], "Cosne +3");

    let (status, impact) = get(&format!("/api/scenarios/{id}/impact")).await;
    assert_eq!(status, StatusCode::OK, "{impact}");
    let changes = impact["impact"]["apl"].as_array().unwrap();
    let mine = changes.iter().find(|c| c["code"] == cosne().as_str()).expect("Cosne-d'Allier changes");
    assert!(mine["delta"].as_f64().unwrap() > 0.0);
    assert!(changes.iter().all(|c| c["delta"].as_f64().unwrap() > 0.0));
    let summary = &impact["impact"]["summary"];
    assert!(summary["population_with_higher_apl"].as_f64().unwrap() > 0.0);
    assert_eq!(summary["msp_coverage"].as_array().unwrap().len(), 3);
    let allier = impact["impact"]["departements"].as_array().unwrap().iter().find(|d| d["code"] == "03").unwrap();
    assert_eq!(allier["gp_after"].as_f64().unwrap() - allier["gp_before"].as_f64().unwrap(), 3.0);
    assert_eq!(impact["synthetic_gp"], false);
}

#[tokio::test]
async fn scenarios_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = AppState::with_store(atlas(), 0, ScenarioStore::open(dir.path()).unwrap().0);
    let body = json!({"changes": [{"type": "retire", "commune": "03185", "gps": 4}]}).to_string();
    let (status, created) = post(first, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap();
    let restarted = AppState::with_store(atlas(), 0, ScenarioStore::open(dir.path()).unwrap().0);
    let (status, impact) = send(restarted, Request::get(format!("/api/scenarios/{id}/impact")).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{impact}");
    let montlucon = impact["impact"]["apl"].as_array().unwrap().iter().find(|c| c["code"] == "03185").expect("Montluçon changes");
    assert!(montlucon["delta"].as_f64().unwrap() < 0.0, "retirements lower APL");
}

#[tokio::test]
async fn bad_scenarios_get_json_errors_and_are_not_stored() {
    let add = |gps: Value| json!({"type": "add_site", "commune": "03185", "gps": gps});
    let cases = [
        ("{not json".to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": [add(json!(-2))]}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": [add(json!("three"))]}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": []}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": [{"type": "retire", "commune": "99999", "gps": 1}]}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": [{"type": "remove_site", "site": "nope", "gps": 1}]}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": [{"type": "add_site", "lon": -40.0, "lat": 10.0, "gps": 1}]}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": vec![add(json!(1)); 150]}).to_string(), StatusCode::BAD_REQUEST),
        (json!({"changes": vec![add(json!(1)); 10_000]}).to_string(), StatusCode::PAYLOAD_TOO_LARGE),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store_state = AppState::with_store(atlas(), 0, ScenarioStore::open(dir.path()).unwrap().0);
    for (body, expected) in cases {
        let (status, answer) = post(store_state.clone(), body.clone()).await;
        assert_eq!(status, expected, "{}: {answer}", &body[..body.len().min(80)]);
        assert!(answer["error"].is_string());
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing stored");
    let (status, answer) = get("/api/scenarios").await;
    assert_eq!((status, answer["error"].is_string()), (StatusCode::METHOD_NOT_ALLOWED, true));
    let (status, answer) = get("/api/scenarios/0123456789abcdef/impact").await;
    assert_eq!((status, answer["error"].is_string()), (StatusCode::NOT_FOUND, true));
}

#[tokio::test]
async fn suggestions_for_allier() {
    let (status, body) = get("/api/suggest?dep=03&k=3&objective=coverage&minutes=15").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let s = &body["suggestion"];
    assert_eq!(s["sites"].as_array().unwrap().len(), 3);
    assert!(s["after"].as_f64().unwrap() > s["before"].as_f64().unwrap());
    let (status, body) = get("/api/suggest?dep=03&k=2&gps=2&objective=apl").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["suggestion"]["sites"].as_array().unwrap().len(), 2);
    for (uri, expected) in [
        ("/api/suggest?dep=03&k=0", StatusCode::BAD_REQUEST),
        ("/api/suggest?dep=03&k=10000", StatusCode::BAD_REQUEST),
        ("/api/suggest?dep=03&gps=-1", StatusCode::BAD_REQUEST),
        ("/api/suggest?dep=03&objective=best", StatusCode::BAD_REQUEST),
        ("/api/suggest?k=3", StatusCode::BAD_REQUEST),
        ("/api/suggest?dep=99", StatusCode::NOT_FOUND),
    ] {
        let (status, answer) = get(uri).await;
        assert_eq!(status, expected, "{uri}: {answer}");
        assert!(answer["error"].is_string());
    }
}

/// The features of the commune layer of an uncompressed tile, as code → properties.
fn decode_communes(bytes: &[u8]) -> std::collections::HashMap<String, std::collections::HashMap<String, geozero::mvt::tile::Value>> {
    use geozero::mvt::{Message, Tile};
    let tile = Tile::decode(bytes).expect("valid protobuf");
    let layer = tile.layers.iter().find(|l| l.name == "communes").expect("communes layer");
    layer
        .features
        .iter()
        .map(|f| {
            let props: std::collections::HashMap<String, _> =
                f.tags.chunks(2).map(|kv| (layer.keys[kv[0] as usize].clone(), layer.values[kv[1] as usize].clone())).collect();
            (props["code"].string_value.clone().unwrap_or_default(), props)
        })
        .collect()
}

#[tokio::test]
async fn scenario_tiles_carry_the_scenario_values_and_their_own_etag() {
    let atlas = atlas();
    let code = cosne();
    let c = atlas.commune(&code).unwrap();
    let [wx, wy] = medatlas::tiles::grid::lonlat_to_world(c.repr_point.x(), c.repr_point.y());
    let url = format!("/tiles/communes/10/{}/{}.mvt", (wx * 1024.0) as u32, (wy * 1024.0) as u32);
    let body = json!({"changes": [{"type": "add_site", "commune": code, "gps": 3}]}).to_string();
    let (_, created) = post(state(), body).await;
    let id = created["id"].as_str().unwrap().to_string();

    let fetch = |uri: String| async move {
        let answer = common::get(&state(), &uri).await;
        let etag = answer.headers.get(header::ETAG).map(|v| v.to_str().unwrap().to_string());
        (answer.status, etag, answer.body)
    };
    let (status, plain_etag, plain) = fetch(url.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, scenario_etag, with) = fetch(format!("{url}?scenario={id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(plain_etag, scenario_etag, "a scenario's tile has its own ETag");
    let (plain, with) = (decode_communes(&plain), decode_communes(&with));
    assert_eq!(plain.keys().collect::<std::collections::BTreeSet<_>>(), with.keys().collect());
    let cosne = &with[&code];
    assert!(cosne["apl_delta"].double_value.unwrap() > 0.0);
    assert_eq!(cosne["apl_before"].double_value, plain[&code]["apl"].double_value);
    assert!(cosne["apl"].double_value.unwrap() > plain[&code]["apl"].double_value.unwrap());
    assert_eq!(cosne["scenario"].string_value.as_deref(), Some(id.as_str()));
    assert!(!plain[&code].contains_key("apl_delta"));
    common::assert_fields_on_request(&state(), "scenario", with.values().flat_map(|p| p.keys())).await;

    let (status, _, _) = fetch(format!("{url}?scenario=ffffffffffffffff")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_impact_carries_spatial_availability_and_equity_with_their_method_names() {
    // Three of Montluçon's GPs move to a new MSP about 9 km east of its town hall: spatial
    // availability shows who loses and who gains, in GPs that add up.
    let montlucon = atlas().commune("03185").expect("Montluçon").repr_point;
    let body = json!({"name": "MSP east of Montluçon", "changes": [
        {"type": "add_site", "lon": montlucon.x() + 0.12, "lat": montlucon.y(), "gps": 3},
        {"type": "retire", "commune": "03185", "gps": 3}]})
    .to_string();
    let (status, created) = post(state(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, answer) = get(&format!("/api/scenarios/{}/impact", created["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let sa = &answer["impact"]["spatial_availability"];
    assert_eq!(sa["method"], "spatial_availability");
    assert_eq!(sa["unit"], "GPs available to the commune's residents");
    let number = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    let (gained, lost, change) = (number(&sa["gained"]), number(&sa["lost"]), number(&sa["supply_change"]));
    assert!(lost > 0.0 && (gained - lost - change).abs() < 1e-6, "gained {gained}, lost {lost}, supply change {change}");
    assert!(change.abs() < 1e-9, "the GPs only move");
    let communes = sa["communes"].as_array().unwrap();
    let deltas: f64 = communes.iter().map(|c| number(&c["delta"])).sum();
    assert!((deltas - change).abs() < 1e-6);
    assert_eq!(sa["communes_losing"].as_u64().unwrap() as usize, communes.iter().filter(|c| number(&c["delta"]) < 0.0).count());
    let montlucon_change = communes.iter().find(|c| c["code"] == "03185").expect("Montluçon changes");
    assert!(number(&montlucon_change["delta"]) < 0.0);
    assert!(number(&answer["impact"]["summary"]["population_with_lower_apl"]) > 0.0);

    let equity = &answer["impact"]["equity"];
    assert_eq!(equity["method"], "apl");
    assert_eq!(equity["departements"], json!(["03"]));
    for side in ["before", "after"] {
        let e = &equity[side];
        let gini = number(&e["gini"]);
        assert!((0.0..1.0).contains(&gini), "{side}: {e}");
        assert!(number(&e["palma"]) > 0.0);
        assert_eq!(e["threshold"], 2.5);
        assert!(number(&e["population_under"]) <= number(&e["population"]));
    }
}
