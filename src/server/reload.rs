//! Refreshing the data without a restart: `POST /admin/reload` (with the admin token) or
//! SIGHUP rebuilds the atlas from the server's sources in the background — the config file is
//! read again, and so are the files it names — while requests keep being served by the current
//! one; the new atlas is checked against the current one (it may not lose more than a share of
//! its communes or GPs: a truncated file must not replace a good atlas), then swapped in one
//! step ([`AppState::swap`]). Tile caches and scenario baselines follow the generation: cached
//! tiles of the old atlas are never served after the swap (their keys carry the generation).

use super::{ApiError, AppState};
use crate::atlas::Atlas;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// Builds a fresh atlas from the server's sources (re-reading them).
pub type AtlasLoader = Arc<dyn Fn() -> crate::error::Result<Atlas> + Send + Sync>;

/// Largest share of communes or GPs a reloaded atlas may lose by default.
pub const DEFAULT_MAX_LOSS: f64 = 0.05;

/// How the server reloads its atlas, and who may ask.
pub struct Reloader {
    load: AtlasLoader,
    /// The bearer token of `POST /admin/reload`; `None`: the endpoint refuses every request.
    token: Option<String>,
    max_loss: f64,
    running: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader").field("token", &self.token.as_ref().map(|_| "…")).field("max_loss", &self.max_loss).finish()
    }
}

/// What an atlas holds, for the reload's answer and its loss check.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AtlasCounts {
    pub generation: u64,
    pub name: String,
    pub communes: usize,
    pub gps: u64,
    pub sites: usize,
    /// Every source with the rows it used and rejected.
    pub sources: Vec<SourceCounts>,
}

/// One import report, in short.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SourceCounts {
    pub source: String,
    pub format: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: usize,
}

/// A reload that swapped the atlas.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReloadOutcome {
    pub before: AtlasCounts,
    pub after: AtlasCounts,
    /// Seconds the new atlas took to load.
    pub load_seconds: f64,
}

/// Why a reload kept the current atlas.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReloadError {
    #[error("a reload is already running")]
    Busy,
    #[error("the new atlas could not be loaded, the current one is kept (generation {generation}): {reason}")]
    Load { generation: u64, reason: String },
    #[error(
        "the new atlas has {after} {what} against {before} now (a loss of {:.1} %, more than the {:.1} % allowed): the current one is kept (generation {generation})",
        100.0 * (1.0 - *after as f64 / *before as f64), 100.0 * max_loss
    )]
    Loss { what: &'static str, before: u64, after: u64, max_loss: f64, generation: u64 },
}

fn counts(atlas: &Atlas, generation: u64) -> AtlasCounts {
    AtlasCounts {
        generation,
        name: atlas.meta.name.clone(),
        communes: atlas.communes().len(),
        gps: atlas.communes().iter().filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum(),
        sites: atlas.sites().len(),
        sources: atlas
            .reports()
            .iter()
            .map(|r| SourceCounts {
                source: r.source.clone(),
                format: r.format.clone(),
                rows_read: r.rows_read,
                rows_used: r.rows_used,
                rows_rejected: r.rejected.len(),
            })
            .collect(),
    }
}

impl Reloader {
    /// A reloader calling `load`; `token` guards `POST /admin/reload` (`None`: refused);
    /// `max_loss` (0–1) is the share of communes or GPs a new atlas may lose.
    pub fn new(load: AtlasLoader, token: Option<String>, max_loss: f64) -> Reloader {
        let token = token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        Reloader { load, token, max_loss: max_loss.clamp(0.0, 1.0), running: tokio::sync::Mutex::new(()) }
    }

