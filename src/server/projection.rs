//! `GET /api/projection?years=5&horizon=10&replacement=0.3[&dep=03][&rows=changed|all|crossing|none][&limit=N]`:
//! each commune's APL now and in N years after the near-retirement departures, the communes
//! crossing 2.5 (and today's ZAC among them), per-département summaries, and the assumptions.
//! The handler checks and serialises; `analysis::projection` computes (once per parameters,
//! kept by the snapshot).

use super::extract::ApiQuery;
use super::{ApiError, AppState};
use crate::analysis::projection::{CommuneProjection, ProjectionSpec};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

/// Rows listed by default: more than the embedded default's 1,287 communes, a few hundred kB
/// of JSON; a national atlas lists its largest losses first and says how many it left out.
pub const DEFAULT_ROW_LIMIT: usize = 2_000;
/// Most rows one answer lists.
pub const MAX_ROW_LIMIT: usize = 50_000;

/// Query of `GET /api/projection`; strings, so that a bad value gets our message.
#[derive(Debug, Deserialize)]
pub(super) struct ProjectionQuery {
    years: Option<String>,
    horizon: Option<String>,
    replacement: Option<String>,
    dep: Option<String>,
    rows: Option<String>,
    limit: Option<String>,
}

/// Which communes the answer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Those whose APL changes, largest loss first (the default).
    Changed,
    /// Every commune, in atlas order.
    All,
    /// Those crossing 2.5.
    Crossing,
    /// None (summaries only).
    None,
}

impl Rows {
    fn parse(s: &str) -> Option<Rows> {
        match s {
            "changed" => Some(Rows::Changed),
            "all" => Some(Rows::All),
            "crossing" => Some(Rows::Crossing),
            "none" => Some(Rows::None),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Rows::Changed => "changed",
            Rows::All => "all",
            Rows::Crossing => "crossing",
            Rows::None => "none",
        }
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn number(v: &Option<String>, name: &str, default: f64) -> Result<f64, ApiError> {
    match given(v) {
        None => Ok(default),
        Some(s) => s.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| ApiError::bad_request(format!("{name}={s:?} is not a number"))),
    }
}

/// The projection's parameters of a query (defaults: 5 years, horizon 10, replacement 0), checked.
fn spec(q: &ProjectionQuery) -> Result<ProjectionSpec, ApiError> {
    let d = ProjectionSpec::default();
    let spec = ProjectionSpec {
        years: number(&q.years, "years", d.years)?,
        horizon: number(&q.horizon, "horizon", d.horizon)?,
        replacement: number(&q.replacement, "replacement", d.replacement)?,
    };
    super::state::projection_params(&spec)?;
    Ok(spec)
}

/// `GET /api/projection`.
#[utoipa::path(get, path = "/api/projection", summary = "Access in N years after retirements", tag = "indicators",
    params(
        ("years" = Option<f64>, Query, description = "Years ahead (default 5)", minimum = 0, maximum = 30, example = 5),
        ("horizon" = Option<f64>, Query, description = "Years over which every near-retirement GP leaves (default 10)", exclusive_minimum = 0),
        ("replacement" = Option<f64>, Query, description = "Share of the leavers replaced (default 0)", minimum = 0, maximum = 1),
        ("dep" = Option<String>, Query, description = "Only this département's communes and summary"),
        ("rows" = Option<String>, Query, description = "Which communes to list: changed (default, largest loss first), all, crossing (falling below 2.5) or none", pattern = "^(changed|all|crossing|none)$"),
        ("limit" = Option<usize>, Query, description = "Most communes listed (default 2000)", minimum = 1, maximum = 50000),
    ),
    responses(
        (status = 200, description = "The APL now and in N years (an estimate from the near-retirement counts, themselves estimated where the atlas says so)", body = super::schemas::ProjectionAnswer),
        (status = 400, description = "A parameter out of its range, unknown rows, or a département not in this atlas", body = super::error::ErrorBody),
    ))]
pub(super) async fn projection(State(state): State<AppState>, q: ApiQuery<ProjectionQuery>) -> Result<Json<Value>, ApiError> {
    let ApiQuery(q) = q;
    let spec = spec(&q)?;
    let rows = match given(&q.rows) {
        None => Rows::Changed,
        Some(r) => Rows::parse(r).ok_or_else(|| ApiError::bad_request(format!("rows={r:?}: expected changed, all, crossing or none")))?,
    };
    let limit = match given(&q.limit) {
        None => DEFAULT_ROW_LIMIT,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_ROW_LIMIT).contains(n))
            .ok_or_else(|| ApiError::bad_request(format!("limit={s:?}: expected a whole number from 1 to {MAX_ROW_LIMIT}")))?,
    };
    let dep = given(&q.dep).map(str::to_string);
    let snapshot = state.snapshot();
    if let Some(d) = &dep
        && snapshot.atlas.department(d).is_none()
    {
        return Err(ApiError::bad_request(format!("dep={d:?}: no such département in this atlas")));
    }
    let body = tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
        let params = super::state::projection_params(&spec)?;
        let p = snapshot.projection(&params)?;
        let atlas = &snapshot.atlas;
        let dep = dep.as_deref();
        let here = |c: &&CommuneProjection| dep.is_none_or(|d| c.dep == d);
        let mut listed: Vec<&CommuneProjection> = match rows {
            Rows::Changed => p.communes.iter().filter(here).filter(|c| c.apl_delta.is_some_and(|d| d != 0.0)).collect(),
            Rows::All => p.communes.iter().filter(here).collect(),
            Rows::Crossing => p.crossing().filter(here).collect(),
            Rows::None => Vec::new(),
        };
        if rows == Rows::Changed {
            listed.sort_by(|a, b| a.apl_delta.unwrap_or(0.0).total_cmp(&b.apl_delta.unwrap_or(0.0)).then_with(|| a.code.cmp(&b.code)));
        }
        let total = listed.len();
        listed.truncate(limit);
        let crossing: Vec<&CommuneProjection> = p.crossing().filter(here).collect();
        let zac: Vec<&str> = crossing.iter().filter(|c| c.zac_meeting_zip_criterion()).map(|c| c.code.as_str()).collect();
        Ok(json!({
            "atlas": atlas.meta.name,
            "dep": dep,
            "assumptions": p.assumptions,
            "summary": p.summary(dep),
            "departements": p.departements(atlas, dep),
            "crossing": crossing,
            "zac_meeting_zip_criterion": zac,
            "rows": rows.name(),
            "communes_listed": listed.len(),
            "communes_matching": total,
            "communes": listed,
            "tiles": format!("/tiles/communes/{{z}}/{{x}}/{{y}}.mvt?projection={}", ProjectionSpec::key(&params)),
            "style": format!("/styles/apl_projection.json?projection={}", ProjectionSpec::key(&params)),
        }))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(body))
}
