//! The viewer's side of the server: pages, styles and the panorama API, driven in-process over
//! the embedded default; and the rule that nothing the browser loads names another origin.

mod common;

use axum::http::{StatusCode, header};
use medatlas::atlas::Atlas;
use medatlas::server::AppState;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

async fn fetch(uri: &str) -> (StatusCode, String, String) {
    fetch_from(state(), uri).await
}

async fn fetch_from(state: AppState, uri: &str) -> (StatusCode, String, String) {
    let answer = common::get_with(&state, uri, &[(header::HOST, "atlas.test:8080")]).await;
    (answer.status, answer.content_type, String::from_utf8(answer.body).expect("utf-8 body"))
}

async fn json(uri: &str) -> (StatusCode, Value) {
    json_from(state(), uri).await
}

async fn json_from(state: AppState, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = fetch_from(state, uri).await;
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {body}"));
    (status, v)
}

#[tokio::test]
async fn pages_are_served_from_web() {
    for uri in ["/", "/panorama/montlucon", "/panorama?communes=03185"] {
        let (status, kind, body) = fetch(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(kind.starts_with("text/html"), "{uri}: {kind}");
        assert!(body.contains("/web/node_modules/maplibre-gl/dist/maplibre-gl.js"), "{uri}");
    }
    // An unknown preset still shows the page (which says so), with a 404.
    let (status, _, body) = fetch("/panorama/atlantis").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("panorama.js"));
    let (status, _, _) = fetch("/web/viewer.js").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn styles_point_at_this_server() {
    let (status, style) = json("/styles/zoning.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(style["sources"]["medatlas"]["url"], "http://atlas.test:8080/tiles/communes,departements,msp.json");
    assert_eq!(json("/styles/nope.json").await.0, StatusCode::NOT_FOUND);
    assert_eq!(json("/styles/..%2Fsecret.json").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(json("/styles/zoning.txt").await.0, StatusCode::NOT_FOUND);
}

/// Every file the pages load: no address of another origin (the viewer must work with no
/// network but this server's). `{origin}` is filled in by the server.
#[test]
fn no_external_address_in_pages_scripts_or_styles() {
    let mut checked = 0;
    for dir in ["web", "web/static", "styles"] {
        for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if !matches!(path.extension().and_then(|e| e.to_str()), Some("html" | "js" | "css" | "json")) || path.ends_with("package.json") || path.ends_with("package-lock.json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for needle in ["http://", "https://", "url(//", "src=\"//", "href=\"//"] {
                assert!(!text.contains(needle), "{} contains {needle}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} files checked");
}

#[tokio::test]
async fn montlucon_panorama_has_the_seeds_90_communes_and_consistent_totals() {
    let (status, p) = json("/api/panorama?preset=montlucon").await;
    assert_eq!(status, StatusCode::OK);
    let communes = p["communes"].as_array().unwrap();
    assert_eq!(communes.len(), 90);
    let z = &p["zoning"];
    let classes: u64 = ["zip", "zac", "hz", "other", "none"].iter().map(|k| z[k].as_u64().unwrap()).sum();
    assert_eq!(classes, 90);
    let counted = |class: &str| communes.iter().filter(|c| c["zoning"] == class).count() as u64;
    assert_eq!(counted("ZIP"), z["zip"].as_u64().unwrap());
    assert_eq!(counted("ZAC"), z["zac"].as_u64().unwrap());
    let gp: u64 = communes.iter().map(|c| c["gp"].as_u64().unwrap_or(0)).sum();
    assert_eq!(p["totals"]["gp"].as_u64().unwrap(), gp);
    assert_eq!(p["reference"]["zip"], 56);
    let labelled: Vec<&str> = communes.iter().filter(|c| c["labelled"] == true).map(|c| c["name"].as_str().unwrap()).collect();
    for name in ["Montluçon", "Commentry", "Domérat", "Désertines", "Néris-les-Bains", "Huriel", "Cosne-d'Allier"] {
        assert!(labelled.contains(&name), "{name} not labelled: {labelled:?}");
    }
    // Every commune lies in the bounding box the page zooms to.
    let b: Vec<f64> = p["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for c in communes {
        let (x, y) = (c["position"][0].as_f64().unwrap(), c["position"][1].as_f64().unwrap());
        assert!(x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3], "{c}");
    }
}

#[tokio::test]
async fn unknown_codes_are_listed_not_fatal() {
    let (status, p) = json("/api/panorama?communes=03185,%2099999,abc,,03082").await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = p["communes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["03082", "03185"]);
    let rejected: Vec<&str> = p["rejected"].as_array().unwrap().iter().map(|r| r["input"].as_str().unwrap()).collect();
    assert_eq!(rejected, ["99999", "abc"]);
    assert!(p["rejected"][0]["reason"].as_str().unwrap().contains("no commune 99999"));
    // Nothing known: still an answer the page can report, with no box to zoom to.
    let (status, p) = json("/api/panorama?communes=99999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(p["communes"].as_array().unwrap().is_empty());
    assert!(p["bbox"].is_null());
}

#[tokio::test]
async fn bad_panorama_requests_are_json_errors() {
    for (uri, expected) in [
        ("/api/panorama", StatusCode::BAD_REQUEST),
        ("/api/panorama?preset=montlucon&dep=03", StatusCode::BAD_REQUEST),
        ("/api/panorama?communes=,,", StatusCode::BAD_REQUEST),
        ("/api/panorama?preset=atlantis", StatusCode::NOT_FOUND),
        ("/api/panorama?dep=99", StatusCode::NOT_FOUND),
    ] {
        let (status, body) = json(uri).await;
        assert_eq!(status, expected, "{uri}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{uri}: {body}");
    }
    let many = vec!["03185"; 2_001].join(",");
    let (status, body) = json(&format!("/api/panorama?communes={many}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, p) = json("/api/panorama?dep=03").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["communes"].as_array().unwrap().len(), 317);
}

/// The classed styles: breaks from the loaded atlas, written into the legend and the fill.
#[tokio::test]
async fn classed_styles_carry_breaks_of_the_loaded_atlas() {
    let snapshot = state().snapshot();
    let atlas = &snapshot.atlas;
    // Communes of at least 1,000 inhabitants set the breaks (the styles' min_population).
    let with_density = atlas.communes().iter().filter(|c| c.gp.is_some() && c.population >= 1_000).count() as u64;
    let legend_of = |style: &Value| style["metadata"]["medatlas:legend"].clone();
    let (status, quantiles) = json("/styles/gp_density.json").await;
    assert_eq!(status, StatusCode::OK);
    let l = legend_of(&quantiles);
    let breaks: Vec<f64> = l["breaks"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let counts: Vec<u64> = l["counts"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(breaks.len() >= 3 && breaks.len() == counts.len(), "{l}");
    assert!(breaks.windows(2).all(|w| w[0] < w[1]), "{breaks:?}");
    assert_eq!(counts.iter().sum::<u64>(), with_density, "every commune that sets the breaks is in one class");
    assert!(l["breaks_method"].as_str().unwrap().contains("at least 1000 inhabitants"), "{l}");
    assert!(l["breaks_method"].as_str().unwrap().starts_with("quantiles"), "{l}");
    // Quintiles: each class holds a fifth of the communes, give or take the ties.
    for &c in &counts {
        assert!(c.abs_diff(with_density / 5) <= with_density / 20, "{counts:?}");
    }
    // The fill's step stops are the classes' lower bounds after the first.
    let fill = quantiles["layers"].as_array().unwrap().iter().find(|x| x["id"] == "communes-fill").unwrap()["paint"]["fill-color"].clone();
    let stops: Vec<f64> = fill[3].as_array().unwrap()[3..].iter().step_by(2).map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(stops, breaks[1..]);

    let (_, jenks) = json("/styles/gp_density.json?classes=jenks").await;
    let j = legend_of(&jenks);
    assert!(j["breaks_method"].as_str().unwrap().starts_with("Jenks"), "{j}");
    assert_ne!(j["breaks"], l["breaks"]);
    // In 5 years: today's classes, so the two maps compare.
    let (_, later) = json("/styles/gp_density_5y.json").await;
    assert_eq!(legend_of(&later)["breaks"], l["breaks"]);
    assert_eq!(legend_of(&later)["field"], "gp_per_10k_in_5y");
    let (status, body) = json("/styles/gp_density.json?classes=equal_interval").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A fixed-class style is served as written.
    let (_, apl) = json("/styles/apl.json").await;
    assert_eq!(legend_of(&apl)["threshold"], 2.5);
    assert!(legend_of(&apl)["breaks"].as_array().unwrap().iter().any(|b| b == 2.5));
}

/// The EPCI choropleths: classes computed over the EPCIs (not the communes), driving the fill of
/// the `epci` tile layer; the APL one with the fixed DREES classes.
#[tokio::test]
async fn epci_styles_class_the_epcis() {
    let snapshot = state().snapshot();
    let atlas = &snapshot.atlas;
    // EPCIs with a density: some GP counts and some population among their communes.
    let mut with_density = std::collections::BTreeMap::<&str, (bool, u64)>::new();
    for c in atlas.communes() {
        if let Some(e) = c.epci.as_deref() {
            let entry = with_density.entry(e).or_default();
            entry.0 |= c.gp.is_some();
            entry.1 += u64::from(c.population);
        }
    }
    let expected = with_density.values().filter(|(gp, pop)| *gp && *pop > 0).count() as u64;
    let (status, style) = json("/styles/epci_density.json").await;
    assert_eq!(status, StatusCode::OK, "{style}");
    assert!(style["sources"]["medatlas"]["url"].as_str().unwrap().ends_with("/tiles/epci,departements,msp.json"));
    let legend = &style["metadata"]["medatlas:legend"];
    let counts: Vec<u64> = legend["counts"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), expected, "{legend}");
    assert!(legend["breaks_method"].as_str().unwrap().contains("EPCIs"), "{legend}");
    let breaks: Vec<f64> = legend["breaks"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let fill = style["layers"].as_array().unwrap().iter().find(|x| x["id"] == "epci-fill").expect("the EPCI fill");
    assert_eq!(fill["source-layer"], "epci");
    let stops: Vec<f64> = fill["paint"]["fill-color"][3].as_array().unwrap()[3..].iter().step_by(2).map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(stops, breaks[1..]);
    let (status, apl) = json("/styles/epci_apl.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(apl["metadata"]["medatlas:legend"]["threshold"], 2.5);
    assert!(apl["layers"].as_array().unwrap().iter().any(|l| l["id"] == "epci-fill" && l["source-layer"] == "epci"));
}

/// An atlas without GP counts (geography only): the classed maps say there is nothing to class
/// instead of failing, and the panorama does not sum near-retirement counts it does not have.
#[tokio::test]
async fn an_atlas_without_gp_counts_still_gets_its_maps() {
    let config = medatlas::atlas::LoadConfig { no_default_health: true, ..Default::default() };
    let bare = AppState::new(Atlas::load(&config, &|_, _| {}).expect("geography loads"));
    assert!(bare.snapshot().atlas.communes().iter().all(|c| c.gp.is_none()), "the fixture has no GP counts");
    for name in ["gp_density", "near_retirement"] {
        let (status, style) = json_from(bare.clone(), &format!("/styles/{name}.json")).await;
        assert_eq!(status, StatusCode::OK, "{name}: {style}");
        let legend = &style["metadata"]["medatlas:legend"];
        assert_eq!(legend["breaks"], serde_json::json!([]), "{name}");
        assert!(legend["breaks_method"].as_str().unwrap().contains("no commune of this atlas has a value"), "{legend}");
    }
    let (status, p) = json_from(bare, "/api/panorama?preset=montlucon").await;
    assert_eq!(status, StatusCode::OK);
    assert!(p["totals"]["gp_near_retirement"].is_null(), "{}", p["totals"]);
}
