//! DREES's official APL beside ours, through the API and the tiles, on the embedded default
//! (which carries the Auvergne 2023 sheet). Expected values are the sheet's, read with openpyxl
//! from ../shared/data/drees_apl_auvergne_2022_2023/apl_generalistes_auvergne.xlsx (sheet
//! `APL 2023`, row 193: Montluçon 3.25, under 65 2.747, standardised population 35,535.149).

mod common;

use common::get;
use medatlas::atlas::Atlas;
use medatlas::server::AppState;
use serde_json::Value;
use std::sync::OnceLock;

fn state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads")))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn montlucon_shows_the_official_apl_beside_ours() {
    let c = get(state(), "/api/communes/03185").await.json();
    assert_eq!(c["apl_official"]["year"], 2023);
    assert_eq!(num(&c["apl_official"]["apl"]), 3.25);
    assert_eq!(num(&c["apl_official"]["apl_under65"]), 2.747);
    let row = get(state(), "/api/communes/03185/indicators?format=json").await.json();
    let area = &row["area"];
    assert_eq!(num(&area["apl_official"]), 3.25);
    assert_eq!(area["apl_official_year"], 2023);
    assert!(area["apl"].is_number(), "ours stays, named apl: {area}");
}

#[tokio::test]
async fn areas_weight_the_official_apl_by_standardised_population() {
    let snapshot = state().snapshot();
    let atlas = &snapshot.atlas;
    let (mut s, mut w) = (0.0, 0.0);
    for c in atlas.communes().iter().filter(|c| c.dep == "03") {
        let o = c.apl_official.as_ref().expect("every commune of Allier is in the sheet");
        s += o.apl.expect("a value") * o.population_standardised;
        w += o.population_standardised;
    }
    let body = get(state(), "/api/indicators?level=departement&dep=03").await.json();
    let allier = &body["areas"][0];
    assert!((num(&allier["apl_official"]) - s / w).abs() < 1e-9, "{allier}");
    // Weighted by standardised population, not by raw: the two differ for Allier.
    let raw: f64 = atlas.communes().iter().filter(|c| c.dep == "03").map(|c| c.apl_official.as_ref().and_then(|o| o.apl).unwrap() * f64::from(c.population)).sum::<f64>()
        / atlas.communes().iter().filter(|c| c.dep == "03").map(|c| f64::from(c.population)).sum::<f64>();
    assert!((raw - s / w).abs() > 1e-6);
}

#[tokio::test]
async fn the_comparison_endpoint_and_meta_say_what_each_side_is() {
    let meta = get(state(), "/api/meta").await.json();
    assert_eq!(meta["apl_official_years"], serde_json::json!([2023]));
    assert_eq!(meta["travel_times"]["kind"], "estimated");
    assert_eq!(meta["travel_times"]["method"], "calibrated");
    let answer = get(state(), "/api/access/compare-official").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let cmp = answer.json();
    assert_eq!(cmp["comparison"]["n"], 1283);
    assert!(cmp.get("rows").is_none(), "the API gives the figures, not every pair");
    let r = num(&cmp["comparison"]["spearman"]);
    assert!((-1.0..=1.0).contains(&r));
    assert_eq!(cmp["travel_times"]["kind"], "estimated");
}

#[tokio::test]
async fn the_official_style_and_tiles_carry_the_official_values() {
    let style = get(state(), "/styles/apl_official.json").await;
    assert_eq!(style.status, 200);
    let style = style.json();
    let legend = &style["metadata"]["medatlas:legend"];
    assert_eq!(legend["field"], "apl_official");
    assert!(legend["title"].as_str().unwrap().contains("APL officielle DREES 2023"), "{legend}");
    assert_eq!(legend["threshold"], 2.5);
    // The computed APL's legend names its travel times (filled in by the server).
    let ours = get(state(), "/styles/apl.json").await.json();
    let source = ours["metadata"]["medatlas:legend"]["source"].as_str().unwrap().to_string();
    assert!(source.contains("estimated:") && !source.contains("{travel_times}"), "{source}");
    let tilejson = get(state(), "/tiles/communes.json").await.json();
    let fields = &tilejson["vector_layers"][0]["fields"];
    assert!(fields.get("apl_official").is_some() && fields.get("apl").is_some(), "{fields}");
    assert_eq!(tilejson["medatlas:travel_times"]["kind"], "estimated");
}
