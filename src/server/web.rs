//! The browser viewer: `/` (web/index.html), its files under `/web/` (including MapLibre GL JS
//! from web/node_modules, installed by scripts/setup-web.sh), and the MapLibre styles of
//! `styles/` at `/styles/{name}.json`, with `{origin}` replaced by the server's own origin so
//! that no request leaves it.

use super::extract::{ApiPath, ApiQuery};
use super::{ApiError, AppState, Snapshot};
use crate::analysis::classify::{ClassMethod, classify};
use crate::analysis::projection::{self, ProjectionSpec};
use crate::analysis::retirement::{self, RetirementParams};
use crate::tiles::attributes;
use crate::tiles::style::{self, ClassRequest};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::Value;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::path::PathBuf;

/// Where the viewer's files are: `web/` and `styles/` beside the working directory, or the
/// folders named by `MEDATLAS_WEB_DIR` / `MEDATLAS_STYLES_DIR`.
pub fn web_dir() -> PathBuf {
    std::env::var_os("MEDATLAS_WEB_DIR").map_or_else(|| PathBuf::from("web"), PathBuf::from)
}

fn styles_dir() -> PathBuf {
    std::env::var_os("MEDATLAS_STYLES_DIR").map_or_else(|| PathBuf::from("styles"), PathBuf::from)
}

/// A page of web/, or a 404 that says how to install the viewer.
async fn page(file: &str) -> Result<Html<String>, ApiError> {
    let path = web_dir().join(file);
    tokio::fs::read_to_string(&path)
        .await
        .map(Html)
        .map_err(|e| ApiError::not_found(format!("the viewer is not installed ({}: {e}); run scripts/setup-web.sh", path.display())))
}

/// `GET /web/{path}`: the viewer's files (scripts, styles, dictionaries, MapLibre GL JS and
/// Swagger UI from web/node_modules), served by `tower_http::services::ServeDir` in the
/// router. Never called: it only carries the route's description.
#[utoipa::path(get, path = "/web/{path}", summary = "The viewer's files", tag = "viewer",
    params(("path" = String, Path, description = "A file under web/ (may contain /), e.g. viewer.js, node_modules/maplibre-gl/dist/maplibre-gl.js", example = "viewer.css")),
    responses(
        (status = 200, description = "The file, typed by its extension", content_type = "application/octet-stream", body = inline(super::schemas::Bytes)),
        (status = 404, description = "No such file (an empty body, not JSON)"),
    ))]
#[allow(dead_code)]
pub(super) fn web_files() {}

/// `GET /`: the viewer's page.
#[utoipa::path(get, path = "/", summary = "The map viewer", operation_id = "viewer", tag = "viewer",
    responses(
        (status = 200, description = "The map viewer (French first; ?lang=en)", content_type = "text/html", body = inline(super::schemas::Bytes)),
        (status = 404, description = "The viewer is not installed (run scripts/setup-web.sh)", body = super::error::ErrorBody),
    ))]
pub async fn index() -> Result<Html<String>, ApiError> {
    page("index.html").await
}

/// `GET /docs`: this API's documentation page (Swagger UI from web/node_modules, reading
/// `/openapi.json`; no request leaves the server).
#[utoipa::path(get, path = "/docs", summary = "This documentation page", operation_id = "docs_page", tag = "viewer",
    responses(
        (status = 200, description = "The API's documentation page", content_type = "text/html", body = inline(super::schemas::Bytes)),
        (status = 404, description = "The page is not installed (run scripts/setup-web.sh)", body = super::error::ErrorBody),
    ))]
pub async fn docs() -> Result<Html<String>, ApiError> {
    page("docs.html").await
}

/// `GET /panorama?communes=...|dep=...`: the panorama page; it reads its query itself.
#[utoipa::path(get, path = "/panorama", summary = "The panorama page", operation_id = "panorama_page", tag = "viewer",
    params(
        ("communes" = Option<String>, Query, description = "INSEE codes, comma-separated (read by the page)"),
        ("dep" = Option<String>, Query, description = "A département code (read by the page)"),
    ),
    responses(
        (status = 200, description = "The panorama page (it asks /api/panorama)", content_type = "text/html", body = inline(super::schemas::Bytes)),
        (status = 404, description = "The viewer is not installed", body = super::error::ErrorBody),
    ))]
