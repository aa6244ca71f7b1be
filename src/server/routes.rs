//! The router: every route of the API, the tiles and the viewer, and the handler answering it.
//! Each route is described in `/openapi.json` by the annotation above its handler
//! (`server/openapi.rs` lists them; `tests/http_openapi.rs` fails on a route left out).

use super::{ApiError, AppState, communes, indicators, metrics, nearest, openapi, panorama, perimeter, planner, projection, reload, search, tiles, web};
use axum::Router;
use axum::routing::get;

/// Longest a request may take before it is answered 503 (a national scenario's impact takes a
/// few seconds; nothing legitimate takes this long).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Most requests handled at once (a burst of readers queues instead of exhausting memory
/// with hundreds of low-zoom national tiles rendered together).
pub const MAX_IN_FLIGHT: usize = 256;

/// The application: all routes over `state`, with permissive CORS and request tracing.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(communes::health))
        .route("/api/meta", get(communes::meta))
        .route("/api/access/compare-official", get(communes::compare_official))
        .route("/api/communes/{code}", get(communes::commune))
        .route("/api/locate", get(communes::locate))
        .route("/api/search", get(search::search))
        .route("/api/departements/{code}", get(search::departement))
        .route("/api/communes/{code}/nearest-msp", get(nearest::from_commune))
        .route("/api/communes/{code}/indicators", get(indicators::commune))
        .route("/api/nearest-msp", get(nearest::from_point))
        .route("/api/indicators", get(indicators::indicators).fallback(indicators::get_only))
        .route(
            "/api/indicators/basin",
            axum::routing::post(perimeter::basin)
                .fallback(indicators::post_only)
                .layer(axum::extract::DefaultBodyLimit::max(indicators::BASIN_BODY_LIMIT)),
        )
        .route("/api/perimeter", get(perimeter::perimeter).fallback(perimeter::get_only))
        .route(
            "/api/scenarios",
            axum::routing::post(planner::create)
                .fallback(planner::post_only)
                .layer(axum::extract::DefaultBodyLimit::max(planner::SCENARIO_BODY_LIMIT)),
        )
        .route("/api/scenarios/{id}", get(planner::get))
        .route("/api/scenarios/{id}/impact", get(planner::impact))
        .route("/api/suggest", get(planner::suggest))
        .route("/api/projection", get(projection::projection))
        .route("/api/panorama", get(panorama::panorama))
        .route("/admin/reload", axum::routing::post(reload::reload).fallback(reload::post_only))
        .route("/", get(web::index))
        .route("/panorama", get(web::panorama))
        .route("/panorama/{name}", get(web::panorama_preset))
        .route("/styles/{name}", get(web::style))
        .nest_service("/web", tower_http::services::ServeDir::new(web::web_dir()))
        .route("/catalog", get(tiles::catalog))
        .route("/tiles/{name}", get(tiles::tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tiles::tile))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(web::docs))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(tower_http::cors::CorsLayer::permissive())
        // A request that takes longer is answered 503 rather than held forever.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, REQUEST_TIMEOUT))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
