//! The API's contract: an OpenAPI 3.1 description of every route of the router, served at
//! `GET /openapi.json` (and read by the documentation page, `GET /docs`). Each operation is
//! described by a `#[utoipa::path]` annotation beside its handler, and each typed answer by
//! `ToSchema` on its struct (answers built with `json!`, and library types, by
//! [`super::schemas`]); [`ApiDoc`] only lists them.
//!
//! Examples: each row of [`EXAMPLES`] is a request and the status it is answered with. It
//! becomes named examples of the document — the same name in the operation's parameters
//! (`examples`), request body and the response of that status — so that the page shows them
//! and `tests/http_openapi.rs` can replay every one against the router.

use super::schemas;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The operations and schemas of the document; their text lives beside the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "medatlas",
        description = "Medical density of French communes: general practitioners (GPs), ARS zoning, MSP sites, access indicators (DREES APL and the 2SFCA family), what-if scenarios and site suggestions, as JSON, CSV, GeoJSON and vector tiles. \
Every figure says what it is: real (a published source and its vintage, listed by /api/meta), estimated (near-retirement counts and travel times, flagged `*_estimated` and `travel_times`; scenarios, projections and our APL are computed), or synthetic (`synthetic_gp: true`, only when the server was started with generated GP counts). \
Errors are JSON: `{\"error\": \"...\", \"status\": 400}`. Human page: /docs.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        super::communes::health,
        super::communes::meta,
        super::communes::compare_official,
        super::communes::commune,
        super::communes::locate,
        super::search::search,
        super::search::departement,
        super::nearest::from_commune,
        super::indicators::commune,
        super::nearest::from_point,
        super::indicators::indicators,
        super::perimeter::basin,
        super::perimeter::perimeter,
        super::planner::create,
        super::planner::get,
        super::planner::impact,
        super::planner::suggest,
        super::projection::projection,
        super::panorama::panorama,
        super::reload::reload,
        super::web::index,
        super::web::panorama,
        super::web::panorama_preset,
        super::web::style,
        super::web::web_files,
        super::web::docs,
        super::tiles::catalog,
        super::tiles::tilejson,
        super::tiles::tile,
        super::metrics::metrics,
        openapi_json,
    ),
    components(schemas(super::error::ErrorBody, schemas::LevelName, schemas::CandidateName, schemas::LayerList, schemas::FormatName)),
    modifiers(&AdminToken),
    tags(
        (name = "atlas", description = "The atlas: its sources and panoramas"),
        (name = "communes", description = "Communes and départements: records, search, nearest MSP"),
        (name = "indicators", description = "Densities, access (APL), retirement projection, comparison with DREES"),
        (name = "planner", description = "What-if scenarios and site suggestions"),
        (name = "tiles", description = "Vector tiles, TileJSON and MapLibre styles"),
        (name = "viewer", description = "HTML pages and their files"),
        (name = "operations", description = "Health, metrics, reload, this contract"),
    ),
)]
pub struct ApiDoc;

/// The bearer token of `POST /admin/reload`.
struct AdminToken;

impl utoipa::Modify for AdminToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("The admin token (MEDATLAS_ADMIN_TOKEN or --admin-token-file)"))
            .build();
        components.add_security_scheme("admin_token", SecurityScheme::Http(scheme));
    }
}

/// One example: a request and the status it is answered with.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// Its name, shared by the parameters, the body and the response that describe it.
    pub name: &'static str,
    /// `get` or `post`.
    pub method: &'static str,
    /// The path as the document writes it (`/api/communes/{code}`).
    pub path: &'static str,
    /// The request: path and query, nothing to escape.
    pub uri: &'static str,
    /// The JSON body of a POST.
    pub body: Option<&'static str>,
    /// The status it is answered with.
    pub status: u16,
    /// What it shows.
    pub summary: &'static str,
}

impl Example {
    /// A GET of `uri`, described under `path`.
    const fn get(name: &'static str, path: &'static str, uri: &'static str, status: u16, summary: &'static str) -> Example {
        Example { name, method: "get", path, uri, body: None, status, summary }
    }

    /// A POST to `path` itself (no query) with a JSON body.
    const fn post(name: &'static str, path: &'static str, body: &'static str, status: u16, summary: &'static str) -> Example {
        Example { name, method: "post", path, uri: path, body: Some(body), status, summary }
    }
}