pub async fn panorama() -> Result<Html<String>, ApiError> {
    page("panorama.html").await
}

/// `GET /panorama/{name}`: the page of a named panorama; an unknown name is a 404 that still
/// shows the page, which says so and lists the known ones.
#[utoipa::path(get, path = "/panorama/{name}", summary = "A named panorama page", operation_id = "panorama_preset_page", tag = "viewer",
    params(("name" = String, Path, description = "A named panorama", example = "montlucon")),
    responses(
        (status = 200, description = "The panorama page", content_type = "text/html", body = inline(super::schemas::Bytes)),
        (status = 404, description = "An unknown name: the page still, which says so and lists the known ones", content_type = "text/html", body = inline(super::schemas::Bytes)),
    ))]
pub async fn panorama_preset(name: Result<Path<String>, axum::extract::rejection::PathRejection>) -> Result<Response, ApiError> {
    let html = page("panorama.html").await?;
    let known = name.is_ok_and(|Path(n)| crate::analysis::panorama::preset(&n).is_some());
    let status = if known { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, html).into_response())
}

/// Query of `/styles/{name}.json`: `classes=quantiles|jenks` overrides the style's method;
/// `projection=years[,horizon[,replacement]]` chooses the projection a style of the APL in N
/// years draws (default 5,10,0) and states in its legend.
#[derive(Debug, Deserialize)]
pub struct StyleQuery {
    classes: Option<String>,
    projection: Option<String>,
}

/// `GET /styles/{name}.json`: a MapLibre style with this server's origin filled in and, when
/// the style asks for them, class breaks computed from the loaded atlas (`tiles::style`).
#[utoipa::path(get, path = "/styles/{name}", summary = "A MapLibre style", tag = "tiles",
    params(
        ("name" = String, Path, description = "A style of styles/ followed by .json", pattern = "^[A-Za-z0-9_-]+\\.json$", example = "apl.json"),
        ("classes" = Option<String>, Query, description = "quantiles or jenks (also natural_breaks, fisher_jenks): overrides the style's class method"),
        ("projection" = Option<String>, Query, description = "years[,horizon[,replacement]] for a style of the APL in N years (default 5,10,0)"),
    ),
    responses(
        (status = 200, description = "A MapLibre style with this server's origin, class breaks from the loaded atlas and its legend", body = super::schemas::Style),
        (status = 400, description = "Not a style name, unknown classes, a bad projection", body = super::error::ErrorBody),
        (status = 404, description = "No such style, or a name not ending in .json", body = super::error::ErrorBody),
    ))]
pub async fn style(
    State(state): State<AppState>,
    headers: HeaderMap,
    name: ApiPath<String>,
    q: ApiQuery<StyleQuery>,
) -> Result<Response, ApiError> {
    let ApiPath(name) = name;
    let ApiQuery(q) = q;
    let stem = name.strip_suffix(".json").ok_or_else(|| ApiError::not_found(format!("styles are at /styles/{{name}}.json, not {name:?}")))?;
    if stem.is_empty() || !stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(ApiError::bad_request(format!("{stem:?} is not a style name (letters, digits, _ and -)")));
    }
    let method = match q.classes.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(m) => Some(ClassMethod::parse(m).ok_or_else(|| ApiError::bad_request(format!("classes={m:?}: use quantiles or jenks")))?),
    };
    let text = tokio::fs::read_to_string(styles_dir().join(format!("{stem}.json")))
        .await
        .map_err(|_| ApiError::not_found(format!("no style {stem:?}")))?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let projection = match q.projection.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => ProjectionSpec::default(),
        Some(p) => ProjectionSpec::parse(p).map_err(|e| ApiError::bad_request(e.to_string()))?,
    };
    let projection = super::state::projection_params(&projection)?;
    let text = fill_placeholders(&text.replace("{origin}", &format!("http://{host}")), &state.snapshot().atlas);
    let text = fill_projection(&text, &projection, &state.snapshot().atlas);
    let mut style: Value = serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("styles/{stem}.json: {e}")))?;
    if let Some(mut request) = style::class_request(&style).map_err(ApiError::internal)? {
        if let Some(m) = method {
            request.method = m;
        }
        let snapshot = state.snapshot();
        style = tokio::task::spawn_blocking(move || classed(&snapshot, style, &request)).await.map_err(ApiError::internal)??;
    }
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], Json(style)).into_response())
}

