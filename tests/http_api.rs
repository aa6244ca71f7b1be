//! The HTTP API over the embedded default, driven in-process (no socket).

mod common;

use axum::http::StatusCode;
use medatlas::atlas::Atlas;
use medatlas::server::AppState;
use serde_json::Value;
use std::sync::OnceLock;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

async fn get(uri: &str) -> (StatusCode, Value) {
    common::get_json(&state(), uri).await
}

#[tokio::test]
async fn commune_03185_has_population_departement_zoning_real_gps_and_msp() {
    let (status, body) = get("/api/communes/03185").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "Montluçon");
    assert_eq!(body["dep"], "03");
    assert!(body["population"].as_u64().unwrap_or(0) > 30_000);
    assert_eq!(body["zoning"], "ZAC");
    assert_eq!(body["gp"]["synthetic"], false);
    // geodata/santescope_auvergne_2026.csv line 184: 03185;Montluçon;03;84;33147;55;167;...
    assert_eq!(body["gp"]["gp"], 55);
    // 55 × Allier's share of physicians aged 55+, geodata/medecins_55plus_2025.csv line 4
    // (03;0.47418335089567965;949;...): an expected value, flagged.
    assert_eq!(body["gp"]["gp_near_retirement"].as_f64(), Some(55.0 * 0.47418335089567965));
    assert_eq!(body["gp"]["gp_near_retirement_estimated"], true);
    assert_eq!(body["gp"]["near_retirement_estimate"]["share"].as_f64(), Some(0.47418335089567965));
    assert_eq!(body["gp"]["near_retirement_estimate"]["dep"], "03");
    assert!(body["gp"]["source"].as_str().is_some_and(|s| s.contains("SanteScope 2026")));
    assert!(body["gp_per_10k"].as_f64().is_some());
    assert_eq!(body["msp_count"], 1);
    assert_eq!(body["meta"]["synthetic_gp"], false);
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

/// Every string in a JSON value (keys excluded: a flag named `synthetic` set to false says
/// nothing), and every boolean flag whose key names "synthetic".
fn strings_and_synthetic_flags<'a>(v: &'a Value, key: &str, strings: &mut Vec<&'a str>, flags: &mut Vec<bool>) {
    match v {
        Value::String(s) => strings.push(s),
        Value::Bool(b) if key.to_lowercase().contains("synthetic") => flags.push(*b),
        Value::Array(a) => a.iter().for_each(|x| strings_and_synthetic_flags(x, key, strings, flags)),
        Value::Object(o) => o.iter().for_each(|(k, x)| strings_and_synthetic_flags(x, k, strings, flags)),
        _ => {}
    }
}

#[tokio::test]
async fn nothing_served_or_shipped_calls_the_default_synthetic() {
    for uri in ["/api/meta", "/tiles/communes,departements,msp.json", "/tiles/communes.json", "/catalog", "/api/communes/03185"] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let (mut strings, mut flags) = (Vec::new(), Vec::new());
        strings_and_synthetic_flags(&body, "", &mut strings, &mut flags);
        // The bare name of the tile attribute `synthetic` (the catalog's field lists) is a name,
        // not a statement; anything else mentioning it is.
        let said: Vec<&&str> = strings.iter().filter(|s| **s != "synthetic" && s.to_lowercase().contains("synthetic")).collect();
        assert!(said.is_empty(), "{uri} says synthetic: {said:?}");
        assert!(flags.iter().all(|f| !f), "{uri}: a synthetic flag is set");
    }
    // The styles: not a word of it. (The viewer's files hold the words for an atlas that is
    // synthetic, shown only when the API's flag says so: tests/browser/viewer.mjs checks that
    // the default page shows none of them.)
    let mut files = 0;
    for entry in std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("styles")).expect("styles").flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        files += 1;
        assert!(!text.to_lowercase().contains("synthetic"), "{} says synthetic", entry.path().display());
    }
    assert!(files > 5, "{files} styles read");
    // And the meta says what the counts are.
    let (_, meta) = get("/api/meta").await;
    let notes = meta["gp_notes"].to_string();
    assert!(notes.contains("SanteScope 2026") && notes.contains("estimated"), "{notes}");
}
