//! The request body of every API call: a JSON object, at most [`MAX_BODY_BYTES`].

use axum::body::Bytes;
use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::StatusCode;
use easypay_api::values::{MallId, ShopTransactionId};
use easypay_api::{FieldError, ResCode};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::unique_keys::UniqueKeys;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A body that parsed as a JSON object. Content-Type is not checked: the body decides.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse(&read(request, state).await?)
    }
}

/// An empty body is `None` (sandbox actions take an optional body).
impl<S: Send + Sync> OptionalFromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let bytes = read(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        parse(&bytes).map(Some)
    }
}

async fn read<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ResCode::BodyTooLarge,
                    format!("body: at most {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::new(ResCode::MalformedBody, "body: could not be read")
            }
        })
}

/// A leading UTF-8 byte-order mark is skipped: some Windows and .NET clients send one.
fn parse(bytes: &[u8]) -> Result<JsonObject, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match serde_json::from_slice::<UniqueKeys>(bytes).map(|UniqueKeys(value)| value) {
        Ok(Value::Object(map)) => Ok(JsonObject(map)),
        Ok(_) => Err(ApiError::new(
            ResCode::MalformedBody,
            "body: must be a JSON object",
        )),
        Err(error) => Err(ApiError::new(
            ResCode::MalformedBody,
            format!("body: not valid JSON ({error})"),
        )),
    }
}

/// Turns a broken field rule of `body` into its answer, echoing `shopTransactionId` and `mallId`
/// when the body carried them readable (non-empty and valid by their own rules), so that the
/// merchant can match the refusal to its request even when another field broke a rule.
pub fn refused(body: &Map<String, Value>) -> impl FnOnce(FieldError) -> ApiError + '_ {
    move |error| {
        let text = |field: &str| {
            body.get(field)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
        };
        let mut refusal = ApiError::from(error);
        let key = text("shopTransactionId")
            .filter(|raw| ShopTransactionId::parse("shopTransactionId", raw).is_ok());
        if let Some(key) = key {
            refusal = refusal.echo("shopTransactionId", key);
        }
        if let Some(mall_id) = text("mallId").filter(|raw| MallId::parse("mallId", raw).is_ok()) {
            refusal = refusal.echo("mallId", mall_id);
        }
        refusal
    }
}

/// Path parameters whose rejection (e.g. percent-encoding that is not UTF-8) is the JSON envelope
/// (`E404`), like every other answer of the API.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S>
    for PathParams<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(params)| PathParams(params))
            .map_err(|rejection| {
                ApiError::new(
                    ResCode::UnknownPath,
                    format!("path: {}", rejection.body_text()),
                )
            })
    }
}
