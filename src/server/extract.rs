//! Extractors whose rejection is an [`ApiError`], so that handlers take their parameters
//! directly and a malformed query or path answers the same JSON 400 everywhere, instead of
//! each handler mapping axum's rejection by hand.

use super::ApiError;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The query string deserialised as `T`; a query that does not fit is a 400 with axum's text.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// The path parameters deserialised as `T`; parameters that do not fit are a 400 with axum's
/// text.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    struct Q {
        n: u32,
    }

    async fn status_and_error(uri: &str) -> (StatusCode, serde_json::Value) {
        let app = Router::new()
            .route("/q", get(|ApiQuery(q): ApiQuery<Q>| async move { q.n.to_string() }))
            .route("/p/{n}", get(|ApiPath(n): ApiPath<u32>| async move { n.to_string() }));
        let response = app.oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("answer");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn query_and_path_that_do_not_fit_are_json_400s_naming_the_problem() {
        assert_eq!(status_and_error("/q?n=7").await.0, StatusCode::OK);
        assert_eq!(status_and_error("/p/7").await.0, StatusCode::OK);
        // axum's own text, in our JSON error.
        for (uri, says) in [("/q?n=seven", "invalid digit"), ("/q", "missing field `n`"), ("/p/seven", "seven")] {
            let (status, body) = status_and_error(uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(body["status"], 400, "{uri}: {body}");
            let error = body["error"].as_str().unwrap_or("");
            assert!(error.contains(says), "{uri}: {error}");
        }
    }
}
