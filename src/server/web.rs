//! The browser viewer: `/` (web/index.html), its files under `/web/` (including MapLibre GL JS
//! from web/node_modules, installed by scripts/setup-web.sh), and the MapLibre styles of
//! `styles/` at `/styles/{name}.json`, with `{origin}` replaced by the server's own origin so
//! that no request leaves it.

use super::ApiError;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
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

/// `GET /`: the viewer's page.
pub async fn index() -> Result<Html<String>, ApiError> {
    page("index.html").await
}

/// `GET /panorama?communes=...|dep=...`: the panorama page; it reads its query itself.
pub async fn panorama() -> Result<Html<String>, ApiError> {
    page("panorama.html").await
}

/// `GET /panorama/{name}`: the page of a named panorama; an unknown name is a 404 that still
/// shows the page, which says so and lists the known ones.
pub async fn panorama_preset(name: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let html = page("panorama.html").await?;
    let known = name.is_ok_and(|Path(n)| crate::analysis::panorama::preset(&n).is_some());
    let status = if known { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, html).into_response())
}

/// `GET /styles/{name}.json`: a MapLibre style with this server's origin filled in.
pub async fn style(headers: HeaderMap, name: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let Path(name) = name.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let stem = name.strip_suffix(".json").ok_or_else(|| ApiError::not_found(format!("styles are at /styles/{{name}}.json, not {name:?}")))?;
    if stem.is_empty() || !stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(ApiError::bad_request(format!("{stem:?} is not a style name (letters, digits, _ and -)")));
    }
    let text = tokio::fs::read_to_string(styles_dir().join(format!("{stem}.json")))
        .await
        .map_err(|_| ApiError::not_found(format!("no style {stem:?}")))?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let body = text.replace("{origin}", &format!("http://{host}"));
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
}
