//! Prometheus metrics at `/metrics` (text exposition format, `prometheus-client`): requests by
//! route template, method and status, their latency, the tile cache (hits, misses, bytes,
//! entries), the atlas (generation, communes, last load time) and the scenarios held.
//! Routes are labelled by their template (`/api/communes/{code}`), never the raw path, so
//! the number of series stays bounded whatever clients ask.

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The server's metrics; request counts are recorded by [`track`], the rest read at scrape.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    tile_hits: Gauge<u64, AtomicU64>,
    tile_misses: Gauge<u64, AtomicU64>,
    tile_bytes: Gauge<u64, AtomicU64>,
    tile_entries: Gauge<u64, AtomicU64>,
    generation: Gauge<u64, AtomicU64>,
    communes: Gauge<u64, AtomicU64>,
    load_seconds: Gauge<f64, AtomicU64>,
    scenarios: Gauge<u64, AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("medatlas");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route template, method and status", requests.clone());
        // 0.5 ms to ~16 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        registry.register("http_request_duration_seconds", "Time to answer a request, by route template", latency.clone());
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::<u64, AtomicU64>::default();
            registry.register(name, help, g.clone());
            g
        };
        let tile_hits = gauge(&mut registry, "tile_cache_hits", "Tile requests answered from the cache since start");
        let tile_misses = gauge(&mut registry, "tile_cache_misses", "Tile requests rendered since start");
        let tile_bytes = gauge(&mut registry, "tile_cache_bytes", "Bytes held by the tile cache");
        let tile_entries = gauge(&mut registry, "tile_cache_entries", "Tiles held by the tile cache");
        let generation = gauge(&mut registry, "atlas_generation", "Atlas generation (0 at start, +1 at each reload)");
        let communes = gauge(&mut registry, "atlas_communes", "Communes of the current atlas");
        let load_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register("atlas_load_seconds", "Seconds the current atlas took to load (0 when unknown)", load_seconds.clone());
        let scenarios = gauge(&mut registry, "scenarios", "Scenarios this instance holds in memory");
        Metrics { registry, requests, latency, tile_hits, tile_misses, tile_bytes, tile_entries, generation, communes, load_seconds, scenarios }
    }
}

impl Metrics {
    /// Records the seconds an atlas took to load (at start, and by each reload).
    pub fn set_load_seconds(&self, seconds: f64) {
        self.load_seconds.set(seconds);
    }

    fn record(&self, route: String, method: String, status: u16, seconds: f64) {
        self.requests.get_or_create(&RequestLabels { route: route.clone(), method, status }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(seconds);
    }
}

/// Middleware (a route layer): counts the request under its route template.
pub(super) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = request.method().to_string();
    let response = next.run(request).await;
    state.metrics().record(route, method, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", summary = "Prometheus metrics", tag = "operations",
    responses((status = 200, description = "Prometheus metrics (OpenMetrics text): requests and latency by route template and status, tile cache, atlas generation and load time, scenarios",
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = inline(super::schemas::Bytes))))]
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let m = state.metrics();
    let (hits, misses) = state.tile_cache().hits_and_misses();
    let (bytes, entries) = state.tile_cache().usage();
    m.tile_hits.set(hits);
    m.tile_misses.set(misses);
    m.tile_bytes.set(bytes);
    m.tile_entries.set(entries as u64);
    let snapshot = state.snapshot();
    m.generation.set(snapshot.generation);
    m.communes.set(snapshot.atlas.communes().len() as u64);
    m.scenarios.set(state.scenarios.len() as u64);
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &m.registry) {
        return super::ApiError::internal(e).into_response();
    }
    let content_type = HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}
