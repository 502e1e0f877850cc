//! Requests that carry a request date (`approvalReqDate`, `cancelReqDate`, `removeReqDate`), which
//! must be today in Seoul, or yesterday until 00:10 (decision 5). A resend is judged by the moment
//! its key was first used: a request first sent at 00:09 with yesterday's date and resent at 00:11
//! gets its first answer again (decision 10), not `V015`, which would say that nothing was done.

use chrono::{DateTime, Utc};
use easypay_api::{FieldError, ResCode};
use serde::Serialize;
use serde_json::{Map, Value};

use super::body::refused;
use super::error::ApiError;
use crate::app::AppState;
use crate::service::idempotent::request_hash;
use crate::store::idempotency::{self, Endpoint, KeyScope};

type Body = Map<String, Value>;

/// `parse` of `body` as of now; a date no longer today passes only for the resend of a request
/// whose key, still in its day, was first used while that date was valid.
pub async fn parse_dated<R: Serialize>(
    state: &AppState,
    body: &Body,
    endpoint: Endpoint,
    parse: impl Fn(&Body, DateTime<Utc>) -> Result<R, FieldError>,
) -> Result<R, ApiError> {
    let now = Utc::now();
    let error = match parse(body, now) {
        Ok(request) => return Ok(request),
        Err(error) => error,
    };
    if error.res_code() == ResCode::RequestDateNotToday {
        if let Some(request) = as_first_sent(state, body, endpoint, &parse, now).await? {
            return Ok(request);
        }
    }
    Err(refused(body)(error))
}

/// The request as parsed when its key was first used, if it is the same request.
async fn as_first_sent<R: Serialize>(
    state: &AppState,
    body: &Body,
    endpoint: Endpoint,
    parse: &impl Fn(&Body, DateTime<Utc>) -> Result<R, FieldError>,
    now: DateTime<Utc>,
) -> Result<Option<R>, ApiError> {
    let text = |field: &str| body.get(field).and_then(Value::as_str);
    let (Some(mall_id), Some(shop_transaction_id)) = (text("mallId"), text("shopTransactionId"))
    else {
        return Ok(None);
    };
    let scope = KeyScope {
        mall_id,
        endpoint,
        shop_transaction_id,
    };
    let mut reader = state.db.read().await?;
    let Some((first_used, hash)) = idempotency::first_use(&mut reader, &scope, now).await? else {
        return Ok(None);
    };
    Ok(parse(body, first_used)
        .ok()
        .filter(|request| request_hash(request) == hash))
}
