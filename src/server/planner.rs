//! Planner endpoints: scenarios (`POST /api/scenarios`, `GET /api/scenarios/{id}`,
//! `GET /api/scenarios/{id}/impact`) and site suggestions (`GET /api/suggest`). Handlers parse
//! and check, then call `analysis::scenario` / `analysis::siting` off the async threads.

use super::extract::{ApiPath, ApiQuery};
use super::scenario_store::StoreError;
use super::{ApiError, AppState};
use super::scenario_store::StoredScenario;
use crate::analysis::scenario::ScenarioError;
use crate::analysis::siting::plan::{self as siting_plan, AreaPlan, CandidateFilter, PlanObjective, PlanRequest};
use crate::analysis::siting::{self, SitingError, Suggestion};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
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
#[utoipa::path(post, path = "/api/scenarios", summary = "Store a what-if scenario", operation_id = "create_scenario", tag = "planner",
    request_body(content = super::schemas::ScenarioRequest, description = "A what-if scenario (at most 256 KiB)"),
    responses(
        (status = 201, description = "Stored (storing the same scenario again gives the same id)", body = super::schemas::ScenarioCreated),
        (status = 400, description = "A change that does not fit the atlas (unknown commune or MSP, point outside, too many GPs), no change or more than 100, a bad projection, a body of the wrong shape", body = super::error::ErrorBody),
        (status = 405, description = "Another method than POST on this path (with Allow)", body = super::error::ErrorBody),
        (status = 413, description = "A body over 256 KiB", body = super::error::ErrorBody),
        (status = 415, description = "A body that is not JSON", body = super::error::ErrorBody),
        (status = 503, description = "The scenario store cannot be written", body = super::error::ErrorBody),
        (status = 507, description = "The scenario store is full", body = super::error::ErrorBody),
    ))]
pub(super) async fn create(State(state): State<AppState>, body: Result<Json<StoredScenario>, JsonRejection>) -> Result<Response, ApiError> {
    let Json(stored) = body.map_err(|e| super::error::json_body_error(e, "scenario body"))?;
    let snapshot = state.snapshot();
    let stored = blocking(move || {
        let baseline = snapshot.baseline_for(stored.projection.as_ref()).map_err(|e| in_projection(e, &stored))?;
        baseline.resolve(&snapshot.atlas, &stored.scenario).map_err(scenario_error)?;
        Ok(stored)
    })
    .await?;
    let (changes, projection) = (stored.scenario.changes.len(), stored.projection.clone());
    let id = state.scenarios.put(stored).await.map_err(store_error)?;
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

async fn scenario_of(state: &AppState, ApiPath(id): ApiPath<String>) -> Result<(String, std::sync::Arc<StoredScenario>), ApiError> {
    let scenario = stored_scenario(state, &id).await?;
    Ok((id, scenario))
}

/// The stored scenario `id`: 404 when there is none, 503 when the store cannot be read.
pub(super) async fn stored_scenario(state: &AppState, id: &str) -> Result<std::sync::Arc<StoredScenario>, ApiError> {
    state.scenarios.get(id).await.map_err(store_error)?.ok_or_else(|| ApiError::not_found(format!("no scenario {id:?}")))
}

/// A store that cannot be written or read: the service is unavailable, not the request wrong.
fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Full => ApiError::new(StatusCode::INSUFFICIENT_STORAGE, e.to_string()),
        e => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// Any method but POST on `/api/scenarios`.
pub(super) async fn post_only() -> Response {
    super::error::method_not_allowed("POST", "/api/scenarios")
}

/// `GET /api/scenarios/{id}`: the stored scenario.
#[utoipa::path(get, path = "/api/scenarios/{id}", summary = "A stored scenario", operation_id = "scenario", tag = "planner",
    params(("id" = String, Path, description = "A scenario's id, as `POST /api/scenarios` answered it")),
    responses(
        (status = 200, description = "The scenario", body = super::schemas::ScenarioStored),
        (status = 404, description = "No such scenario", body = super::error::ErrorBody),
        (status = 503, description = "The scenario store cannot be read", body = super::error::ErrorBody),
    ))]
pub(super) async fn get(State(state): State<AppState>, id: ApiPath<String>) -> Result<Json<Value>, ApiError> {
    let (id, scenario) = scenario_of(&state, id).await?;
    Ok(Json(json!({ "id": id, "scenario": scenario.as_ref() })))
}

