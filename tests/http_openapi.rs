//! The API's contract (`GET /openapi.json`) against the router, in-process on the embedded
//! default: every route of `src/server/routes.rs` is described with its methods (and nothing
//! else is), every described operation is routed, and every named example of the document is
//! answered with its status and, for JSON, with the fields its schema requires.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use medatlas::atlas::Atlas;
use medatlas::server::AppState;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Atlas::load_default().expect("default loads"))).clone()
}

async fn document() -> Value {
    let answer = common::get(&state(), "/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type.starts_with("application/json"), "{}", answer.content_type);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    doc
}

/// The routes of `routes.rs`: `.route("path", <methods>)` and `.nest_service("prefix", …)`, the
/// latter as the document writes it (`prefix/{path}`, GET). Methods are the `get(`/`post(`…
/// calls of the route's method router (`.fallback(` answers other methods with a 405).
fn routes_in_source() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/server/routes.rs")).expect("routes.rs");
    let mut found = BTreeSet::new();
    for (call, nested) in [(".route(", false), (".nest_service(", true)] {
        let mut rest = text.as_str();
        while let Some(at) = rest.find(call) {
            let args = &rest[at + call.len()..];
            let end = closing_paren(args).unwrap_or_else(|| panic!("unbalanced {call} in routes.rs"));
            let args = &args[..end];
            let path = args.split('"').nth(1).unwrap_or_else(|| panic!("{call} without a literal path: {args}")).to_string();
            if nested {
                found.insert((format!("{path}/{{path}}"), "get".to_string()));
            } else {
                for method in ["get", "post", "put", "delete", "patch"] {
                    let called = args.match_indices(&format!("{method}(")).any(|(i, _)| {
                        let before = args[..i].chars().last();
                        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    });
                    if called {
                        found.insert((path.clone(), method.to_string()));
                    }
                }
            }
            rest = &rest[at + call.len() + end..];
        }
    }
    found
}

