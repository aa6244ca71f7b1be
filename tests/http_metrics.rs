//! `/metrics` counts a known sequence of requests exactly — by route template, method and
//! status — with the tile cache's hits and misses and the atlas's generation. (The text's
//! format is checked by the reference client's OpenMetrics parser in
//! tests/python/test_metrics.py; the samples are read here line by line.)

mod common;

use axum::http::StatusCode;
use medatlas::atlas::{Atlas, LoadConfig};
use medatlas::server::AppState;
use std::collections::HashMap;

fn cantal() -> AppState {
    let config = LoadConfig { departments: vec!["15".into()], ..LoadConfig::default() };
    AppState::new(Atlas::load(&config, &|_, _| {}).expect("Cantal loads"))
}

/// `name{k="v",…} value` lines: name, labels, value.
type Sample = (String, HashMap<String, String>, f64);

async fn scrape(state: &AppState) -> Vec<Sample> {
    let answer = common::get(state, "/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type.starts_with("application/openmetrics-text"), "{}", answer.content_type);
    let text = answer.text();
    assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics text ends with # EOF");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a value");
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').expect("k=v");
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            (name.to_string(), labels, value.parse().expect("a number"))
        })
        .collect()
}

fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples.iter().find(|(n, l, _)| n == metric && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))).map(|s| s.2)
}

#[tokio::test]
async fn a_known_sequence_of_requests_is_counted_exactly() {
    let state = cantal();
    for _ in 0..3 {
        assert_eq!(common::get(&state, "/api/communes/15014").await.status, StatusCode::OK);
    }
    assert_eq!(common::get(&state, "/api/communes/15999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(common::get(&state, "/api/communes/abc").await.status, StatusCode::BAD_REQUEST);
    // The same tile twice: rendered once, then from the cache.
    for _ in 0..2 {
        assert_eq!(common::get(&state, "/tiles/communes/9/259/184.mvt").await.status, StatusCode::OK);
    }
    let s = scrape(&state).await;
    let requests = |route: &str, status: &str| value(&s, "medatlas_http_requests_total", &[("route", route), ("method", "GET"), ("status", status)]);
    assert_eq!(requests("/api/communes/{code}", "200"), Some(3.0));
    assert_eq!(requests("/api/communes/{code}", "404"), Some(1.0));
    assert_eq!(requests("/api/communes/{code}", "400"), Some(1.0));
    assert_eq!(requests("/tiles/{layers}/{z}/{x}/{y}", "200"), Some(2.0));
    // No series per raw path: the template only.
    assert!(s.iter().all(|(_, l, _)| l.get("route").is_none_or(|r| !r.contains("15014"))));
    // Latency: one observation per request of the route.
    let count = value(&s, "medatlas_http_request_duration_seconds_count", &[("route", "/api/communes/{code}")]);
    assert_eq!(count, Some(5.0));
    assert_eq!(value(&s, "medatlas_http_request_duration_seconds_bucket", &[("route", "/api/communes/{code}"), ("le", "+Inf")]), Some(5.0));
    assert_eq!(value(&s, "medatlas_tile_cache_hits", &[]), Some(1.0));
    assert_eq!(value(&s, "medatlas_tile_cache_misses", &[]), Some(1.0));
    assert!(value(&s, "medatlas_tile_cache_bytes", &[]).is_some_and(|b| b > 0.0));
    assert_eq!(value(&s, "medatlas_atlas_generation", &[]), Some(0.0));
    assert_eq!(value(&s, "medatlas_atlas_communes", &[]), Some(state.snapshot().atlas.communes().len() as f64));
    // The scrape itself is counted from the next one on.
    let again = scrape(&state).await;
    assert_eq!(value(&again, "medatlas_http_requests_total", &[("route", "/metrics"), ("status", "200")]), Some(1.0));
    // A swap shows in the generation.
    state.swap(Atlas::load(&LoadConfig { departments: vec!["15".into()], ..LoadConfig::default() }, &|_, _| {}).unwrap());
    assert_eq!(value(&scrape(&state).await, "medatlas_atlas_generation", &[]), Some(1.0));
}
