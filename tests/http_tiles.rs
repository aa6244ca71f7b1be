//! Tile endpoints over the embedded default, in-process: statuses, JSON errors on bad input,
//! content coding, ETag/304, TileJSON and catalog.

mod common;

use axum::http::{HeaderMap, StatusCode, header};
use medatlas::atlas::Atlas;
use medatlas::server::AppState;
use serde_json::Value;
use std::io::Read;
use std::sync::OnceLock;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

async fn get_with(uri: &str, headers: &[(header::HeaderName, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let answer = common::get_with(&state(), uri, headers).await;
    (answer.status, answer.headers, answer.body)
}

const MONTLUCON_Z9: &str = "/tiles/communes/9/259/181.mvt";

#[tokio::test]
async fn bad_tile_requests_get_json_errors() {
    let hundred = vec!["communes"; 100].join(",");
    let cases = [
        ("/tiles/communes/23/0/0.mvt".to_string(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/99/0/0.mvt".into(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/5/-1/3.mvt".into(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/5/3/-1.mvt".into(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/five/3/1.mvt".into(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/5/3.5/1.mvt".into(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/5/3/1.png".into(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/5/3/1".into(), StatusCode::BAD_REQUEST),
        ("/tiles/communes/5/32/1.mvt".into(), StatusCode::NOT_FOUND),
        ("/tiles/communes/0/0/1.mvt".into(), StatusCode::NOT_FOUND),
        ("/tiles/hospitals/5/16/11.mvt".into(), StatusCode::NOT_FOUND),
        ("/tiles/communes,hospitals/5/16/11.mvt".into(), StatusCode::NOT_FOUND),
        ("/tiles/communes,communes/5/16/11.mvt".into(), StatusCode::BAD_REQUEST),
        (format!("/tiles/{hundred}/5/16/11.mvt"), StatusCode::BAD_REQUEST),
        (format!("/tiles/{hundred}.json"), StatusCode::BAD_REQUEST),
        ("/tiles/hospitals.json".into(), StatusCode::NOT_FOUND),
        ("/tiles/communes.xml".into(), StatusCode::NOT_FOUND),
        ("/tiles/communes/5/16".into(), StatusCode::NOT_FOUND),
    ];
    for (uri, expected) in cases {
        let (status, headers, body) = get_with(&uri, &[]).await;
        assert_eq!(status, expected, "{uri}");
        assert_eq!(headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap()), Some("application/json"), "{uri}");
        let json: Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{uri}: not JSON: {e}"));
        assert!(json["error"].as_str().is_some_and(|m| !m.is_empty()), "{uri}: {json}");
    }
}

#[tokio::test]
async fn tiles_are_compressed_as_asked_and_equal_once_decoded() {
    let (s_plain, h_plain, plain) = get_with(MONTLUCON_Z9, &[]).await;
    assert_eq!(s_plain, StatusCode::OK);
    assert_eq!(h_plain.get(header::CONTENT_TYPE).unwrap(), "application/vnd.mapbox-vector-tile");
    assert!(h_plain.get(header::CONTENT_ENCODING).is_none());
    let (_, h_gz, gz) = get_with(MONTLUCON_Z9, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(h_gz.get(header::CONTENT_ENCODING).unwrap(), "gzip");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain);
    let (_, h_br, br) = get_with(MONTLUCON_Z9, &[(header::ACCEPT_ENCODING, "gzip, deflate, br")]).await;
    assert_eq!(h_br.get(header::CONTENT_ENCODING).unwrap(), "br");
    let mut unbr = Vec::new();
    brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut unbr).unwrap();
    assert_eq!(unbr, plain);
    assert!(br.len() < plain.len() && gz.len() < plain.len());
    // Each representation has its own strong ETag; all vary on Accept-Encoding.
    let tags: Vec<&str> = [&h_plain, &h_gz, &h_br].iter().map(|h| h.get(header::ETAG).unwrap().to_str().unwrap()).collect();
    assert!(tags.iter().all(|t| t.starts_with('"') && !t.starts_with("W/")));
    assert!(tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2]);
    assert_eq!(h_gz.get(header::VARY).unwrap(), "accept-encoding");
    assert!(h_gz.get(header::CACHE_CONTROL).unwrap().to_str().unwrap().contains("max-age"));
}

#[tokio::test]
async fn if_none_match_gives_304_and_a_stale_etag_gives_the_tile() {
    let (_, h, _) = get_with(MONTLUCON_Z9, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    let etag = h.get(header::ETAG).unwrap().to_str().unwrap().to_string();
    let (status, h304, body) = get_with(MONTLUCON_Z9, &[(header::ACCEPT_ENCODING, "gzip"), (header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(h304.get(header::ETAG).unwrap().to_str().unwrap(), etag);
    let list = format!("\"0000\", W/{etag}");
    assert_eq!(get_with(MONTLUCON_Z9, &[(header::ACCEPT_ENCODING, "gzip"), (header::IF_NONE_MATCH, &list)]).await.0, StatusCode::NOT_MODIFIED);
    // The gzip ETag does not validate the identity representation.
    assert_eq!(get_with(MONTLUCON_Z9, &[(header::IF_NONE_MATCH, &etag)]).await.0, StatusCode::OK);
    assert_eq!(get_with(MONTLUCON_Z9, &[(header::IF_NONE_MATCH, "\"stale\"")]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn empty_tiles_get_204_and_layer_lists_combine() {
    let (status, _, body) = get_with("/tiles/communes/12/0/0.mvt", &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_empty());
    let (status, _, both) = get_with("/tiles/communes,msp/9/259/181.pbf", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, communes) = get_with(MONTLUCON_Z9, &[]).await;
    assert!(both.len() > communes.len(), "two layers weigh more than one");
}

#[tokio::test]
async fn tilejson_lists_layers_fields_and_absolute_tile_urls() {
    let (status, _, body) = get_with("/tiles/communes,msp.json", &[(header::HOST, "127.0.0.1:8080")]).await;
    assert_eq!(status, StatusCode::OK);
    let tj: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["tiles"][0], "http://127.0.0.1:8080/tiles/communes,msp/{z}/{x}/{y}.mvt");
    assert_eq!(tj["minzoom"], 0);
    assert_eq!(tj["maxzoom"], 14);
    let b: Vec<f64> = tj["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(b[0] > 1.0 && b[0] < 3.0 && b[2] > 4.0 && b[2] < 5.0 && b[1] > 44.0 && b[3] < 47.5, "Auvergne bounds: {b:?}");
    let layers = tj["vector_layers"].as_array().unwrap();
    assert_eq!(layers.iter().map(|l| l["id"].as_str().unwrap()).collect::<Vec<_>>(), vec!["communes", "msp"]);
    assert_eq!(layers[0]["fields"]["gp_per_10k"], "Number");
    assert_eq!(layers[0]["fields"]["zoning"], "String");
    assert_eq!(layers[0]["fields"]["synthetic"], "Boolean");
    assert_eq!(layers[0]["fields"]["gp_near_retirement_estimated"], "Boolean");
    let attribution = tj["attribution"].as_str().unwrap();
    assert!(attribution.contains("SanteScope 2026") && attribution.contains("estimated"), "{attribution}");
    assert!(!attribution.to_lowercase().contains("synthetic"), "{attribution}");

    let (status, _, body) = get_with("/catalog", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let cat: Value = serde_json::from_slice(&body).unwrap();
    for l in ["communes", "departements", "msp", "epci"] {
        assert_eq!(cat["tiles"][l]["tilejson"], format!("/tiles/{l}.json"));
    }
    assert!(cat["tiles"]["epci"]["fields"].as_array().unwrap().iter().any(|f| f == "zip_share"));
}

/// The EPCI layer: in the TileJSON with its fields, and served as tiles like the others.
#[tokio::test]
async fn the_epci_layer_is_listed_and_served() {
    let (status, _, body) = get_with("/tiles/epci.json", &[(header::HOST, "127.0.0.1:8080")]).await;
    assert_eq!(status, StatusCode::OK);
    let tj: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(tj["tiles"][0], "http://127.0.0.1:8080/tiles/epci/{z}/{x}/{y}.mvt");
    let layer = &tj["vector_layers"][0];
    assert_eq!(layer["id"], "epci");
    for (field, kind) in [("code", "String"), ("name", "String"), ("gp_per_10k", "Number"), ("apl", "Number"), ("apl_official", "Number"), ("gp_near_retirement_estimated", "Boolean"), ("zip_share", "Number"), ("zac_communes", "Number")] {
        assert_eq!(layer["fields"][field], kind, "{field}");
    }
    let (status, h, body) = get_with("/tiles/epci,msp/9/259/181.mvt", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "application/vnd.mapbox-vector-tile");
    use geozero::mvt::{Message, Tile};
    let tile = Tile::decode(body.as_slice()).expect("valid protobuf");
    let names: Vec<&str> = tile.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, vec!["epci", "msp"]);
    let montlucon_epci = state().snapshot().atlas.commune("03185").and_then(|c| c.epci.clone()).expect("an EPCI");
    let epci = &tile.layers[0];
    let code_key = epci.keys.iter().position(|k| k == "code").expect("code key") as u32;
    let codes: Vec<&str> = epci
        .features
        .iter()
        .filter_map(|f| f.tags.chunks(2).find(|kv| kv[0] == code_key).and_then(|kv| epci.values[kv[1] as usize].string_value.as_deref()))
        .collect();
    assert!(codes.contains(&montlucon_epci.as_str()), "{codes:?}");
}

#[tokio::test]
async fn a_new_atlas_is_not_served_from_the_old_cache() {
    use medatlas::atlas::LoadConfig;
    let state = AppState::new(Atlas::load_default().unwrap());
    let etag = |state: AppState| async move {
        let r = common::get(&state, MONTLUCON_Z9).await;
        r.headers.get(header::ETAG).unwrap().to_str().unwrap().to_string()
    };
    let before = etag(state.clone()).await;
    assert_eq!(etag(state.clone()).await, before, "same atlas, same tile");
    // The synthetic model (an explicit option) instead of the real counts: other GP counts,
    // so other attributes.
    let other = Atlas::load(&LoadConfig { synthetic_gp_seed: Some(7), ..Default::default() }, &|_, _| {}).unwrap();
    state.swap(other);
    assert_ne!(etag(state.clone()).await, before);
}

#[tokio::test]
async fn montlucon_tile_carries_its_real_gps_and_its_estimated_near_retirement_count() {
    use geozero::mvt::{Message, Tile};
    let (status, _, body) = get_with(MONTLUCON_Z9, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let tile = Tile::decode(body.as_slice()).expect("valid protobuf");
    let layer = tile.layers.iter().find(|l| l.name == "communes").expect("communes layer");
    let props = |f: &geozero::mvt::tile::Feature| -> std::collections::HashMap<String, geozero::mvt::tile::Value> {
        f.tags.chunks(2).map(|kv| (layer.keys[kv[0] as usize].clone(), layer.values[kv[1] as usize].clone())).collect()
    };
    let montlucon = layer
        .features
        .iter()
        .map(props)
        .find(|p| p.get("code").and_then(|v| v.string_value.as_deref()) == Some("03185"))
        .expect("Montluçon in its z9 tile");
    // 55 GPs: geodata/santescope_auvergne_2026.csv line 184. × 0.47418335089567965 (Allier,
    // geodata/medecins_55plus_2025.csv line 4) = 26.080…: 2 decimals in tiles.
    assert_eq!(montlucon["gp"].uint_value, Some(55));
    let near = montlucon["gp_near_retirement"].double_value.expect("a fraction");
    assert!((near - 55.0 * 0.47418335089567965).abs() <= 0.005, "{near}");
    assert_eq!(montlucon["gp_near_retirement_estimated"].bool_value, Some(true));
    assert_eq!(montlucon["synthetic"].bool_value, Some(false));
}