/// The examples of the document, on the embedded default atlas (former Auvergne).
pub const EXAMPLES: &[Example] = &[
    Example::get("ok", "/health", "/health", 200, "The server answers"),
    Example::get("auvergne", "/api/meta", "/api/meta", 200, "The embedded default atlas"),
    Example::get("montlucon", "/api/communes/{code}", "/api/communes/03185", 200, "Montluçon (Allier)"),
    Example::get("malformed", "/api/communes/{code}", "/api/communes/3185x", 400, "A malformed code: 400 with {error, status}"),
    Example::get("unknown", "/api/communes/{code}", "/api/communes/03999", 404, "A well-formed code naming no commune"),
    Example::get("montlucon", "/api/search", "/api/search?q=montlu", 200, "Communes whose name starts like Montluçon"),
    Example::get("limit_zero", "/api/search", "/api/search?q=montlu&limit=0", 400, "limit out of 1–50"),
    Example::get("montlucon", "/api/nearest-msp", "/api/nearest-msp?lon=2.6&lat=46.34&k=3", 200, "The 3 MSP nearest to a point in Montluçon"),
    Example::get("k_too_large", "/api/nearest-msp", "/api/nearest-msp?lon=2.6&lat=46.34&k=101", 400, "k out of 1–100"),
    Example::get("montlucon", "/api/locate", "/api/locate?lon=2.6&lat=46.34", 200, "The commune at a point"),
    Example::get("allier", "/api/departements/{code}", "/api/departements/03", 200, "Allier"),
    Example::get("allier", "/api/indicators", "/api/indicators?level=epci&dep=03", 200, "The EPCI of Allier"),
    Example::get("bad_level", "/api/indicators", "/api/indicators?level=canton", 400, "An unknown level"),
    Example::post("two_communes", "/api/indicators/basin", r#"{"name": "Montluçon et Domérat", "codes": ["03185", "03101"]}"#, 200, "A basin of two communes"),
    Example::post("both", "/api/indicators/basin", r#"{"codes": ["03185"], "polygon": {"type": "Polygon", "coordinates": [[[2.5, 46.3], [2.7, 46.3], [2.7, 46.4], [2.5, 46.3]]]}}"#, 400, "Both codes and polygon"),
    Example::post("retire_two", "/api/scenarios", r#"{"name": "Deux départs à Montluçon", "changes": [{"type": "retire", "commune": "03185", "gps": 2}]}"#, 201, "Two GPs of Montluçon retire"),
    Example::get("montlucon", "/api/panorama", "/api/panorama?preset=montlucon", 200, "The Montluçon panorama"),
    Example::get("montlucon", "/tiles/{layers}/{z}/{x}/{y}", "/tiles/communes/9/259/181.mvt", 200, "The communes around Montluçon at zoom 9"),
    Example::get("outside", "/tiles/{layers}/{z}/{x}/{y}", "/tiles/communes/1/2/0.mvt", 404, "A tile outside the grid of its zoom"),
    Example::get("communes", "/tiles/{name}", "/tiles/communes.json", 200, "TileJSON of the commune layer"),
    Example::get("this", "/openapi.json", "/openapi.json", 200, "This document"),
];

/// `GET /openapi.json`: this document (built once per process).
#[utoipa::path(get, path = "/openapi.json", summary = "This OpenAPI document", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json", body = inline(schemas::Object))))]
pub(super) async fn openapi_json() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| document().to_string());
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], text.clone()).into_response()
}

/// The document as JSON, with the [`EXAMPLES`] in place.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|e| json!({ "error": e.to_string() }));
    for example in EXAMPLES {
        add_example(&mut doc, example);
    }
    doc
}

/// Writes `example` into its operation: a named example for each parameter it gives, for the
/// body, and for the response of its status. An example whose operation or response is not
/// described is left out (the unit test below fails on it).
fn add_example(doc: &mut Value, example: &Example) {
    let Some(operation) = doc.pointer_mut(&format!("/paths/{}/{}", pointer_escape(example.path), example.method)) else { return };
    let (path, query) = example.uri.split_once('?').unwrap_or((example.uri, ""));
    let mut given: Vec<(&str, &str, &str)> = Vec::new(); // (in, name, value)
    for (template, value) in example.path.split('/').zip(path.split('/')) {
        if let Some(name) = template.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            given.push(("path", name, value));
        }
    }
    given.extend(query.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (name, value) = p.split_once('=').unwrap_or((p, ""));
        ("query", name, value)
    }));
    let named = |value: Value| json!({ "summary": example.summary, "value": value });
    if let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in parameters.iter_mut() {
            let found = given.iter().find(|(place, name, _)| p["in"] == *place && p["name"] == *name);
            if let (Some((_, _, value)), Some(p)) = (found, p.as_object_mut()) {
                // `example` and `examples` exclude each other: the named ones win.
                p.remove("example");
                let typed = typed_value(p.get("schema"), value);
                examples_of(p).insert(example.name.to_string(), named(typed));
            }
        }
    }
    if let Some(body) = example.body.and_then(|b| serde_json::from_str::<Value>(b).ok())
        && let Some(content) = operation.pointer_mut("/requestBody/content/application~1json").and_then(Value::as_object_mut)
    {
        examples_of(content).insert(example.name.to_string(), named(body));
    }
    if let Some(contents) = operation.pointer_mut(&format!("/responses/{}/content", example.status)).and_then(Value::as_object_mut) {
        // The example's answer is described by the response: JSON when it has several media types.
        let media = if contents.contains_key("application/json") { Some("application/json".to_string()) } else { contents.keys().next().cloned() };
        if let Some(content) = media.and_then(|m| contents.get_mut(&m)).and_then(Value::as_object_mut) {
            examples_of(content).insert(example.name.to_string(), json!({ "summary": example.summary, "description": format!("{} {}", example.method.to_uppercase(), example.uri) }));
        }
    }
}

