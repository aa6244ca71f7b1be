//! Refresh without restart (`POST /admin/reload`): the token is required, requests keep being
//! answered while the new atlas loads, the new data (and never the old generation's tiles) is
//! served after the swap, and a broken or shrunken source keeps the current atlas and says why.
//! The atlas: Cantal without the default health data, its GP counts from one CSV file that the
//! test rewrites between reloads.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use medatlas::atlas::{Atlas, LoadConfig};
use medatlas::ingest::{Reader, generic_csv::GenericCsvReader};
use medatlas::server::AppState;
use medatlas::server::reload::{AtlasLoader, Reloader};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const TOKEN: &str = "s3cret-for-tests";

/// Aurillac's town hall tile at z9.
fn aurillac_tile() -> String {
    let (lon, lat) = (2.4447_f64, 44.9264_f64);
    let n = 512.0;
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.to_radians().tan() + 1.0 / lat.to_radians().cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    format!("/tiles/communes/9/{x}/{y}.mvt")
}

fn write_gps(path: &Path, aurillac: u32, others: u32) {
    std::fs::write(path, format!("code_commune,gp_count\n15014,{aurillac}\n15187,{others}\n15120,{others}\n")).unwrap();
}

fn state(csv: &Path, token: Option<&str>) -> AppState {
    let config = LoadConfig { departments: vec!["15".into()], no_default_health: true, ..LoadConfig::default() }
        .with_file(GenericCsvReader::KIND, csv.to_path_buf());
    let atlas = Atlas::load(&config, &|_, _| {}).expect("Cantal loads");
    let loader: AtlasLoader = Arc::new(move || Atlas::load(&config, &|_, _| {}));
    AppState::new(atlas).with_reloader(Reloader::new(loader, token.map(str::to_string), 0.05))
}

async fn reload(state: &AppState, token: Option<&str>) -> (StatusCode, Value, Option<String>) {
    let mut request = Request::post("/admin/reload");
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let answer = common::send(state, request.body(Body::empty()).unwrap()).await;
    let challenge = answer.headers.get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_string());
    (answer.status, answer.json(), challenge)
}

async fn aurillac_gps(state: &AppState) -> u64 {
    let (status, body) = common::get_json(state, "/api/communes/15014").await;
    assert_eq!(status, StatusCode::OK);
    body["gp"]["gp"].as_u64().expect("Aurillac's GPs")
}

/// Aurillac's `gp` in its z9 tile.
async fn aurillac_tile_gps(state: &AppState) -> u64 {
    use geozero::mvt::{Message, Tile};
    let answer = common::get(state, &aurillac_tile()).await;
    assert_eq!(answer.status, StatusCode::OK);
    let tile = Tile::decode(answer.body.as_slice()).expect("valid protobuf");
    let layer = tile.layers.iter().find(|l| l.name == "communes").expect("communes layer");
    let feature = layer
        .features
        .iter()
        .find(|f| f.tags.chunks(2).any(|kv| layer.keys[kv[0] as usize] == "code" && layer.values[kv[1] as usize].string_value.as_deref() == Some("15014")))
        .expect("Aurillac in its tile");
    let gp = feature.tags.chunks(2).find(|kv| layer.keys[kv[0] as usize] == "gp").expect("a gp attribute");
    layer.values[gp[1] as usize].uint_value.expect("a count")
}

#[tokio::test]
async fn reload_needs_the_token_and_is_refused_without_one_configured() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gp.csv");
    write_gps(&csv, 7, 2);
    let s = state(&csv, Some(TOKEN));
    for token in [None, Some("wrong"), Some("s3cret-for-test")] {
        let (status, body, challenge) = reload(&s, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}: {body}");
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert!(body["error"].as_str().unwrap().contains("admin token"), "{body}");
    }
    assert_eq!(s.snapshot().generation, 0, "nothing reloaded");
    let (status, body, _) = reload(&state(&csv, None), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let get = common::get(&s, "/admin/reload").await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_never_fail_during_a_reload_and_the_new_data_is_served_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gp.csv");
    write_gps(&csv, 7, 2);
    let s = state(&csv, Some(TOKEN));
    assert_eq!((aurillac_gps(&s).await, aurillac_tile_gps(&s).await), (7, 7));

    // Readers of the commune and of its tile, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut readers = Vec::new();
    for k in 0..4 {
        let (s, stop, served, failed) = (s.clone(), stop.clone(), served.clone(), failed.clone());
        readers.push(tokio::spawn(async move {
            let uri = if k % 2 == 0 { "/api/communes/15014".to_string() } else { aurillac_tile() };
            while !stop.load(Ordering::Relaxed) {
                let answer = common::get(&s, &uri).await;
                let counter = if answer.status == StatusCode::OK { &served } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }));
    }
    write_gps(&csv, 9, 2);
    let (status, body, _) = reload(&s, Some(TOKEN)).await;
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.await.unwrap();
    }
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(failed.load(Ordering::Relaxed), 0, "a request failed during the reload");
    assert!(served.load(Ordering::Relaxed) > 0);
    assert_eq!((body["before"]["generation"].as_u64(), body["after"]["generation"].as_u64()), (Some(0), Some(1)));
    assert_eq!((body["before"]["gps"].as_u64(), body["after"]["gps"].as_u64()), (Some(11), Some(13)));
    assert!(body["after"]["sources"].as_array().unwrap().iter().any(|r| r["source"].as_str().unwrap().ends_with("gp.csv")));
    // The new data, in the API and in the tiles (the cached tile of generation 0 is not served).
    assert_eq!((aurillac_gps(&s).await, aurillac_tile_gps(&s).await), (9, 9));
}

