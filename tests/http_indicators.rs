//! The indicator endpoints over the embedded default, driven in-process (no socket).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use medatlas::atlas::Atlas;
use common::Answer;
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

async fn send(request: Request<Body>) -> Answer {
    common::send(&state(), request).await
}

async fn get(uri: &str) -> Answer {
    send(Request::get(uri).body(Body::empty()).expect("request")).await
}

async fn get_accept(uri: &str, accept: &str) -> Answer {
    send(Request::get(uri).header(header::ACCEPT, accept).body(Body::empty()).expect("request")).await
}

async fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Answer {
    send(Request::post(uri).header(header::CONTENT_TYPE, content_type).body(body.into()).expect("request")).await
}

async fn post_json(uri: &str, body: &Value) -> Answer {
    post(uri, "application/json", body.to_string()).await
}

fn assert_no_nan(what: &str, body: &str) {
    assert!(!body.contains("NaN") && !body.contains("Infinity"), "{what}: {body}");
    // Rust writes an infinite f64 as `inf`: no CSV cell may be that.
    assert!(!body.split([',', '\n']).any(|cell| matches!(cell.trim(), "inf" | "-inf")), "{what}: {body}");
}

fn allier_epcis() -> BTreeSet<String> {
    atlas().atlas.communes().iter().filter(|c| c.dep == "03").filter_map(|c| c.epci.clone()).collect()
}

