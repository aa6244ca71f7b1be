//! Planner endpoints: scenarios (`POST /api/scenarios`, `GET /api/scenarios/{id}`,
//! `GET /api/scenarios/{id}/impact`) and site suggestions (`GET /api/suggest`). Handlers parse
//! and check, then call `analysis::scenario` / `analysis::siting` off the async threads.

use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState};
use super::scenario_store::StoredScenario;
use crate::analysis::scenario::ScenarioError;
use crate::analysis::siting::{self, Objective};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Largest scenario body: 100 changes take a few kB; the margin is for names.
pub(super) const SCENARIO_BODY_LIMIT: usize = 256 * 1024;
/// Most sites one suggestion returns.
pub const MAX_SUGGEST_K: usize = 20;

fn scenario_error(e: ScenarioError) -> ApiError {
    match e {
        ScenarioError::Access(_) => ApiError::internal(e),
        _ => ApiError::bad_request(e.to_string()),
    }
}


async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

/// `POST /api/scenarios`: checks the scenario against the atlas, stores it, returns its id. With
/// `"projection": {"years": 5, "horizon": 10, "replacement": 0.3}` its impact is measured in N
/// years (against the projected baseline).
pub(super) async fn create(State(state): State<AppState>, body: Result<Json<StoredScenario>, JsonRejection>) -> Result<Response, ApiError> {
    let Json(stored) = body.map_err(|e| super::error::json_body_error(e, "scenario body"))?;
    let snapshot = state.snapshot();
    let store = state.scenarios.clone();
    let (id, changes, projection) = blocking(move || {
        let baseline = snapshot.baseline_for(stored.projection.as_ref()).map_err(|e| in_projection(e, &stored))?;
        baseline.resolve(&snapshot.atlas, &stored.scenario).map_err(scenario_error)?;
        let changes = stored.scenario.changes.len();
        let projection = stored.projection;
        let id = store.put(stored).map_err(ApiError::internal)?;
        Ok((id, changes, projection))
    })
    .await?;
    let body = json!({
        "id": id,
        "changes": changes,
        "projection": projection,
        "url": format!("/api/scenarios/{id}"),
        "impact": format!("/api/scenarios/{id}/impact"),
        "tiles": format!("/tiles/communes/{{z}}/{{x}}/{{y}}.mvt?scenario={id}"),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// A projection error of a scenario body names where it is.
fn in_projection(e: ApiError, stored: &StoredScenario) -> ApiError {
    if stored.projection.is_some() && e.status == StatusCode::BAD_REQUEST {
        ApiError::bad_request(format!("scenario body: projection: {}", e.message))
    } else {
        e
    }
}

fn scenario_of(state: &AppState, ApiPath(id): ApiPath<String>) -> Result<(String, std::sync::Arc<StoredScenario>), ApiError> {
    let scenario = state.scenarios.get(&id).ok_or_else(|| ApiError::not_found(format!("no scenario {id:?}")))?;
    Ok((id, scenario))
}

/// Any method but POST on `/api/scenarios`.
pub(super) async fn post_only() -> Response {
    super::error::method_not_allowed("POST", "/api/scenarios")
}

/// `GET /api/scenarios/{id}`: the stored scenario.
pub(super) async fn get(State(state): State<AppState>, id: ApiPath<String>) -> Result<Json<Value>, ApiError> {
    let (id, scenario) = scenario_of(&state, id)?;
    Ok(Json(json!({ "id": id, "scenario": scenario.as_ref() })))
}

/// `GET /api/scenarios/{id}/impact`: what the scenario changes against the current atlas (APL,
/// spatial availability with its balance, equity before and after; each named by its method).
pub(super) async fn impact(State(state): State<AppState>, id: ApiPath<String>) -> Result<Json<Value>, ApiError> {
    let (id, scenario) = scenario_of(&state, id)?;
    let snapshot = state.snapshot();
    let impact = blocking(move || {
        let baseline = snapshot.baseline_for(scenario.projection.as_ref())?;
        // The atlas may have been reloaded since the scenario was stored: check it again.
        let resolved = baseline.resolve(&snapshot.atlas, &scenario.scenario).map_err(scenario_error)?;
        let impact = baseline.impact(&snapshot.atlas, &resolved);
        // In N years: the projection's assumptions travel with the figures.
        let projection = match &scenario.projection {
            Some(spec) => Some(snapshot.projection(&super::state::projection_params(spec)?)?.assumptions.clone()),
            None => None,
        };
        Ok(json!({
            "id": id,
            "synthetic_gp": snapshot.atlas.meta.synthetic_gp,
            "travel_times": snapshot.atlas.travel_times().kind(),
            "projection": projection,
            "impact": impact,
        }))
    })
    .await?;
    Ok(Json(impact))
}

/// Query of `GET /api/suggest`.
#[derive(Debug, Deserialize)]
pub(super) struct SuggestQuery {
    dep: Option<String>,
    k: Option<String>,
    gps: Option<String>,
    objective: Option<String>,
    minutes: Option<String>,
}

fn parse<T: std::str::FromStr>(v: &Option<String>, name: &str, default: T, ok: impl Fn(&T) -> bool, expected: &str) -> Result<T, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<T>().ok().filter(|x| ok(x)).ok_or_else(|| ApiError::bad_request(format!("{name}={s:?}: expected {expected}"))),
    }
}

/// `GET /api/suggest?dep=03&k=3&gps=2&objective=coverage|apl&minutes=15`.
pub(super) async fn suggest(State(state): State<AppState>, q: ApiQuery<SuggestQuery>) -> Result<Json<Value>, ApiError> {
    let ApiQuery(q) = q;
    let dep = q.dep.as_deref().map(str::trim).filter(|d| !d.is_empty()).ok_or_else(|| ApiError::bad_request("missing parameter dep (a département code, e.g. 03)"))?.to_string();
    let k = parse(&q.k, "k", 3usize, |k| (1..=MAX_SUGGEST_K).contains(k), &format!("a whole number from 1 to {MAX_SUGGEST_K}"))?;
    let gps = parse(&q.gps, "gps", 2.0f64, |g| g.is_finite() && *g > 0.0 && *g <= 50.0, "a number of GPs above 0 and at most 50")?;
    let minutes = parse(&q.minutes, "minutes", 15.0f64, |m| m.is_finite() && *m > 0.0 && *m <= 60.0, "minutes above 0 and at most 60")?;
    let objective = match q.objective.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Objective::Coverage,
        Some(o) => Objective::parse(o).ok_or_else(|| ApiError::bad_request(format!("objective={o:?}: expected coverage or apl")))?,
    };
    let snapshot = state.snapshot();
    let result = blocking(move || {
        let atlas = &snapshot.atlas;
        if atlas.department(&dep).is_none() {
            return Err(ApiError::not_found(format!("no département {dep:?} in this atlas")));
        }
        let area: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == dep).collect();
        let suggestion = match objective {
            Objective::Coverage => siting::suggest_coverage(atlas, &area, k, minutes),
            Objective::Apl => {
                let baseline = snapshot.baseline().ok_or_else(|| ApiError::internal("the access baseline could not be computed"))?;
                siting::suggest_apl(atlas, baseline, &area, k, gps).map_err(scenario_error)?
            }
        };
        Ok(json!({
            "dep": dep,
            "k": k,
            "gps": gps,
            "minutes": minutes,
            "synthetic_gp": atlas.meta.synthetic_gp,
            "travel_times": atlas.travel_times().kind(),
            "method": match objective {
                Objective::Coverage => "maximal covering location: greedy then interchange; residents already within the time of an MSP count as covered",
                Objective::Apl => "greedy: each step the town hall where the GPs lift the most residents to APL 2.5, ties by population-weighted APL gain",
            },
            "suggestion": suggestion,
        }))
    })
    .await?;
    Ok(Json(result))
}
