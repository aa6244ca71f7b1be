//! JSON errors with a status that fits.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

/// The JSON body of every error answer: `{"error": "...", "status": 400}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words (English), naming the parameter or the code at fault.
    pub error: String,
    /// The HTTP status, repeated for clients that only keep the body.
    pub status: u16,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.message, status: self.status.as_u16() };
        (self.status, Json(body)).into_response()
    }
}

/// A JSON body axum could not take, as our error: 413 too large, 415 not JSON, 400 for syntax
/// and for a body of the wrong shape (axum says 422; the API's convention for a bad parameter
/// is 400). `what` names the body in the message ("scenario body"), or nothing when empty.
pub(super) fn json_body_error(e: axum::extract::rejection::JsonRejection, what: &str) -> ApiError {
    let status = match e.status() {
        StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
        s => s,
    };
    let text = e.body_text();
    ApiError::new(status, if what.is_empty() { text } else { format!("{what}: {text}") })
}

/// 405 with an `Allow` header and a JSON body (axum's own 405 has an empty body).
pub(super) fn method_not_allowed(allow: &'static str, route: &str) -> Response {
    let error = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{route} answers {allow} only"));
    ([(axum::http::header::ALLOW, axum::http::HeaderValue::from_static(allow))], error).into_response()
}