/// Fills what a legend says about the loaded atlas: `{travel_times}` (how the computed APL's
/// travel times were obtained) and `{apl_official_year}` (the official APL's vintage).
fn fill_placeholders(text: &str, atlas: &crate::atlas::Atlas) -> String {
    // Inside JSON strings: escaped as JSON, without the quotes.
    let escaped = |v: String| serde_json::to_string(&v).map(|q| q[1..q.len() - 1].to_string()).unwrap_or_default();
    let year = atlas.apl_official_years().last().copied();
    text.replace("{travel_times}", &escaped(atlas.travel_times().describe()))
        .replace("{apl_official_year}", &year.map_or("(non chargée)".to_string(), |y| y.to_string()))
}

/// Fills what a style of the APL in N years says of its projection: `{projection}` (the tiles'
/// `years,horizon,replacement`), `{years}`, `{horizon}`, `{replacement}` and
/// `{projection_assumptions}` (the model, what it leaves out, and how near-retirement values
/// were obtained).
fn fill_projection(text: &str, p: &RetirementParams, atlas: &crate::atlas::Atlas) -> String {
    if !text.contains("{projection") {
        return text.to_string();
    }
    let escaped = |v: String| serde_json::to_string(&v).map(|q| q[1..q.len() - 1].to_string()).unwrap_or_default();
    let near = if atlas.meta.near_retirement_estimated {
        format!("near-retirement GPs are {}", crate::model::NEAR_RETIREMENT_ESTIMATE_METHOD)
    } else {
        "near-retirement GPs are counts from the sources".to_string()
    };
    let assumptions = format!(
        "In {} years {} % of the near-retirement GPs (55+) have left (evenly over {} years), {} % of the leavers replaced; model: {}. The APL is recomputed from the reduced supply. {}. Ignores: {}. Travel times: {}.",
        p.years,
        (p.departed_fraction() * 100.0).round(),
        p.departure_horizon_years,
        (p.replacement_rate * 100.0).round(),
        retirement::MODEL,
        near,
        projection::IGNORES,
        atlas.travel_times().describe()
    );
    text.replace("{projection_assumptions}", &escaped(assumptions))
        .replace("{projection}", &ProjectionSpec::key(p))
        .replace("{years}", &p.years.to_string())
        .replace("{horizon}", &p.departure_horizon_years.to_string())
        .replace("{replacement}", &p.replacement_rate.to_string())
}

/// The style with the classes of `request.of` over the snapshot's communes, or its EPCIs when
/// the legend says `"layer": "epci"`.
fn classed(snapshot: &Snapshot, mut style: Value, request: &ClassRequest) -> Result<Value, ApiError> {
    let (values, features) = match request.layer.as_str() {
        "communes" => (attributes::commune_numbers(&snapshot.atlas, snapshot.access(), &request.of, request.min_population), "communes"),
        "epci" => (attributes::epci_numbers(&snapshot.atlas, snapshot.access(), &request.of, request.min_population), "EPCIs"),
        other => return Err(ApiError::internal(format!("a style classes the features of layer {other:?}; classes are computed for communes and epci"))),
    };
    let values = values.ok_or_else(|| ApiError::internal(format!("a style classes by {:?}, which no {features} attribute is", request.of)))?;
    let of_whom = match request.min_population {
        0 => String::new(),
        p => format!(" and at least {p} inhabitants (smaller ones drawn with the same classes)"),
    };
    if values.is_empty() {
        style::apply_no_values(&mut style, request, &format!("{features} with a value{of_whom}")).map_err(ApiError::internal)?;
        return Ok(style);
    }
    let classes = classify(&values, request.k, request.method).map_err(|e| ApiError::internal(format!("classes of {}: {e}", request.of)))?;
    let method = match request.method {
        ClassMethod::Jenks => "Jenks natural breaks (Fisher's exact optimum)",
        ClassMethod::Quantiles => "quantiles (about as many features in each class)",
    };
    let described = format!("{method} of {} over the {} {features} with a value{of_whom}", request.of, values.len());
    style::apply_classes(&mut style, request, &classes, &described).map_err(ApiError::internal)?;
    Ok(style)
}
