//! The search box and département panel endpoints over the embedded default (former Auvergne
//! region: 03, 15, 43, 63), driven in-process (no socket), checked against the atlas.

mod common;

use axum::http::StatusCode;
use medatlas::atlas::{Atlas, LoadConfig};
use medatlas::server::AppState;
use serde_json::{Value, json};
use std::collections::BTreeSet;
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

fn hits(body: &Value) -> &Vec<Value> {
    body["hits"].as_array().unwrap_or_else(|| panic!("no hits array: {body}"))
}

fn codes(body: &Value) -> Vec<&str> {
    hits(body).iter().map(|h| h["code"].as_str().unwrap_or("")).collect()
}

/// The search answer for `q` (already URL-encoded), which must be 200.
async fn search(q: &str) -> Value {
    let uri = format!("/api/search?q={q}");
    let (status, body) = get(&uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

#[tokio::test]
async fn montlucon_is_found_by_name_with_or_without_accents_and_by_code() {
    for q in ["montlucon", "MONTLU%C3%87ON", "Montlu%C3%A7on", "03185", "03100"] {
        let body = search(q).await;
        assert_eq!(codes(&body).first(), Some(&"03185"), "{q}: {body}");
        assert_eq!(body["folded"], if q.starts_with('0') { q } else { "montlucon" }, "{q}");
    }
    let body = search("Montlu%C3%A7on").await;
    assert_eq!(body["query"], "Montluçon");
    let hit = &hits(&body)[0];
    let c = atlas().atlas.commune("03185").cloned().expect("Montluçon");
    // The shape the viewer reads, exactly.
    let keys: BTreeSet<&str> = hit.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["code", "name", "dep", "population", "matched", "former_name", "center", "bbox"]));
    assert_eq!(hit["name"], "Montluçon");
    assert_eq!(hit["dep"], "03");
    assert_eq!(hit["population"], c.population);
    assert_eq!(hit["matched"], "name");
    assert_eq!(hit["former_name"], Value::Null);
    assert_eq!(hit["center"], json!([c.repr_point.x(), c.repr_point.y()]));
    let bbox: Vec<f64> = hit["bbox"].as_array().expect("bbox").iter().filter_map(Value::as_f64).collect();
    assert_eq!(bbox.len(), 4);
    assert!(bbox[0] < bbox[2] && bbox[1] < bbox[3], "{bbox:?} is w, s, e, n");
    assert!((bbox[0]..bbox[2]).contains(&c.repr_point.x()) && (bbox[1]..bbox[3]).contains(&c.repr_point.y()));

    assert_eq!(hits(&search("03185").await)[0]["matched"], "code");
    let postal = search("03100").await;
    assert_eq!(hits(&postal)[0]["matched"], "postal_code");
    // 03100 is also Diou's INSEE code: it follows the communes of the postal code.
    let last = hits(&postal).last().expect("hits");
    assert_eq!((last["code"].as_str(), last["name"].as_str(), last["matched"].as_str()), (Some("03100"), Some("Diou"), Some("code")));
}

#[tokio::test]
async fn names_with_abbreviations_apostrophes_and_hyphens_are_found() {
    for q in ["st%20victor", "st+victor", "Saint-Victor"] {
        let body = search(q).await;
        let found = hits(&body).iter().find(|h| h["code"] == "03262").unwrap_or_else(|| panic!("{q}: no 03262 in {body}"));
        assert_eq!(found["name"], "Saint-Victor");
        assert_eq!(found["dep"], "03");
    }
    assert_eq!(search("st%20victor").await["folded"], "saint victor");
    assert_eq!(codes(&search("cosne%20d%20allier").await)[0], "03084");
    assert_eq!(codes(&search("Cosne-d%E2%80%99Allier").await)[0], "03084");
    assert_eq!(codes(&search("neris%20les%20bains").await)[0], "03195");
}

