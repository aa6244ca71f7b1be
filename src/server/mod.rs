//! HTTP server (axum). Handlers are thin: they parse, call the atlas, and answer JSON.
//! Every error is JSON with a fitting status; no handler panics on user input.

mod communes;
mod error;
mod extract;
mod indicators;
pub mod metrics;
mod nearest;
mod openapi;
mod panorama;
mod perimeter;
mod planner;
pub mod prewarm;
mod projection;
pub mod reload;
mod routes;
mod schemas;
pub mod scenario_store;
mod search;
mod state;
mod tiles;
pub mod web;

pub use error::ApiError;
pub use routes::router;
pub use state::{AppState, DEFAULT_TILE_CACHE_BYTES, Snapshot};
