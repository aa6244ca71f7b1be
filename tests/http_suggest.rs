//! `GET /api/suggest` with the location models of issue 15 — set covering, p-median and
//! coverage restricted to candidate filters — over the embedded default, in-process: the
//! residents left beyond the service time, the candidates a filter admits, and a JSON 400 with
//! its reason for every bad input.

mod common;

use axum::http::StatusCode;
use medatlas::atlas::Atlas;
use medatlas::ingest::{Reader, zoning::ZoningReader};
use medatlas::model::Zoning;
use medatlas::server::AppState;
use serde_json::Value;
use std::sync::OnceLock;

fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| Atlas::load_default().expect("default loads"))
}

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

async fn get(uri: &str) -> (StatusCode, Value) {
    common::get_json(&state(), uri).await
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The "beyond" list agrees with its total, and every commune in it is really beyond the time.
fn check_beyond(plan: &Value) {
    let minutes = f(&plan["minutes"]);
    let beyond = plan["beyond"].as_array().unwrap();
    let total: f64 = beyond.iter().map(|c| f(&c["population"])).sum();
    assert_eq!(total, f(&plan["population_beyond"]));
    assert!(beyond.iter().all(|c| c["minutes"].is_null() || f(&c["minutes"]) > minutes), "{beyond:?}");
    assert!(f(&plan["population_beyond"]) <= f(&plan["population_beyond_before"]));
}

#[tokio::test]
async fn set_cover_at_30_minutes_leaves_only_the_unreachable() {
    let (status, body) = get("/api/suggest?dep=03&objective=set_cover&minutes=30").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let plan = &body["plan"];
    check_beyond(plan);
    // Every commune is a candidate (0 minutes to its own town hall): nobody is left beyond.
    assert_eq!(f(&plan["population_beyond"]), 0.0);
    assert_eq!(plan["optimality"]["exact"], true, "{}", plan["optimality"]);
    assert_eq!(f(&plan["optimality"]["objective"]), plan["sites"].as_array().unwrap().len() as f64);
    assert!(plan["assumptions"][0].as_str().unwrap().starts_with("travel times"));
    assert_eq!(body["travel_times"], "estimated");

    // With the candidates restricted to ZIP communes, those no ZIP town hall nor MSP reaches
    // within 30 minutes stay beyond, and every site is a ZIP commune.
    let (status, body) = get("/api/suggest?dep=03&objective=set_cover&minutes=30&candidates=zip").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let plan = &body["plan"];
    check_beyond(plan);
    for site in plan["sites"].as_array().unwrap() {
        assert_eq!(atlas().commune(site["code"].as_str().unwrap()).unwrap().zoning, Some(Zoning::Zip));
    }
    let zip = atlas().communes().iter().filter(|c| c.dep == "03" && c.zoning == Some(Zoning::Zip)).count();
    assert_eq!(plan["candidates"], zip);
}

#[tokio::test]
async fn median_lowers_the_mean_time_and_coverage_keeps_its_suggestion() {
    let (status, body) = get("/api/suggest?dep=03&objective=median&k=5&minutes=30").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let plan = &body["plan"];
    check_beyond(plan);
    assert_eq!(plan["sites"].as_array().unwrap().len(), 5);
    assert!(f(&plan["mean_minutes"]) < f(&plan["mean_minutes_before"]));
    assert!(plan["optimality"]["exact"].is_boolean() && f(&plan["optimality"]["gap"]) >= 0.0);
    assert!(plan.get("suggestion").is_none());

    let (status, body) = get("/api/suggest?dep=03&objective=coverage&k=3&minutes=15&candidates=msp_free").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (plan, suggestion) = (&body["plan"], &body["suggestion"]);
    check_beyond(plan);
    // The plan and the suggestion are the same selection.
    let codes = |v: &Value| v.as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(codes(&plan["sites"]), codes(&suggestion["sites"]));
    assert!((f(&plan["population"]) - f(&suggestion["after"]) - f(&plan["population_beyond"])).abs() < 1e-6);
    let with_msp: Vec<&str> = atlas().sites().iter().filter(|s| s.kind.is_msp()).map(|s| s.commune.as_str()).collect();
    assert!(codes(&plan["sites"]).iter().all(|c| !with_msp.contains(&c.as_str())));
}

#[tokio::test]
async fn bad_suggestions_get_a_json_400_with_the_reason() {
    for (uri, reason) in [
        ("/api/suggest?dep=03&objective=set_cover&minutes=0", "minutes"),
        ("/api/suggest?dep=03&objective=median&minutes=-5", "minutes"),
        ("/api/suggest?dep=03&objective=nearest", "objective"),
        ("/api/suggest?dep=03&objective=median&candidates=pharmacy", "candidates"),
        ("/api/suggest?dep=03&objective=apl&candidates=zip", "candidates"),
        ("/api/suggest?dep=03&objective=median&k=0", "k"),
    ] {
        let (status, answer) = get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(reason), "{uri}: {error}");
    }
}

#[tokio::test]
async fn more_sites_than_candidates_is_a_400() {
    // Allier with a zoning file of three ZIP communes (and no other health data): three
    // candidates under `candidates=zip`, none under `candidates=zac`.
    let dir = tempfile::tempdir().unwrap();
    let zoning = dir.path().join("zoning.csv");
    std::fs::write(&zoning, "Code_postal,Nom_commune,Zonage\n3200,Abrest,1_ZIP\n3210,Agonges,1_ZIP\n3100,Montluçon,1_ZIP\n").unwrap();
    let config = medatlas::atlas::LoadConfig { departments: vec!["03".into()], no_default_health: true, ..Default::default() }
        .with_file(ZoningReader::KIND, zoning);
    let state = AppState::new(Atlas::load(&config, &|_, _| {}).expect("loads"));
    let (status, body) = common::get_json(&state, "/api/suggest?dep=03&objective=median&k=3&candidates=zip").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["plan"]["candidates"], 3);
    for (uri, reason) in [
        ("/api/suggest?dep=03&objective=median&k=4&candidates=zip", "k = 4 is more than the 3 candidate sites"),
        ("/api/suggest?dep=03&objective=coverage&k=4&candidates=zip", "k = 4 is more than the 3 candidate sites"),
        ("/api/suggest?dep=03&objective=set_cover&candidates=zac", "0 candidate sites"),
    ] {
        let (status, answer) = common::get_json(&state, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(reason), "{uri}: {error}");
    }
}