#[tokio::test]
async fn no_match_is_an_empty_200() {
    for q in ["xyzzy", "99999", "2A004", "-"] {
        let body = search(q).await;
        assert_eq!(hits(&body).len(), 0, "{q}: {body}");
    }
}

#[tokio::test]
async fn prefix_hits_come_by_population_and_limit_is_applied() {
    let snapshot = atlas();
    let biggest = snapshot
        .atlas
        .communes()
        .iter()
        .filter(|c| medatlas::atlas::search::fold(&c.name).starts_with("saint"))
        .max_by_key(|c| c.population)
        .expect("Saint-* communes");
    let body = search("saint&limit=50").await;
    assert_eq!(hits(&body).len(), 50);
    assert_eq!(hits(&body)[0]["code"], biggest.code.as_str(), "{body}");
    let populations: Vec<u64> = hits(&body).iter().filter_map(|h| h["population"].as_u64()).collect();
    assert!(populations.windows(2).all(|w| w[0] >= w[1]), "{populations:?}");
    assert_eq!(hits(&search("saint").await).len(), 10, "limit defaults to 10");
    assert_eq!(hits(&search("saint&limit=3").await).len(), 3);
    assert_eq!(hits(&search("saint&limit=").await).len(), 10);
}

#[tokio::test]
async fn a_former_commune_leads_to_its_successor() {
    // Givarlais (03123) is part of Haut-Bocage (03158) since 2016.
    let body = search("givarlais").await;
    let hit = &hits(&body)[0];
    assert_eq!(hit["code"], "03158");
    assert_eq!(hit["name"], "Haut-Bocage");
    assert_eq!(hit["matched"], "former_name");
    assert_eq!(hit["former_name"], "Givarlais");
    let body = search("03123").await;
    assert_eq!(codes(&body), vec!["03158"]);
    assert_eq!(hits(&body)[0]["matched"], "code");
    assert_eq!(hits(&body)[0]["former_name"], "Givarlais");
}