#[tokio::test]
async fn each_level_lists_the_areas_of_allier() {
    let epcis = allier_epcis();
    assert!(epcis.len() > 5, "{epcis:?}");
    for (level, count) in [("commune", 317), ("epci", epcis.len()), ("departement", 1), ("region", 1)] {
        let a = get(&format!("/api/indicators?level={level}&dep=03")).await;
        assert_eq!(a.status, StatusCode::OK, "{level}: {}", a.text());
        assert!(a.content_type.starts_with("application/json"), "{}", a.content_type);
        let body = a.json();
        assert_eq!(body["level"], level);
        assert_eq!(body["count"], count, "{level}");
        assert_eq!(body["areas"].as_array().map(Vec::len), Some(count), "{level}");
        let codes: Vec<&str> = body["areas"].as_array().into_iter().flatten().filter_map(|a| a["code"].as_str()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{level}: sorted by code");
    }
    let a = get("/api/indicators?level=epci&dep=03").await.json();
    let codes: BTreeSet<String> = a["areas"].as_array().into_iter().flatten().filter_map(|x| x["code"].as_str().map(String::from)).collect();
    assert_eq!(codes, epcis);
    // No filter, default level: the four départements of the embedded default.
    let all = get("/api/indicators").await.json();
    assert_eq!((all["level"].as_str(), all["count"].as_u64()), (Some("departement"), Some(4)));
}

#[tokio::test]
async fn montlucon_row_has_its_santescope_gps_and_an_estimated_near_retirement_count() {
    let body = get("/api/indicators?level=commune&dep=03").await.json();
    let row = body["areas"].as_array().into_iter().flatten().find(|a| a["code"] == "03185").expect("Montluçon's row");
    // geodata/santescope_auvergne_2026.csv line 184: 03185;Montluçon;03;84;33147;55;167;...
    assert_eq!(row["gp"], 55);
    // 55 × Allier's share as written in geodata/medecins_55plus_2025.csv (line 4).
    assert_eq!(row["gp_near_retirement"].as_f64(), Some(55.0 * 0.47418335089567965));
    assert_eq!(row["gp_near_retirement_estimated"], true);
    assert_eq!(row["synthetic"], false);
    // The CSV says it too.
    let csv = get("/api/indicators?level=commune&dep=03&format=csv").await;
    let mut reader = csv::Reader::from_reader(csv.body.as_slice());
    let headers = reader.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    let r = rows.iter().find(|r| &r[0] == "03185").expect("Montluçon in the CSV");
    assert_eq!(&r[col("gp_near_retirement_estimated")], "true");
    let near: f64 = r[col("gp_near_retirement")].parse().expect("a number");
    assert_eq!(near, 55.0 * 0.47418335089567965);
}

#[tokio::test]
async fn allier_aggregate_is_the_sum_of_its_communes_with_metadata() {
    let snapshot = atlas();
    let members: Vec<_> = snapshot.atlas.communes().iter().filter(|c| c.dep == "03").collect();
    let population: u64 = members.iter().map(|c| u64::from(c.population)).sum();
    let gp: u64 = members.iter().filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
    let body = get("/api/indicators?level=departement&dep=03").await.json();
    let area = &body["areas"][0];
    assert_eq!(area["code"], "03");
    assert_eq!(area["name"], "Allier");
    assert_eq!(area["commune_count"], 317);
    assert_eq!(area["population"], population);
    assert_eq!(area["gp"], gp);
    let density = area["gp_per_10k"].as_f64().unwrap_or(f64::NAN);
    assert!((density - gp as f64 * 10_000.0 / population as f64).abs() < 1e-9, "{density}");
    assert!(area["gp_per_10k_projected"].as_f64().is_some_and(|p| p < density));
    assert_eq!(area["synthetic"], false, "SanteScope 2026 counts, not a model");
    // Near retirement: Σ of the communes' estimates, itself flagged estimated.
    let near: f64 = members.iter().filter_map(|c| c.gp.as_ref()?.gp_near_retirement).sum();
    let got = area["gp_near_retirement"].as_f64().expect("near-retirement sum");
    assert!((got - near).abs() < 1e-9, "{got} vs {near}");
    // 477 GPs in Allier (Σ nb_generalistes of dept 03 in geodata/santescope_auvergne_2026.csv)
    // × 0.47418335089567965 (geodata/medecins_55plus_2025.csv line 4).
    assert!((got - 477.0 * 0.47418335089567965).abs() < 1e-9, "{got}");
    assert_eq!(area["gp_near_retirement_estimated"], true);
    assert_eq!(area["low_population"], false);
    let meta = &body["meta"];
    // APL of the département: its communes' APL weighted by (standardised) population,
    // recomputed here from the analysis function the server uses.
    let access = medatlas::analysis::apl::default_access(&snapshot.atlas).expect("APL computes");
    let (mut weighted, mut weight) = (0.0, 0.0);
    for (i, c) in snapshot.atlas.communes().iter().enumerate().filter(|(_, c)| c.dep == "03") {
        if let Some(v) = access.apl[i] {
            weighted += v * f64::from(c.population);
            weight += f64::from(c.population);
        }
    }
    let apl = area["apl"].as_f64().expect("APL of Allier");
    assert!((apl - weighted / weight).abs() < 1e-9 * apl, "{apl} vs {}", weighted / weight);
    assert_eq!(meta["access"]["travel_times"], "estimated");
    assert_eq!(meta["access"]["unit"], "consultations per year per standardised inhabitant");
    assert_eq!(meta["synthetic_gp"], false);
    assert_eq!(meta["near_retirement_estimated"], true);
    let notes: Vec<&str> = meta["gp_notes"].as_array().expect("GP notes").iter().filter_map(Value::as_str).collect();
    assert!(notes.iter().any(|n| n.contains("SanteScope 2026")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("estimated") && n.contains("DREES 2025")), "{notes:?}");
    assert_eq!(meta["low_population_threshold"], 1000);
    assert_eq!(meta["projection"]["years"], 5.0);
    assert_eq!(meta["projection"]["departure_horizon_years"], 10.0);
    assert_eq!(meta["projection"]["replacement_rate"], 0.0);
    assert!(meta["projection"]["model"].as_str().is_some_and(|m| m.contains("min(years")));
    assert!(meta["formulas"]["gp_per_10k"].as_str().is_some_and(|f| f.contains("Σ gp / Σ population")));
    assert_eq!(meta["communes_without_area"], json!([]));
}

#[tokio::test]
async fn projection_and_threshold_follow_the_parameters() {
    let base = get("/api/indicators?dep=03").await.json();
    let all_gone = get("/api/indicators?dep=03&years=20&replacement=0").await.json();
    let replaced = get("/api/indicators?dep=03&years=20&replacement=1").await.json();
    let (gp, near) = (base["areas"][0]["gp"].as_f64().unwrap_or(0.0), base["areas"][0]["gp_near_retirement"].as_f64().unwrap_or(0.0));
    assert!((all_gone["areas"][0]["gp_projected"].as_f64().unwrap_or(f64::NAN) - (gp - near)).abs() < 1e-9);
    assert_eq!(replaced["areas"][0]["gp_projected"].as_f64(), Some(gp));
    assert_eq!(replaced["meta"]["projection"]["replacement_rate"], 1.0);
    // A threshold above Allier's population flags it, and still lists it.
    let flagged = get("/api/indicators?dep=03&min_population=100000000").await.json();
    assert_eq!(flagged["count"], 1);
    assert_eq!(flagged["areas"][0]["low_population"], true);
    assert_eq!(flagged["meta"]["low_population_threshold"], 100_000_000);
}

#[tokio::test]
async fn csv_has_a_header_and_one_row_per_area() {
    for a in [get("/api/indicators?level=commune&dep=03&format=csv").await, get_accept("/api/indicators?level=commune&dep=03", "text/csv").await] {
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        assert_eq!(a.content_type, "text/csv; charset=utf-8");
        let mut reader = csv::Reader::from_reader(a.body.as_slice());
        let headers = reader.headers().expect("header").clone();
        assert_eq!(&headers[0], "code");
        assert!(headers.iter().any(|h| h == "gp_per_10k") && headers.iter().any(|h| h == "missing"));
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
        assert_eq!(rows.len(), 317);
        let apl = headers.iter().position(|h| h == "apl").expect("apl column");
        let missing = headers.iter().position(|h| h == "missing").expect("missing column");
        // A null is an empty cell, and its reason is in `missing`.
        for r in &rows {
            assert_eq!(r[apl].is_empty(), r[missing].contains("apl: "), "{r:?}");
        }
        assert!(rows.iter().any(|r| &r[0] == "03185"));
    }
}

/// The panel's download link: one commune's row, the same as in its département's list.
#[tokio::test]
async fn one_communes_row_equals_its_row_in_the_departement() {
    let all = get("/api/indicators?level=commune&dep=03").await.json();
    for code in ["03185", "03084", "03001"] {
        let expected = all["areas"].as_array().unwrap().iter().find(|a| a["code"] == code).expect("in Allier").clone();
        let one = get(&format!("/api/communes/{code}/indicators")).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.text());
        assert_eq!(one.json()["area"], expected, "{code}");
        let csv = get(&format!("/api/communes/{code}/indicators?format=csv")).await;
        assert_eq!(csv.content_type, "text/csv; charset=utf-8");
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.body.as_slice()).records().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], code);
    }
    assert_eq!(get("/api/communes/99999/indicators").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get("/api/communes/abc/indicators").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get("/api/communes/03185/indicators?format=xml").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn geojson_is_a_feature_collection_with_geometries() {
    let epcis = allier_epcis();
    for (uri, accept, count) in [
        ("/api/indicators?level=epci&dep=03&format=geojson", "*/*", epcis.len()),
        ("/api/indicators?level=region", "application/geo+json", 1),
        ("/api/indicators?level=departement", "application/geo+json", 4),
        ("/api/indicators?level=commune&dep=03", "application/geo+json, application/json;q=0.5", 317),
    ] {
        let a = get_accept(uri, accept).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
        assert_eq!(a.content_type, "application/geo+json", "{uri}");
        let fc: geojson::FeatureCollection = a.text().parse::<geojson::GeoJson>().ok().and_then(|g| g.try_into().ok()).expect("a FeatureCollection");
        assert_eq!(fc.features.len(), count, "{uri}");
        for f in &fc.features {
            let g = f.geometry.as_ref().expect("a geometry");
            let mp: geo::MultiPolygon<f64> = g.clone().try_into().expect("a MultiPolygon");
            assert!(!mp.0.is_empty(), "{uri}");
            assert!(f.properties.as_ref().is_some_and(|p| p.contains_key("gp_per_10k") && p.contains_key("missing")));
        }
    }
}

#[tokio::test]
async fn basin_by_codes_sums_its_communes() {
    let snapshot = atlas();
    let codes = ["03185", "03095", "03321"];
    let population: u64 = codes.iter().map(|c| snapshot.atlas.commune(c).map(|c| u64::from(c.population)).expect("commune exists")).sum();
    // A repeated code, and one without its leading zero, count once.
    let a = post_json("/api/indicators/basin", &json!({"name": "Montluçon", "codes": ["03185", "03095", "03321", "03185", "3185"]})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let body = a.json();
    assert_eq!(body["level"], "basin");
    assert_eq!(body["area"]["name"], "Montluçon");
    assert_eq!(body["area"]["population"], population);
    assert_eq!(body["area"]["commune_count"], 3);
    assert_eq!(body["communes"], json!(["03095", "03185", "03321"]));
    assert_eq!(body["meta"]["selection"]["by"], "codes");
    assert_eq!(body["meta"]["synthetic_gp"], false);

    let csv = post("/api/indicators/basin?format=csv", "application/json", json!({"codes": codes}).to_string()).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert_eq!(csv.text().lines().count(), 2, "{}", csv.text());
    assert!(csv.text().contains("03095 03185 03321"), "{}", csv.text());

    let gj = send(
        Request::post("/api/indicators/basin")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/geo+json")
            .body(Body::from(json!({"codes": codes}).to_string()))
            .expect("request"),
    )
    .await;
    assert_eq!(gj.status, StatusCode::OK, "{}", gj.text());
    let fc: geojson::FeatureCollection = gj.text().parse::<geojson::GeoJson>().ok().and_then(|g| g.try_into().ok()).expect("a FeatureCollection");
    assert_eq!(fc.features.len(), 1);
    assert!(fc.features[0].geometry.is_some());
}

#[tokio::test]
async fn basin_by_polygon_holds_montlucon() {
    let square = json!({"type": "Polygon", "coordinates": [[[2.58, 46.32], [2.62, 46.32], [2.62, 46.36], [2.58, 46.36], [2.58, 46.32]]]});
    for polygon in [square.clone(), json!({"type": "Feature", "properties": {"n": 1}, "geometry": square})] {
        let a = post_json("/api/indicators/basin", &json!({"name": "around Montluçon", "polygon": polygon})).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let body = a.json();
        assert!(body["communes"].as_array().is_some_and(|c| c.contains(&json!("03185"))), "{body}");
        assert_eq!(body["meta"]["selection"]["by"], "polygon");
        assert!(body["meta"]["selection"]["rule"].as_str().is_some_and(|r| r.contains("town hall")));
    }
}

#[tokio::test]
async fn bad_requests_get_json_errors_with_fitting_statuses() {
    common::assert_json_errors(&state(), &[
        ("/api/indicators?level=canton", StatusCode::BAD_REQUEST, "commune, epci, departement, region"),
        ("/api/indicators?dep=75", StatusCode::NOT_FOUND, "75"),
        ("/api/indicators?region=11", StatusCode::NOT_FOUND, "11"),
        ("/api/indicators?min_population=-1", StatusCode::BAD_REQUEST, "min_population"),
        ("/api/indicators?min_population=abc", StatusCode::BAD_REQUEST, "min_population"),
        ("/api/indicators?replacement=1.5", StatusCode::BAD_REQUEST, "replacement"),
        ("/api/indicators?replacement=-0.1", StatusCode::BAD_REQUEST, "replacement"),
        ("/api/indicators?years=-1", StatusCode::BAD_REQUEST, "years"),
        ("/api/indicators?years=abc", StatusCode::BAD_REQUEST, "years"),
        ("/api/indicators?years=NaN", StatusCode::BAD_REQUEST, "years"),
        ("/api/indicators?horizon=0", StatusCode::BAD_REQUEST, "horizon"),
        ("/api/indicators?format=xml", StatusCode::BAD_REQUEST, "json, csv, geojson"),
        ("/api/indicators/basin", StatusCode::METHOD_NOT_ALLOWED, "POST only"),
    ])
    .await;
}

#[tokio::test]
async fn bad_basins_get_json_errors_with_fitting_statuses() {
    let merged = atlas().atlas.former_communes().first().map(|f| (f.code.clone(), f.successor.clone()));
    let bowtie = json!({"type": "Polygon", "coordinates": [[[2.5, 46.3], [2.7, 46.4], [2.7, 46.3], [2.5, 46.4], [2.5, 46.3]]]});
    let at_sea = json!({"type": "Polygon", "coordinates": [[[-5.0, 46.0], [-4.9, 46.0], [-4.9, 46.1], [-5.0, 46.0]]]});
    let mut cases = vec![
        (json!({"codes": ["03185"], "polygon": at_sea}), "not both".to_string()),
        (json!({"name": "nothing"}), "codes".into()),
        (json!({"codes": []}), "empty".into()),
        (json!({"codes": ["03185", "99999", "abc"]}), "99999: no commune".into()),
        (json!({"codes": ["abc"]}), "not an INSEE commune code".into()),
        (json!({"polygon": bowtie}), "self-intersection".into()),
        (json!({"polygon": at_sea}), "no commune".into()),
        (json!({"polygon": {"type": "Point", "coordinates": [2.6, 46.3]}}), "Polygon".into()),
        (json!({"polygon": {"type": "Polygon", "coordinates": [[[2.6], [2.7, 46.3]]]}}), "position".into()),
        (json!({"codes": "03185"}), "".into()),
        (json!({"codes": ["03185"], "code": "x"}), "unknown field".into()),
        (json!({"codes": ["03185"], "name": "x".repeat(500)}), "name".into()),
    ];
    if let Some((code, successor)) = merged {
        cases.push((json!({"codes": [code]}), format!("merged into {successor}")));
    }
    for (body, says) in cases {
        let a = post_json("/api/indicators/basin", &body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text());
        let err = a.json();
        assert!(err["error"].as_str().is_some_and(|e| e.contains(&says)), "{body}: {err}");
    }
    let both_bad = post_json("/api/indicators/basin", &json!({"codes": ["99999", "abc"]})).await.json();
    let message = both_bad["error"].as_str().unwrap_or("");
    assert!(message.contains("99999") && message.contains("\"abc\""), "each bad code is named: {message}");

    for (content_type, body, status) in [
        ("application/json", "{\"codes\": [", StatusCode::BAD_REQUEST),
        ("application/json", "not json", StatusCode::BAD_REQUEST),
        ("text/plain", "{\"codes\": [\"03185\"]}", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let a = post("/api/indicators/basin", content_type, body).await;
        assert_eq!(a.status, status, "{content_type} {body}: {}", a.text());
        assert!(a.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let query = post("/api/indicators/basin?replacement=2", "application/json", json!({"codes": ["03185"]}).to_string()).await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST, "{}", query.text());
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused_with_413() {
    let codes: Vec<&str> = std::iter::repeat_n("03185", 200_000).collect();
    let body = json!({ "codes": codes }).to_string();
    assert!(body.len() > 1024 * 1024);
    let a = post("/api/indicators/basin", "application/json", body).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert!(a.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn no_answer_holds_nan_or_infinity() {
    for level in ["commune", "epci", "departement", "region"] {
        for format in ["json", "csv"] {
            for params in ["", "&years=0&min_population=0", "&years=1000&replacement=1&horizon=0.001"] {
                let uri = format!("/api/indicators?level={level}&format={format}{params}");
                let a = get(&uri).await;
                assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
                assert_no_nan(&uri, &a.text());
            }
        }
    }
    let a = get("/api/indicators?level=epci&dep=15&format=geojson").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_no_nan("geojson", &a.text());
    let b = post_json("/api/indicators/basin", &json!({"codes": ["03185", "15014"]})).await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text());
    assert_no_nan("basin", &b.text());
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow_and_a_json_body() {
    for (request, allow) in [
        (Request::get("/api/indicators/basin").body(Body::empty()), "POST"),
        (Request::post("/api/indicators").body(Body::empty()), "GET, HEAD"),
    ] {
        let response = send(request.expect("request")).await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()), Some(allow));
        let body: Value = serde_json::from_slice(&response.body).expect("JSON");
        assert!(body["error"].as_str().is_some_and(|e| e.contains(allow)), "{body}");
    }
}