/// `GET /api/scenarios/{id}/impact`: what the scenario changes against the current atlas (APL,
/// spatial availability with its balance, equity before and after; each named by its method).
#[utoipa::path(get, path = "/api/scenarios/{id}/impact", summary = "What a scenario changes", operation_id = "scenario_impact", tag = "planner",
    params(("id" = String, Path, description = "A scenario's id")),
    responses(
        (status = 200, description = "What the scenario changes (estimated: the APL recomputed with the scenario's sites and GPs)", body = super::schemas::ScenarioImpact),
        (status = 400, description = "The scenario no longer fits the current atlas (it was reloaded since)", body = super::error::ErrorBody),
        (status = 404, description = "No such scenario", body = super::error::ErrorBody),
        (status = 503, description = "The scenario store cannot be read", body = super::error::ErrorBody),
    ))]
pub(super) async fn impact(State(state): State<AppState>, id: ApiPath<String>) -> Result<Json<Value>, ApiError> {
    let (id, scenario) = scenario_of(&state, id).await?;
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
    candidates: Option<String>,
}

/// The objectives of `GET /api/suggest`: the APL one, or one of the location models.
#[derive(Debug, Clone, Copy)]
enum SuggestObjective {
    Apl,
    Plan(PlanObjective),
}

/// The answer of `GET /api/suggest`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Suggest)]
pub(super) struct SuggestAnswer {
    dep: String,
    /// `coverage`, `set_cover`, `median` or `apl`.
    objective: &'static str,
    k: usize,
    gps: f64,
    minutes: f64,
    #[schema(value_type = super::schemas::CandidateName)]
    candidates: CandidateFilter,
    synthetic_gp: bool,
    /// `estimated` or `matrix`.
    travel_times: &'static str,
    /// The model and its heuristic, in words.
    method: &'static str,
    /// The sites chosen with the residents they cover or lift (coverage and apl).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::schemas::Object>)]
    suggestion: Option<Suggestion>,
    /// Sites, residents beyond the service time commune by commune, optimality and
    /// assumptions (coverage, set_cover, median).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::schemas::Object>)]
    plan: Option<AreaPlan>,
}

fn siting_error(e: SitingError) -> ApiError {
    ApiError::bad_request(e.to_string())
}

fn parse<T: std::str::FromStr>(v: &Option<String>, name: &str, default: T, ok: impl Fn(&T) -> bool, expected: &str) -> Result<T, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<T>().ok().filter(|x| ok(x)).ok_or_else(|| ApiError::bad_request(format!("{name}={s:?}: expected {expected}"))),
    }
}

/// `GET /api/suggest?dep=03&k=3&objective=coverage|set_cover|median|apl&minutes=15&gps=2&candidates=all|zip|zac|zip_zac|msp_free`.
/// Coverage, set covering and p-median answer a `plan` (sites, residents beyond the service
/// time commune by commune, optimality, assumptions); coverage and APL also the `suggestion`
/// they answered before.
#[utoipa::path(get, path = "/api/suggest", summary = "Where to place new sites", tag = "planner",
    params(
        ("dep" = String, Query, description = "Département code", example = "03"),
        ("k" = Option<usize>, Query, description = "Sites to place (default 3)", minimum = 1, maximum = 20),
        ("objective" = Option<String>, Query, description = "coverage (maximal covering, default; alias mclp), set_cover (alias lscp), median (alias p_median) or apl"),
        ("minutes" = Option<f64>, Query, description = "Service time in minutes (default 15)", exclusive_minimum = 0, maximum = 60),
        ("gps" = Option<f64>, Query, description = "GPs per new site (default 2; apl objective)", exclusive_minimum = 0, maximum = 50),
        ("candidates" = Option<super::schemas::CandidateName>, Query, description = "Which town halls may host a site (default all; the apl objective takes all)"),
    ),
    responses(
        (status = 200, description = "Suggested sites (estimated travel times unless a routed matrix is loaded)", body = SuggestAnswer),
        (status = 400, description = "dep missing, a parameter out of its range, an unknown objective or candidates", body = super::error::ErrorBody),
        (status = 404, description = "No such département in this atlas", body = super::error::ErrorBody),
    ))]