#[tokio::test]
async fn bad_search_parameters_get_json_400() {
    let long = "a".repeat(101);
    let long_accented = "%C3%A9".repeat(101);
    for (uri, says) in [
        ("/api/search".to_string(), "missing parameter q"),
        ("/api/search?limit=3".to_string(), "missing parameter q"),
        ("/api/search?q=".to_string(), "blank"),
        ("/api/search?q=%20%20".to_string(), "blank"),
        (format!("/api/search?q={long}"), "longer than 100 characters"),
        (format!("/api/search?q={long_accented}"), "longer than 100 characters"),
        ("/api/search?q=vichy&limit=0".to_string(), "between 1 and 50"),
        ("/api/search?q=vichy&limit=51".to_string(), "between 1 and 50"),
        ("/api/search?q=vichy&limit=-1".to_string(), "between 1 and 50"),
        ("/api/search?q=vichy&limit=abc".to_string(), "\"abc\""),
        ("/api/search?q=vichy&limit=2.5".to_string(), "between 1 and 50"),
        ("/api/search?q=vichy&limit=99999999999999999999999".to_string(), "between 1 and 50"),
    ] {
        let (status, body) = get(&uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["status"], 400, "{uri}: {body}");
        let error = body["error"].as_str().unwrap_or("");
        assert!(error.contains(says), "{uri}: {error:?} should say {says:?}");
    }
    // 100 characters, accented or not, are accepted.
    for q in ["a".repeat(100), "%C3%A9".repeat(100)] {
        let (status, body) = get(&format!("/api/search?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn the_index_follows_a_reloaded_atlas() {
    let config = LoadConfig { departments: vec!["15".into()], no_default_health: true, ..LoadConfig::default() };
    let state = AppState::new(Atlas::load_default().expect("default loads"));
    let (_, before) = get_from(state.clone(), "/api/search?q=montlucon").await;
    assert_eq!(codes(&before)[0], "03185");
    state.swap(Atlas::load(&config, &|_, _| {}).expect("Cantal loads"));
    let (_, after) = get_from(state.clone(), "/api/search?q=montlucon").await;
    assert_eq!(hits(&after).len(), 0, "{after}");
    let (_, aurillac) = get_from(state, "/api/search?q=aurillac").await;
    assert_eq!(codes(&aurillac)[0], "15014");
}

#[tokio::test]
async fn allier_has_its_2022_aids_and_the_gp_totals_of_its_communes() {
    let snapshot = atlas();
    let (status, body) = get("/api/departements/03").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], "03");
    assert_eq!(body["name"], "Allier");
    assert_eq!(body["region"], "84");
    assert_eq!(body["region_name"], "Auvergne-Rhône-Alpes");
    let communes: Vec<&medatlas::model::Commune> = snapshot.atlas.communes().iter().filter(|c| c.dep == "03").collect();
    assert_eq!(body["commune_count"], communes.len());
    assert_eq!(body["commune_count"], 317);
    let population: u64 = communes.iter().map(|c| u64::from(c.population)).sum();
    assert_eq!(body["population"], population);
    // Seed 002, table « 2022 ANALYSE »: Allier marks only the study grant against settling
    // (WANTED).
    assert_eq!(body["aids_2022"], json!({ "source_name": "ALLIER", "categories": { "bourse_etude_contre_installation": "" } }));
    let gp: u64 = communes.iter().filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
    let near: f64 = communes.iter().filter_map(|c| c.gp.as_ref()).filter_map(|g| g.gp_near_retirement).sum();
    assert!(gp > 0);
    assert_eq!(body["gp"], gp);
    let got = body["gp_near_retirement"].as_f64().expect("near-retirement sum");
    assert!((got - near).abs() < 1e-9, "{got} vs {near}");
    assert_eq!(body["gp_near_retirement_estimated"], true, "GPs × Allier's share of physicians aged 55+");
    let density = body["gp_per_10k"].as_f64().expect("gp_per_10k");
    assert!((density - gp as f64 * 10_000.0 / population as f64).abs() < 1e-9, "{density}");
    assert_eq!(body["synthetic"], false, "the default's GP counts are SanteScope 2026's");
    assert_eq!(body["missing"], json!({}));
    assert!(body["formulas"]["gp_per_10k"].as_str().is_some_and(|f| f.contains("Σ gp / Σ population")), "{body}");
    assert_eq!(body["meta"]["synthetic_gp"], false);
}

#[tokio::test]
async fn the_other_departements_carry_their_own_aids() {
    let (_, puy_de_dome) = get("/api/departements/63").await;
    let categories: Vec<&str> =
        puy_de_dome["aids_2022"]["categories"].as_object().expect("categories").keys().map(String::as_str).collect();
    assert_eq!(categories, vec!["aide_financiere_installation", "developpement_salariat", "soutien_msp"]);
    // Haute-Loire is listed in the table with no aid marked: known and empty, not null.
    let (status, haute_loire) = get("/api/departements/43").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(haute_loire["aids_2022"], json!({ "source_name": "HAUTE-LOIRE", "categories": {} }));
    let (_, cantal) = get("/api/departements/15").await;
    assert_eq!(cantal["aids_2022"]["categories"].as_object().map(|o| o.len()), Some(4));
}

#[tokio::test]
async fn bad_or_unknown_departement_codes_get_json_errors() {
    let malformed = ["abc", "3", "003", "69M", "20", "99", "977"]
        .map(|code| (format!("/api/departements/{code}"), StatusCode::BAD_REQUEST, "not a département code"));
    common::assert_json_errors(&state(), &malformed).await;
    common::assert_json_errors(&state(), &[
        // Well formed, outside this atlas (Ain is in the aids table, not in the geography).
        ("/api/departements/01", StatusCode::NOT_FOUND, "no département 01"),
        ("/api/departements/2a", StatusCode::NOT_FOUND, "no département 2A"),
        ("/api/departements/976", StatusCode::NOT_FOUND, "no département 976"),
    ])
    .await;
}