#[tokio::test]
async fn a_broken_or_shrunken_source_keeps_the_current_atlas_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gp.csv");
    write_gps(&csv, 7, 2);
    let s = state(&csv, Some(TOKEN));
    let _ = aurillac_tile_gps(&s).await; // cached under generation 0

    // The file is gone: an error naming it; the current atlas stays.
    std::fs::remove_file(&csv).unwrap();
    let (status, body, _) = reload(&s, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("gp.csv") && error.contains("kept"), "{error}");

    // Most GPs gone (11 → 1): more than the 5 % allowed.
    write_gps(&csv, 1, 0);
    let (status, body, _) = reload(&s, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("1 GPs against 11") && error.contains("kept"), "{error}");

    assert_eq!(s.snapshot().generation, 0);
    assert_eq!((aurillac_gps(&s).await, aurillac_tile_gps(&s).await), (7, 7));
}

#[tokio::test]
async fn one_reload_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gp.csv");
    write_gps(&csv, 7, 2);
    let s = state(&csv, Some(TOKEN));
    let ((a, _, _), (b, body, _)) = tokio::join!(reload(&s, Some(TOKEN)), reload(&s, Some(TOKEN)));
    assert_eq!((a, b), (StatusCode::OK, StatusCode::CONFLICT), "{body}");
    assert_eq!(s.snapshot().generation, 1);
}

#[tokio::test]
async fn the_low_zooms_are_rendered_ahead_and_served_from_the_cache_after_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gp.csv");
    write_gps(&csv, 7, 2);
    let s = state(&csv, Some(TOKEN)).with_prewarm(6);
    let warmed = medatlas::server::prewarm::prewarm(s.clone(), 6).await;
    assert!(warmed >= 7, "at least one tile per zoom: {warmed}");
    // The viewer's request (its layer set, brotli as a browser asks) is a cache hit.
    let uri = aurillac_tile().replace("/tiles/communes/9/", "/tiles/communes,departements,msp/9/");
    let z6 = {
        let parts: Vec<u32> = uri.trim_end_matches(".mvt").rsplit('/').take(2).map(|p| p.parse().unwrap()).collect();
        format!("/tiles/communes,departements,msp/6/{}/{}.mvt", parts[1] / 8, parts[0] / 8)
    };
    let before = s.tile_cache().hits_and_misses();
    let answer = common::get_with(&s, &z6, &[(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")]).await;
    assert_eq!(answer.status, StatusCode::OK, "{z6}");
    let after = s.tile_cache().hits_and_misses();
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 0), "{z6} was rendered ahead");
    // After a reload the new generation is rendered ahead too (in the background).
    write_gps(&csv, 8, 2);
    let (status, body, _) = reload(&s, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Wait (without asking for tiles, which would render them) until the cache holds the new
    // generation's tiles, then the viewer's request is a hit again. The old generation's were
    // dropped at the swap: the cache holds as many tiles as one prewarm renders.
    let mut waited = 0;
    while s.tile_cache().usage().1 < warmed {
        waited += 1;
        assert!(waited < 600, "generation 1 was not rendered ahead: {} tiles cached", s.tile_cache().usage().1);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(s.tile_cache().usage().1, warmed, "generation 0's tiles are still held");
    let before = s.tile_cache().hits_and_misses();
    let _ = common::get_with(&s, &z6, &[(header::ACCEPT_ENCODING, "br")]).await;
    let after = s.tile_cache().hits_and_misses();
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 0), "generation 1's {z6} was rendered ahead");
}