pub(super) async fn suggest(State(state): State<AppState>, q: ApiQuery<SuggestQuery>) -> Result<Json<SuggestAnswer>, ApiError> {
    let ApiQuery(q) = q;
    let dep = q.dep.as_deref().map(str::trim).filter(|d| !d.is_empty()).ok_or_else(|| ApiError::bad_request("missing parameter dep (a département code, e.g. 03)"))?.to_string();
    let k = parse(&q.k, "k", 3usize, |k| (1..=MAX_SUGGEST_K).contains(k), &format!("a whole number from 1 to {MAX_SUGGEST_K}"))?;
    let gps = parse(&q.gps, "gps", 2.0f64, |g| g.is_finite() && *g > 0.0 && *g <= 50.0, "a number of GPs above 0 and at most 50")?;
    let minutes = parse(&q.minutes, "minutes", 15.0f64, |m| m.is_finite() && *m > 0.0 && *m <= 60.0, "minutes above 0 and at most 60")?;
    let objective = match q.objective.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => SuggestObjective::Plan(PlanObjective::Coverage),
        Some(o) if o.eq_ignore_ascii_case("apl") => SuggestObjective::Apl,
        Some(o) => SuggestObjective::Plan(
            PlanObjective::parse(o).ok_or_else(|| ApiError::bad_request(format!("objective={o:?}: expected coverage, set_cover, median or apl")))?,
        ),
    };
    let candidates = match q.candidates.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => CandidateFilter::All,
        Some(c) => CandidateFilter::parse(c)
            .ok_or_else(|| ApiError::bad_request(format!("candidates={c:?}: expected one of {}", CandidateFilter::names())))?,
    };
    if matches!(objective, SuggestObjective::Apl) && candidates != CandidateFilter::All {
        return Err(ApiError::bad_request("candidates: the apl objective takes every commune of the département as a candidate"));
    }
    let snapshot = state.snapshot();
    let result = blocking(move || {
        let atlas = &snapshot.atlas;
        if atlas.department(&dep).is_none() {
            return Err(ApiError::not_found(format!("no département {dep:?} in this atlas")));
        }
        let area: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == dep).collect();
        let (method, suggestion, plan) = match objective {
            SuggestObjective::Apl => {
                let baseline = snapshot.baseline().ok_or_else(|| ApiError::internal("the access baseline could not be computed"))?;
                let s = siting::suggest_apl(atlas, baseline, &area, k, gps).map_err(scenario_error)?;
                ("greedy: each step the town hall where the GPs lift the most residents to APL 2.5, ties by population-weighted APL gain", Some(s), None)
            }
            SuggestObjective::Plan(objective) => {
                let plan = siting_plan::plan(atlas, &area, PlanRequest { objective, minutes, k, candidates }).map_err(siting_error)?;
                let (method, suggestion) = match objective {
                    PlanObjective::Coverage => (
                        "maximal covering location: greedy then interchange; residents already within the time of an MSP count as covered",
                        Some(siting::suggest_coverage_among(atlas, &area, &candidates.apply(atlas, &area), k, minutes)),
                    ),
                    PlanObjective::SetCover => (
                        "location set covering: the fewest town halls putting every resident a candidate can reach within the time of a site, MSP counted as sites; exact 0-1 program",
                        None,
                    ),
                    PlanObjective::Median => (
                        "p-median: the k town halls minimising the population-weighted mean time to the nearest site, MSP counted as sites; \
                         interchange heuristic proved by a Lagrangian bound and branch and bound",
                        None,
                    ),
                };
                (method, suggestion, Some(plan))
            }
        };
        Ok(SuggestAnswer {
            objective: match objective {
                SuggestObjective::Apl => "apl",
                SuggestObjective::Plan(PlanObjective::Coverage) => "coverage",
                SuggestObjective::Plan(PlanObjective::SetCover) => "set_cover",
                SuggestObjective::Plan(PlanObjective::Median) => "median",
            },
            dep,
            k,
            gps,
            minutes,
            candidates,
            synthetic_gp: atlas.meta.synthetic_gp,
            travel_times: atlas.travel_times().kind(),
            method,
            suggestion,
            plan,
        })
    })
    .await?;
    Ok(Json(result))
}