    /// Rebuilds, checks and swaps the atlas of `state`. One reload at a time.
    pub async fn run(&self, state: &AppState) -> Result<ReloadOutcome, ReloadError> {
        let _one_at_a_time = self.running.try_lock().map_err(|_| ReloadError::Busy)?;
        let current = state.snapshot();
        let before = counts(&current.atlas, current.generation);
        let started = Instant::now();
        let load = self.load.clone();
        let loaded = tokio::task::spawn_blocking(move || load()).await;
        let atlas = match loaded {
            Ok(Ok(atlas)) => atlas,
            Ok(Err(e)) => return Err(ReloadError::Load { generation: before.generation, reason: e.to_string() }),
            Err(e) => return Err(ReloadError::Load { generation: before.generation, reason: e.to_string() }),
        };
        let load_seconds = started.elapsed().as_secs_f64();
        let fresh = counts(&atlas, before.generation + 1);
        for (what, b, a) in [("communes", before.communes as u64, fresh.communes as u64), ("GPs", before.gps, fresh.gps)] {
            if b > 0 && (a as f64) < (b as f64) * (1.0 - self.max_loss) {
                return Err(ReloadError::Loss { what, before: b, after: a, max_loss: self.max_loss, generation: before.generation });
            }
        }
        let generation = state.swap(atlas);
        state.metrics().set_load_seconds(load_seconds);
        if let Some(zoom) = state.prewarm_zoom() {
            tokio::spawn(super::prewarm::prewarm(state.clone(), zoom));
        }
        Ok(ReloadOutcome { before, after: AtlasCounts { generation, ..fresh }, load_seconds })
    }

    /// Whether `headers` carry the admin token (`Authorization: Bearer <token>`).
    fn authorize(&self, headers: &HeaderMap) -> Result<(), Response> {
        let Some(token) = &self.token else {
            let e = ApiError::new(StatusCode::FORBIDDEN, "reload is disabled: no admin token is configured (MEDATLAS_ADMIN_TOKEN or --admin-token-file)");
            return Err(e.into_response());
        };
        let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if given.is_some_and(|g| same_secret(g.trim().as_bytes(), token.as_bytes())) {
            return Ok(());
        }
        let e = ApiError::new(StatusCode::UNAUTHORIZED, "POST /admin/reload needs the admin token: Authorization: Bearer <token>");
        Err(([(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))], e).into_response())
    }
}

/// Compares two secrets in a time that does not depend on where they first differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `POST /admin/reload`.
#[utoipa::path(post, path = "/admin/reload", summary = "Reload the atlas from its sources", tag = "operations",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The atlas was rebuilt from the current files, checked and swapped: counts per source before and after, the new generation", body = ReloadOutcome),
        (status = 401, description = "No admin token, or a wrong one (with WWW-Authenticate: Bearer)", body = super::error::ErrorBody),
        (status = 403, description = "Reload is disabled: no admin token is configured", body = super::error::ErrorBody),
        (status = 404, description = "This server was started without a way to reload its atlas", body = super::error::ErrorBody),
        (status = 405, description = "Another method than POST on this path (with Allow)", body = super::error::ErrorBody),
        (status = 409, description = "A reload is already running", body = super::error::ErrorBody),
        (status = 422, description = "The new atlas could not be loaded, or lost too many communes or GPs: the current one is kept, and the answer says why", body = super::error::ErrorBody),
    ))]
pub(super) async fn reload(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(reloader) = state.reloader() else {
        return ApiError::not_found("this server was started without a way to reload its atlas").into_response();
    };
    if let Err(refused) = reloader.authorize(&headers) {
        return refused;
    }
    match reloader.run(&state).await {
        Ok(outcome) => {
            tracing::info!(generation = outcome.after.generation, seconds = outcome.load_seconds, "atlas reloaded");
            Json(outcome).into_response()
        }
        Err(e @ ReloadError::Busy) => ApiError::new(StatusCode::CONFLICT, e.to_string()).into_response(),
        Err(e) => {
            tracing::warn!("reload refused: {e}");
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response()
        }
    }
}

/// Any method but POST on `/admin/reload`.
pub(super) async fn post_only() -> Response {
    super::error::method_not_allowed("POST", "/admin/reload")
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }
}
