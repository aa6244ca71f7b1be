//! Request helpers shared by the HTTP tests: the router driven in-process (no socket).
//! Each test file keeps its own atlas (`AppState`) and passes it in.
#![allow(dead_code)] // each test file uses some of these

pub mod registry;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use medatlas::server::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

/// A response, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request to a router over `state`.
pub async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let response = router(state.clone()).oneshot(request).await.expect("answer");
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    Answer { status, content_type, headers, body }
}

/// `GET uri`.
pub async fn get(state: &AppState, uri: &str) -> Answer {
    send(state, Request::get(uri).body(Body::empty()).expect("request")).await
}

/// `POST uri` with a JSON body.
pub async fn post_json(state: &AppState, uri: &str, body: &Value) -> Answer {
    let request = Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).expect("request");
    send(state, request).await
}

/// `GET uri` with extra headers.
pub async fn get_with(state: &AppState, uri: &str, headers: &[(header::HeaderName, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    send(state, request.body(Body::empty()).expect("request")).await
}

/// `GET uri`: its status and its body as JSON (panics with the body when it is not JSON).
pub async fn get_json(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let answer = get(state, uri).await;
    (answer.status, answer.json())
}

/// One request: its status and its body as JSON (panics with the body when it is not JSON).
pub async fn send_json(state: &AppState, request: Request<Body>) -> (StatusCode, Value) {
    let answer = send(state, request).await;
    (answer.status, answer.json())
}

/// Asserts that each `GET uri` is answered with `status` and a JSON error `{error, status}`
/// whose message contains `says`.
pub async fn assert_json_errors(state: &AppState, cases: &[(impl AsRef<str>, StatusCode, &str)]) {
    for (uri, status, says) in cases {
        let (uri, status) = (uri.as_ref(), *status);
        let (got, body) = get_json(state, uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(body["status"], status.as_u16(), "{uri}: {body}");
        let error = body["error"].as_str().unwrap_or("");
        assert!(error.contains(says), "{uri}: {error:?} should say {says:?}");
    }
}

/// Asserts that the commune layer's TileJSON lists under `medatlas:fields_on_request.{kind}`
/// exactly the attribute names a tile asked for with that kind (`scenario`, `projection`)
/// carries beyond the layer's own `fields`; `carried` are the names decoded from such a tile.
pub async fn assert_fields_on_request<'a>(state: &AppState, kind: &str, carried: impl Iterator<Item = &'a String>) {
    use std::collections::BTreeSet;
    let (status, tilejson) = get_json(state, "/tiles/communes.json").await;
    assert_eq!(status, StatusCode::OK);
    let layer = &tilejson["vector_layers"][0];
    let names = |v: &Value| -> BTreeSet<String> { v.as_object().expect("an object of fields").keys().cloned().collect() };
    let own = names(&layer["fields"]);
    let added: BTreeSet<String> = carried.filter(|k| !own.contains(*k)).cloned().collect();
    assert_eq!(added, names(&layer["medatlas:fields_on_request"][kind]["fields"]), "fields of a {kind} tile beyond the layer's own");
}
