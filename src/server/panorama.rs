//! `GET /api/panorama?preset=montlucon | communes=03185,03082 | dep=03`: the data of a
//! panorama map (zoning, GPs and GPs near retirement per commune, which ones get a label), for
//! web/panorama.html. Codes that name no commune are listed with their reason, so the page can
//! say which ones it left out instead of drawing a blank map.

use super::extract::ApiQuery;
use super::communes::meta_json;
use super::{ApiError, AppState};
use crate::analysis::panorama::{self, PanoramaError, Selection};
use crate::tiles::communes_bounds;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
pub(super) struct PanoramaQuery {
    preset: Option<String>,
    communes: Option<String>,
    dep: Option<String>,
}

fn selection(q: PanoramaQuery) -> Result<Selection, ApiError> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    match (given(&q.preset), given(&q.communes), given(&q.dep)) {
        (true, false, false) => {
            let name = q.preset.unwrap_or_default();
            let name = name.trim();
            panorama::preset(name).map(Selection::Preset).ok_or_else(|| {
                let known: Vec<&str> = panorama::PRESETS.iter().map(|p| p.name).collect();
                ApiError::not_found(format!("no panorama named {name:?} (known: {})", known.join(", ")))
            })
        }
        (false, true, false) => Ok(Selection::Communes(
            q.communes.unwrap_or_default().split(',').map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect(),
        )),
        (false, false, true) => Ok(Selection::Departement(q.dep.unwrap_or_default())),
        (false, false, false) => Err(ApiError::bad_request(
            "say which communes: preset=montlucon, communes=03185,03082,... or dep=03",
        )),
        _ => Err(ApiError::bad_request("give only one of preset, communes and dep")),
    }
}

/// `GET /api/panorama`.
#[utoipa::path(get, path = "/api/panorama", summary = "The data of a panorama map", tag = "atlas",
    params(
        ("preset" = Option<String>, Query, description = "A named panorama (montlucon); exactly one of preset, communes and dep", example = "montlucon"),
        ("communes" = Option<String>, Query, description = "INSEE codes, comma-separated (codes naming no commune are listed in `rejected`)"),
        ("dep" = Option<String>, Query, description = "A département code"),
    ),
    responses(
        (status = 200, description = "The panorama's communes: zoning, GPs (real counts; near retirement estimated where flagged), labels, totals", body = super::schemas::Panorama),
        (status = 400, description = "None or several of preset, communes and dep; no code or too many", body = super::error::ErrorBody),
        (status = 404, description = "An unknown preset or département, or a preset outside this atlas", body = super::error::ErrorBody),
    ))]
pub(super) async fn panorama(
    State(state): State<AppState>,
    q: ApiQuery<PanoramaQuery>,
) -> Result<Json<Value>, ApiError> {
    let ApiQuery(q) = q;
    let selection = selection(q)?;
    let snapshot = state.snapshot();
    let atlas = &snapshot.atlas;
    let p = panorama::panorama(atlas, &selection).map_err(|e| match e {
        PanoramaError::UnknownDepartement(_) => ApiError::not_found(e.to_string()),
        PanoramaError::PresetOutsideAtlas { .. } => ApiError::not_found(e.to_string()),
        PanoramaError::TooManyCodes { .. } | PanoramaError::NoCodes => ApiError::bad_request(e.to_string()),
    })?;
    // GPs near retirement are summed only when every commune with GPs says how many: a partial
    // sum would read as "few near retirement".
    let mut totals = (0u64, 0u32, Some(0.0f64));
    let mut near_estimated = false;
    let communes: Vec<Value> = p
        .communes
        .iter()
        .map(|&i| {
            let c = &atlas.communes()[i];
            totals.0 += u64::from(c.population);
            match &c.gp {
                Some(g) => {
                    totals.1 += g.gp;
                    near_estimated |= g.gp_near_retirement_estimated;
                    totals.2 = match (totals.2, g.gp_near_retirement) {
                        (Some(t), Some(n)) => Some(t + n),
                        (t, None) if g.gp == 0 => t,
                        _ => None,
                    };
                }
                None => totals.2 = None,
            }
            json!({
                "code": c.code,
                "name": c.name,
                "dep": c.dep,
                "population": c.population,
                "zoning": c.zoning.as_ref().map(|z| z.as_str()),
                "gp": c.gp.as_ref().map(|g| g.gp),
                "gp_near_retirement": c.gp.as_ref().and_then(|g| g.gp_near_retirement),
                "gp_near_retirement_estimated": c.gp.as_ref().is_some_and(|g| g.gp_near_retirement_estimated),
                "position": [c.repr_point.x(), c.repr_point.y()],
                "labelled": p.labelled.contains(&i),
            })
        })
        .collect();
    Ok(Json(json!({
        "title": p.title,
        "definition": p.definition,
        "communes": communes,
        "rejected": p.rejected,
        "zoning": p.zoning,
        "reference": p.reference,
        "totals": {
            "population": totals.0,
            "gp": totals.1,
            "gp_near_retirement": totals.2,
            "gp_near_retirement_estimated": totals.2.is_some() && near_estimated,
        },
        "bbox": communes_bounds(atlas, p.communes.iter().copied()),
        "meta": meta_json(atlas),
    })))
}
