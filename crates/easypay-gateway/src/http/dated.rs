//! Requests that carry a request date (`approvalReqDate`, `cancelReqDate`, `removeReqDate`), which
//! must be today in Seoul, or yesterday until 00:10 (decision 5). A resend is judged by the moment
//! its key was first used: a request first sent at 00:09 with yesterday's date and resent at 00:11
//! gets its first answer again (decision 10), not `V015`, which would say that nothing was done.
//! So does the resend of a request whose key's day is over (first sent at 23:58, resent at 00:11):
//! with its old date it cannot be a new request, and `V015` would invite a second one.

use chrono::{DateTime, Utc};
use easypay_api::{FieldError, ResCode};
use serde::Serialize;
use serde_json::{Map, Value};

use super::body::refused;
use super::error::ApiError;
use crate::app::AppState;
use crate::config::IdempotencyMode;
use crate::service::idempotent::request_hash;
use crate::service::merchant_gate::gate_on;
use crate::store::idempotency::{self, Endpoint, KeyScope, StoredResponse};

type Body = Map<String, Value>;

/// A dated request, parsed; or the answer it already had.
pub enum Dated<R> {
    /// To perform (or, its key still in its day, to replay through its key).
    Request(R),
    /// The resend of a request whose key's day is over: its first answer again, nothing done.
    Answered(StoredResponse),
}

/// `parse` of `body` as of the request's arrival; a date no longer today passes only for the
/// resend of a request first sent while that date was valid.
pub async fn parse_dated<R: Serialize>(
    state: &AppState,
    body: &Body,
    endpoint: Endpoint,
    parse: impl Fn(&Body, DateTime<Utc>) -> Result<R, FieldError>,
) -> Result<Dated<R>, ApiError> {
    // The same moment the request's key is first used at (see `observe::received_at`).
    let now = crate::observe::received_at();
    let error = match parse(body, now) {
        Ok(request) => return Ok(Dated::Request(request)),
        Err(error) => error,
    };
    if error.res_code() == ResCode::RequestDateNotToday {
        if let Some(dated) = as_first_sent(state, body, endpoint, &parse, now).await? {
            return Ok(dated);
        }
    }
    Err(refused(body)(error))
}

/// The request as parsed when its key was first used, if it is the same request: to perform
/// while its key is in its day, answered from the key once that is over (strict idempotency keeps
/// no key past its day: there the resend is refused as a new request with an old date).
async fn as_first_sent<R: Serialize>(
    state: &AppState,
    body: &Body,
    endpoint: Endpoint,
    parse: &impl Fn(&Body, DateTime<Utc>) -> Result<R, FieldError>,
    now: DateTime<Utc>,
) -> Result<Option<Dated<R>>, ApiError> {
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
    let Some(first) = idempotency::first_use(&mut reader, &scope, now).await? else {
        return Ok(None);
    };
    let Some(request) = parse(body, first.at)
        .ok()
        .filter(|request| request_hash(request) == first.request_hash)
    else {
        return Ok(None);
    };
    if !first.expired {
        return Ok(Some(Dated::Request(request)));
    }
    match state.settings.idempotency {
        IdempotencyMode::Standard => {
            // An inactive merchant's resend is refused as its live requests are (M002).
            gate_on(&mut reader, mall_id, Some(shop_transaction_id)).await?;
            Ok(Some(Dated::Answered(first.answer)))
        }
        IdempotencyMode::Strict => Ok(None),
    }
}
