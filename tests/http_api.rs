//! The HTTP API over the embedded default, driven in-process (no socket).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use medatlas::atlas::Atlas;
use medatlas::server::{AppState, router};
use serde_json::Value;
use std::sync::OnceLock;
use tower::ServiceExt;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

async fn get(uri: &str) -> (StatusCode, Value) {
    let response = router(state()).oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("answer");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{uri}: body is not JSON ({e}): {bytes:?}"));
    (status, json)
}

#[tokio::test]
async fn commune_03185_has_population_departement_zoning_synthetic_gps_and_msp() {
    let (status, body) = get("/api/communes/03185").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "Montluçon");
    assert_eq!(body["dep"], "03");
    assert!(body["population"].as_u64().unwrap_or(0) > 30_000);
    assert_eq!(body["zoning"], "ZAC");
    assert_eq!(body["gp"]["synthetic"], true);
    assert!(body["gp"]["gp"].as_u64().is_some());
    assert!(body["gp_per_10k"].as_f64().is_some());
    assert_eq!(body["msp_count"], 1);
    assert_eq!(body["meta"]["synthetic_gp"], true);
    let lonlat = body["msp"][0]["location"].as_array().expect("[lon, lat]");
    assert!((lonlat[0].as_f64().unwrap_or(0.0) - 2.606).abs() < 0.01);
}

#[tokio::test]
async fn bad_codes_and_routes_get_json_errors_with_fitting_statuses() {
    for (uri, status) in [
        ("/api/communes/abc", StatusCode::BAD_REQUEST),
        ("/api/communes/99999", StatusCode::NOT_FOUND),
        ("/api/communes/75056", StatusCode::NOT_FOUND),
        ("/api/communes/%00%FF", StatusCode::BAD_REQUEST),
        ("/api/locate?lon=abc&lat=46", StatusCode::BAD_REQUEST),
        ("/api/locate?lon=2.6", StatusCode::BAD_REQUEST),
        ("/api/locate?lon=NaN&lat=46", StatusCode::BAD_REQUEST),
        ("/api/locate?lon=-40&lat=10", StatusCode::NOT_FOUND),
        ("/no/such/route", StatusCode::NOT_FOUND),
    ] {
        let (got, body) = get(uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{uri}: {body}");
    }
}

#[tokio::test]
async fn locate_and_health_answer() {
    let (status, body) = get("/api/locate?lon=2.60&lat=46.34").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["code"], "03185");
    let (status, body) = get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["communes"].as_u64().unwrap_or(0) > 1_000);
}
