//! The viewer's search box and département panel: `GET /api/search?q=&limit=` (communes by
//! name, INSEE code or postal code, see [`crate::atlas::search`]) and
//! `GET /api/departements/{code}` (the département's record, its 2022 aids and GP totals from
//! [`crate::analysis::density`]). Handlers parse, call and render.

use super::extract::{ApiPath, ApiQuery};
use super::communes::{AtlasMetaAnswer, meta_json};
use super::{ApiError, AppState};
use crate::analysis::density::{self, AreaFilter, DensityOptions, Level};
use crate::model::registry::normalize_department_code;
use crate::atlas::search::fold;
use axum::Json;
use axum::extract::State;
use crate::model::Department;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Longest query accepted, in characters: the longest commune name has 45.
pub(super) const MAX_QUERY_CHARS: usize = 100;

/// Hits returned when `limit` is not given.
pub(super) const DEFAULT_LIMIT: usize = 10;

/// Most hits one request may ask for.
pub(super) const MAX_LIMIT: usize = 50;

/// Query of `/api/search`. Strings, so that a bad value gets our message rather than serde's.
#[derive(Debug, Deserialize)]
pub(super) struct SearchQuery {
    q: Option<String>,
    limit: Option<String>,
}

/// `limit` from the query: absent or empty means [`DEFAULT_LIMIT`].
fn parse_limit(value: Option<&str>) -> Result<usize, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(DEFAULT_LIMIT) };
    v.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| ApiError::bad_request(format!("limit={v:?} is not a whole number between 1 and {MAX_LIMIT}")))
}

/// `GET /api/search?q=&limit=`: `{query, folded, hits}`; no match is an empty `hits`, not an
/// error.
#[utoipa::path(get, path = "/api/search", summary = "Search communes by name or code", tag = "communes",
    params(
        ("q" = String, Query, description = "A commune name (accents, case and punctuation ignored; current or former), an INSEE code or a postal code", min_length = 1, max_length = 100, example = "montlu"),
        ("limit" = Option<usize>, Query, description = "Most hits (default 10)", minimum = 1, maximum = 50, example = 10),
    ),
    responses(
        (status = 200, description = "The hits, best first (empty when nothing matches)", body = super::schemas::SearchAnswer),
        (status = 400, description = "q missing, blank or longer than 100 characters; limit not a whole number from 1 to 50", body = super::error::ErrorBody),
    ))]
pub(super) async fn search(
    State(state): State<AppState>,
    q: ApiQuery<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let ApiQuery(q) = q;
    let query = q.q.ok_or_else(|| ApiError::bad_request("missing parameter q (a commune name, INSEE code or postal code)"))?;
    if query.trim().is_empty() {
        return Err(ApiError::bad_request("q is blank: give a commune name, INSEE code or postal code"));
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(format!("q is longer than {MAX_QUERY_CHARS} characters")));
    }
    let limit = parse_limit(q.limit.as_deref())?;
    let snapshot = state.snapshot();
    let hits = snapshot.search().search(&query, limit);
    Ok(Json(json!({ "query": query, "folded": fold(&query), "hits": hits })))
}

/// The fields of [`density::AreaIndicators`] the département panel shows.
const GP_FIELDS: [&str; 6] =
    ["gp", "gp_near_retirement", "gp_near_retirement_estimated", "gp_per_10k", "near_retirement_share", "synthetic"];

/// `GET /api/departements/{code}`: the département's record, the name of its region, its GP
/// totals (the [`GP_FIELDS`] of its [`density::AreaIndicators`], with the reasons of their
/// nulls and their formulas) and the atlas's meta.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct DepartementAnswer<'a> {
    #[serde(flatten)]
    #[schema(value_type = super::schemas::Departement)]
    dep: &'a Department,
    region_name: Option<&'a str>,
    gp: Option<u64>,
    gp_near_retirement: Option<f64>,
    gp_near_retirement_estimated: bool,
    gp_per_10k: Option<f64>,
    near_retirement_share: Option<f64>,
    synthetic: bool,
    missing: BTreeMap<&'static str, &'static str>,
    formulas: BTreeMap<&'static str, &'static str>,
    meta: AtlasMetaAnswer<'a>,
}

/// `GET /api/departements/{code}`: the département as the atlas holds it (with `aids_2022`,
/// null when the aids table does not list it) and its GP totals over its communes.
#[utoipa::path(get, path = "/api/departements/{code}", summary = "One département and its GP totals", tag = "communes",
    params(("code" = String, Path, description = "Département code: 01 to 95 except 20, 2A, 2B, 971 to 976 (3 is read as 03)", example = "03")),
    responses(
        (status = 200, description = "The département, its region, its GP totals (with the reasons of their nulls and their formulas) and the atlas's meta", body = DepartementAnswer),
        (status = 400, description = "Not a département code", body = super::error::ErrorBody),
        (status = 404, description = "No such département in this atlas", body = super::error::ErrorBody),
    ))]
pub(super) async fn departement(State(state): State<AppState>, ApiPath(raw): ApiPath<String>) -> Result<Response, ApiError> {
    let code = normalize_department_code(&raw).ok_or_else(|| {
        ApiError::bad_request(format!("{raw:?} is not a département code (01 to 95 except 20, 2A, 2B, 971 to 976)"))
    })?;
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    let dep = atlas
        .department(&code)
        .ok_or_else(|| ApiError::not_found(format!("no département {code} in this atlas ({})", atlas.meta.name)))?;
    let filter = AreaFilter { dep: Some(code.clone()), region: None };
    let area = density::areas(atlas, Level::Departement, &filter, None, &DensityOptions::default())
        .map_err(ApiError::internal)?
        .into_iter()
        .find(|a| a.code == code)
        .ok_or_else(|| ApiError::internal(format!("no indicators for département {code}")))?;
    let answer = DepartementAnswer {
        dep,
        region_name: dep.region.as_ref().and_then(|r| atlas.regions().iter().find(|x| x.code == *r)).map(|r| r.name.as_str()),
        gp: area.gp,
        gp_near_retirement: area.gp_near_retirement,
        gp_near_retirement_estimated: area.gp_near_retirement_estimated,
        gp_per_10k: area.gp_per_10k,
        near_retirement_share: area.near_retirement_share,
        synthetic: area.synthetic,
        missing: area.missing.iter().filter(|(k, _)| GP_FIELDS.contains(k)).map(|(&k, &v)| (k, v)).collect(),
        formulas: density::FORMULAS.iter().filter(|(k, _)| GP_FIELDS.contains(k)).copied().collect(),
        meta: meta_json(atlas),
    };
    Ok(Json(answer).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_10_and_stays_within_1_to_50() {
        assert_eq!(parse_limit(None).ok(), Some(DEFAULT_LIMIT));
        assert_eq!(parse_limit(Some(" ")).ok(), Some(DEFAULT_LIMIT));
        assert_eq!(parse_limit(Some("50")).ok(), Some(50));
        for bad in ["0", "51", "-1", "abc", "1.5", "99999999999999999999999"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
