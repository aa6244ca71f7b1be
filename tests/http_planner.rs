//! Planner API over the embedded default, in-process: scenarios (stored, persisted, their
//! impact) and site suggestions, with every bad input answered by a JSON error.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use medatlas::atlas::Atlas;
use medatlas::server::scenario_store::ScenarioStore;
use medatlas::server::{AppState, router};
use serde_json::{Value, json};
use std::sync::OnceLock;
use tower::ServiceExt;

fn atlas() -> Atlas {
    Atlas::load_default().expect("default loads")
}

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(atlas())).clone()
}

async fn send(state: AppState, request: Request<Body>) -> (StatusCode, Value) {
    let response = router(state).oneshot(request).await.expect("answer");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("body is not JSON ({e}): {bytes:?}"));
    (status, json)
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
    assert_eq!(impact["synthetic_gp"], true);
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
