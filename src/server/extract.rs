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
