//! The one error type of the HTTP layer. Every failure becomes the EasyPay envelope
//! (`resCd`, `resMsg`, plus echoed identifiers) with the HTTP status of decision 1.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use easypay_api::{FieldError, ResCode};
use serde_json::{Map, Value};

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
    pub fn echo(mut self, field: &'static str, value: impl Into<String>) -> Self {
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
        let mut body = Map::new();
        body.insert("resCd".into(), Value::from(self.code.as_str()));
        body.insert("resMsg".into(), Value::from(self.message));
        for (field, value) in self.echo {
            body.insert(field.into(), Value::from(value));
        }
        let mut response = json_response(self.code.http_status(), Value::Object(body).to_string());
        if let Some(code) = AnsweredCode::new(self.code.as_str()) {
            response.extensions_mut().insert(code);
        }
        response
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