/// The `examples` map of a parameter or media type, created when absent.
fn examples_of(object: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let slot = object.entry("examples").or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("made an object just above"),
    }
}

/// A parameter's example value typed as its schema says (`k=3` is the integer 3).
fn typed_value(schema: Option<&Value>, text: &str) -> Value {
    let kind = schema.and_then(|s| s.get("type")).and_then(|t| t.as_str().map(str::to_string).or_else(|| t.get(0).and_then(Value::as_str).map(str::to_string)));
    match kind.as_deref() {
        Some("integer") => text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(text)),
        Some("number") => text.parse::<f64>().ok().and_then(|x| serde_json::Number::from_f64(x).map(Value::Number)).unwrap_or_else(|| Value::from(text)),
        _ => Value::from(text),
    }
}

/// A path as one JSON pointer token (`/` is `~1`, `~` is `~0`).
fn pointer_escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_lands_in_its_operation_and_response() {
        let doc = document();
        for e in EXAMPLES {
            let operation = doc.pointer(&format!("/paths/{}/{}", pointer_escape(e.path), e.method)).unwrap_or_else(|| panic!("{e:?}: no such operation"));
            let contents = operation.pointer(&format!("/responses/{}/content", e.status)).and_then(Value::as_object);
            let named = contents.is_some_and(|c| c.values().any(|m| m.pointer(&format!("/examples/{}", e.name)).is_some()));
            assert!(named, "{e:?}: no response {} with content to hold it", e.status);
            let (path, query) = e.uri.split_once('?').unwrap_or((e.uri, ""));
            let params = operation["parameters"].as_array().map(Vec::as_slice).unwrap_or_default();
            let with_example = params.iter().filter(|p| p.pointer(&format!("/examples/{}", e.name)).is_some()).count();
            let given = e.path.matches('{').count() + query.split('&').filter(|p| !p.is_empty()).count();
            assert_eq!(with_example, given, "{e:?}: every parameter of {path}?{query} must be described");
        }
    }

    #[test]
    fn ranges_and_choices_are_those_the_handlers_check() {
        let doc = document();
        let param = |path: &str, name: &str| -> Value {
            let params = doc.pointer(&format!("/paths/{}/get/parameters", pointer_escape(path))).and_then(Value::as_array).cloned().unwrap_or_default();
            params.into_iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{path}: no parameter {name}"))
        };
        assert_eq!(param("/api/search", "limit")["schema"]["maximum"], super::super::search::MAX_LIMIT);
        assert_eq!(param("/api/search", "q")["schema"]["maxLength"], super::super::search::MAX_QUERY_CHARS);
        assert_eq!(param("/api/nearest-msp", "k")["schema"]["maximum"], crate::analysis::nearest::MAX_K);
        assert_eq!(param("/api/suggest", "k")["schema"]["maximum"], super::super::planner::MAX_SUGGEST_K);
        assert_eq!(param("/api/projection", "limit")["schema"]["maximum"], super::super::projection::MAX_ROW_LIMIT);
        assert_eq!(param("/api/projection", "years")["schema"]["maximum"], crate::analysis::projection::MAX_YEARS);
        assert_eq!(param("/tiles/{layers}/{z}/{x}/{y}", "z")["schema"]["maximum"], crate::tiles::grid::MAX_ZOOM);
        let levels = &doc["components"]["schemas"]["LevelName"]["enum"];
        assert_eq!(levels.as_array().map(Vec::len), Some(crate::analysis::density::Level::ALL.len()), "{levels}");
    }
}
