//! The one error type of the HTTP layer. Every failure becomes the EasyPay envelope
//! (`resCd`, `resMsg`, plus echoed identifiers) with the HTTP status of decision 1.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use easypay_api::{FieldError, ResCode};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::observe::AnsweredCode;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    code: ResCode,
    message: String,
    echo: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(code: ResCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            echo: Vec::new(),
        }
    }

    /// Adds a request identifier to the answer (`shopTransactionId`, `mallId`, `pgCno`…).
    /// Echoing a field again replaces its value.
    pub fn echo(mut self, field: &'static str, value: impl Into<String>) -> Self {
        self.echo.retain(|(echoed, _)| *echoed != field);
        self.echo.push((field, value.into()));
        self
    }

    /// A fault of ours: logged in full here, answered without internals.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        ApiError::new(
            ResCode::InternalError,
            "internal error; nothing was committed, retry with the same shopTransactionId",
        )
    }

    pub fn code(&self) -> ResCode {
        self.code
    }

    /// The `resMsg`: what was refused and why, in the request's terms.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        ApiError::new(error.res_code(), error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::LockWaitExceeded => ApiError::new(
                ResCode::RequestInProgress,
                "shopTransactionId: a request with this key is still being processed; retry with the same key",
            ),
            StoreError::Database(error) => ApiError::internal(error),
            StoreError::Unsettled(_) => ApiError::internal(error),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::from(StoreError::classify(error))
    }
}

impl From<crate::store::payments::StoreReadError> for ApiError {
    fn from(error: crate::store::payments::StoreReadError) -> Self {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&Envelope(&self)).expect("error answers serialise");
        let mut response = json_response(self.code.http_status(), body);
        if let Some(code) = AnsweredCode::new(self.code.as_str()) {
            response.extensions_mut().insert(code);
        }
        // A 401 names the scheme it wants (RFC 9110): HTTP Basic, mallId and secret key.
        if response.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="easypay", charset="UTF-8""#),
            );
        }
        response
    }
}

/// The answer's fields in KICC's order: `resCd`, `resMsg`, then the echoed identifiers.
struct Envelope<'a>(&'a ApiError);

impl Serialize for Envelope<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let error = self.0;
        let mut map = serializer.serialize_map(Some(2 + error.echo.len()))?;
        map.serialize_entry("resCd", error.code.as_str())?;
        map.serialize_entry("resMsg", &error.message)?;
        for (field, value) in &error.echo {
            map.serialize_entry(field, value)?;
        }
        map.end()
    }
}

/// A JSON answer whose body is sent exactly as given (replays must be byte for byte).
pub fn json_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = AnsweredCode::from_body_prefix(&body);
    let mut response = (status, body).into_response();
    if let Some(code) = code {
        response.extensions_mut().insert(code);
    }
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