/// Where the parenthesis opened just before `text` closes (strings skipped).
fn closing_paren(text: &str) -> Option<usize> {
    let (mut depth, mut in_string) = (1usize, false);
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                out.insert((path.clone(), method.to_string()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_route_of_the_router_is_described_and_nothing_else() {
    let doc = document().await;
    let routed = routes_in_source();
    assert!(routed.len() >= 30, "only {} routes read from routes.rs: {routed:?}", routed.len());
    let described = operations(&doc);
    let missing: Vec<_> = routed.difference(&described).collect();
    let extra: Vec<_> = described.difference(&routed).collect();
    assert!(missing.is_empty(), "routes of the router missing from /openapi.json (annotate the handler and list it in server/openapi.rs): {missing:?}");
    assert!(extra.is_empty(), "operations of /openapi.json the router does not route: {extra:?}");
    let mut ids = BTreeSet::new();
    for (path, method) in &described {
        let id = doc["paths"][path][method]["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(ids.insert(id.to_string()), "operationId {id} is not unique ({method} {path})");
    }
}

/// The reading of routes.rs above, checked on the router itself: every described operation is
/// answered by a route (never the router's "no such route" fallback, nor a 405).
#[tokio::test]
async fn every_described_operation_is_routed() {
    let doc = document().await;
    for (path, method) in operations(&doc) {
        let uri = path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        let request = Request::builder().method(method.to_uppercase().as_str()).uri(&uri).body(Body::empty()).expect("request");
        let answer = common::send(&state(), request).await;
        assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        assert_ne!(body["error"], "no such route", "{method} {uri} fell through to the fallback");
    }
}

/// Percent-encodes what a query value may not hold as is.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn as_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// A schema with its `$ref`s followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("dangling $ref {r}"))),
        None => schema,
    }
}

/// The fields a schema requires of an object (through `allOf`, as a flattened struct is).
fn required(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = resolve(doc, schema);
    let mut out: BTreeSet<String> = schema["required"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        out.extend(required(doc, part));
    }
    out
}

/// One named example: its request and what the document says of its answer.
struct Case {
    name: String,
    method: String,
    uri: String,
    body: Option<Value>,
    status: u16,
    media_type: String,
    schema: Option<Value>,
}

fn cases(doc: &Value) -> Vec<Case> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(responses) = operation["responses"].as_object() else { continue };
            for (status, response) in responses {
                for (media_type, content) in response["content"].as_object().into_iter().flatten() {
                    for name in content["examples"].as_object().into_iter().flatten().map(|(n, _)| n) {
                        let params = operation["parameters"].as_array().cloned().unwrap_or_default();
                        let value = |p: &Value| p.pointer(&format!("/examples/{name}/value")).map(as_text);
                        let mut uri = path.clone();
                        let mut query = Vec::new();
                        for p in &params {
                            match (p["in"].as_str(), value(p)) {
                                (Some("path"), Some(v)) => uri = uri.replace(&format!("{{{}}}", as_text(&p["name"])), &v),
                                (Some("query"), Some(v)) => query.push(format!("{}={}", as_text(&p["name"]), encode(&v))),
                                (_, None) if p["required"] == true => panic!("{method} {path}: example {name} gives no {}", p["name"]),
                                _ => {}
                            }
                        }
                        if !query.is_empty() {
                            uri = format!("{uri}?{}", query.join("&"));
                        }
                        let body = operation.pointer(&format!("/requestBody/content/application~1json/examples/{name}/value")).cloned();
                        out.push(Case {
                            name: name.clone(),
                            method: method.clone(),
                            uri,
                            body,
                            status: status.parse().unwrap_or_else(|_| panic!("{path}: status {status}")),
                            media_type: media_type.clone(),
                            schema: content.get("schema").cloned(),
                        });
                    }
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn every_example_is_answered_as_described() {
    let doc = document().await;
    let cases = cases(&doc);
    assert!(cases.len() >= 15, "only {} examples", cases.len());
    assert!(cases.iter().any(|c| c.status == 400), "no 400 example");
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for case in &cases {
        let mut request = Request::builder().method(case.method.to_uppercase().as_str()).uri(&case.uri);
        let body = match &case.body {
            Some(b) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(b.to_string())
            }
            None if case.method == "post" => panic!("{} {}: example {} has no body", case.method, case.uri, case.name),
            None => Body::empty(),
        };
        let answer = common::send(&state(), request.body(body).expect("request")).await;
        let what = format!("{} {} (example {})", case.method, case.uri, case.name);
        assert_eq!(answer.status.as_u16(), case.status, "{what}: {}", answer.text());
        *by_status.entry(case.status).or_default() += 1;
        let documented = case.media_type.split(';').next().unwrap_or("").trim();
        let given = answer.content_type.split(';').next().unwrap_or("").trim();
        assert_eq!(given, documented, "{what}: content type");
        if documented == "application/json" {
            let json = answer.json();
            let object = json.as_object().unwrap_or_else(|| panic!("{what}: not a JSON object: {json}"));
            let schema = case.schema.as_ref().unwrap_or_else(|| panic!("{what}: JSON without a schema"));
            for field in required(&doc, schema) {
                assert!(object.contains_key(&field), "{what}: required field {field} missing from {json}");
            }
            if case.status >= 400 {
                assert_eq!(json["status"], case.status, "{what}: {json}");
            }
        }
    }
    assert!(by_status.contains_key(&200) && by_status.contains_key(&404), "{by_status:?}");
}

/// The page and its document name no other origin; the page is served in French first.
#[tokio::test]
async fn docs_page_reads_this_servers_document_from_local_assets() {
    let answer = common::get(&state(), "/docs").await;
    assert_eq!(answer.status, StatusCode::OK);
    let html = answer.text();
    assert!(html.contains("lang=\"fr\""), "{html}");
    assert!(html.contains("/web/node_modules/swagger-ui-dist/swagger-ui-bundle.js"), "{html}");
    assert!(html.contains("/web/docs.js"), "{html}");
    let doc = common::get(&state(), "/openapi.json").await.text();
    for needle in ["http://", "https://"] {
        assert!(!doc.contains(needle), "/openapi.json names an address: {needle}");
    }
}
