//! A merchant's own notifications over HTTP, authenticated with HTTP Basic `mallId:secretKey`:
//! `GET /api/notifications`, `GET /api/notifications/{id}`, `POST /api/notifications/{id}/resend`.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use easypay_api::{seoul_time, ResCode};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::body::{JsonObject, PathParams};
use super::error::{json_response, ApiError};
use crate::app::AppState;
use crate::domain::merchant::Merchant;
use crate::openapi::wire::{
    AttemptView, NotificationAnswer, NotificationListAnswer, NotificationView, ResendAnswer,
};
use crate::store::merchants::{self, from_millis};
use crate::store::notifications::{
    self, DeliveryStatus, NotificationRecord, Resent, VOIDED_APPROVAL_NOT_RESENT,
};

const MAX_LIMIT: i64 = 500;

/// `?status=…&limit=…`, read leniently (the last of repeated parameters counts; unknown ones are
/// ignored) so that every query gets the JSON envelope, never a bare framework rejection.
#[derive(Default)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
}

impl ListQuery {
    fn parse(raw: Option<&str>) -> Self {
        let mut query = ListQuery::default();
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "status" => query.status = Some(value.into_owned()),
                "limit" => query.limit = Some(value.into_owned()),
                _ => {}
            }
        }
        query
    }
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let merchant = authenticate(&state, &headers).await?;
    let query = ListQuery::parse(raw.as_deref());
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(DeliveryStatus::parse(raw).ok_or_else(|| {
            ApiError::new(
                ResCode::FieldNotAllowedValue,
                format!(
                    "status: must be one of \"pending\", \"delivered\", \"failed\", \"withdrawn\" (got {raw:?})"
                ),
            )
        })?),
    };
    let limit = match query.limit.as_deref() {
        None | Some("") => 50,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::new(
                    ResCode::FieldBadAmount,
                    format!("limit: must be an integer from 1 to {MAX_LIMIT} (got {raw:?})"),
                )
            })?,
    };
    let rows = notifications::list(state.db.pool(), Some(&merchant.mall_id), status, limit).await?;
    Ok(success(&NotificationListAnswer {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        notifications: rows.iter().map(describe).collect(),
    }))
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    let merchant = authenticate(&state, &headers).await?;
    let record = own_notification(&state, &merchant, &id).await?;
    let attempts = notifications::attempts(state.db.pool(), &id)
        .await?
        .into_iter()
        .map(|attempt| AttemptView {
            attempt: attempt.attempt,
            target_url: attempt.target_url,
            started_at: seoul_time::rfc3339(from_millis(attempt.started_at)),
            latency_ms: attempt.latency_ms,
            http_status: attempt.http_status,
            outcome: attempt.outcome,
            response_excerpt: attempt.response_excerpt,
        })
        .collect();
    let mut notification = describe(&record);
    notification.attempts = Some(attempts);
    Ok(success(&NotificationAnswer {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        notification,
    }))
}

pub async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
    // It takes no fields, but a body that is not a JSON object is refused as on every POST.
    _no_fields: Option<JsonObject>,
) -> Result<Response, ApiError> {
    let merchant = authenticate(&state, &headers).await?;
    own_notification(&state, &merchant, &id).await?;
    match notifications::resend(state.db.pool(), &id, Utc::now()).await? {
        Resent::Queued => {}
        Resent::PaymentVoided => {
            return Err(ApiError::new(
                ResCode::NotificationWithdrawn,
                format!("id: notification {id:?}: {VOIDED_APPROVAL_NOT_RESENT}"),
            ))
        }
        // Deleted between the look-up and the resend: nothing deletes notifications, but the
        // answer is the look-up's.
        Resent::NoSuchNotification => {
            return Err(ApiError::new(
                ResCode::NotificationNotFound,
                format!("id: no notification {id:?}"),
            ))
        }
    }
    state.db.outbox_written().notify_one();
    Ok(success(&ResendAnswer {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        id,
        status: DeliveryStatus::Pending.as_str().into(),
    }))
}

async fn own_notification(
    state: &AppState,
    merchant: &Merchant,
    id: &str,
) -> Result<NotificationRecord, ApiError> {
    notifications::find(state.db.pool(), id)
        .await?
        .filter(|record| record.mall_id == merchant.mall_id)
        .ok_or_else(|| {
            ApiError::new(
                ResCode::NotificationNotFound,
                format!("id: no notification {id:?}"),
            )
        })
}

fn describe(record: &NotificationRecord) -> NotificationView {
    let pending = record.status == DeliveryStatus::Pending.as_str();
    NotificationView {
        id: record.id.clone(),
        kind: record.kind.clone(),
        pg_cno: record.pg_cno.clone(),
        target_url: record.target_url.clone(),
        status: record.status.clone(),
        attempt_count: record.attempts_total,
        created_at: seoul_time::rfc3339(from_millis(record.created_at)),
        next_attempt_at: pending.then(|| seoul_time::rfc3339(from_millis(record.next_attempt_at))),
        delivered_at: record
            .delivered_at
            .map(|at| seoul_time::rfc3339(from_millis(at))),
        body: RawValue::from_string(record.body.clone())
            .unwrap_or_else(|_| RawValue::NULL.to_owned()),
        attempts: None,
    }
}

/// A success answer, `resCd` first (the types of [`crate::openapi::wire`] put it first).
fn success(body: &impl serde::Serialize) -> Response {
    json_response(200, serde_json::to_string(body).expect("answers serialise"))
}

/// The merchant named in `Authorization: Basic base64(mallId:secretKey)`, if the key matches.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Merchant, ApiError> {
    let refused = || {
        ApiError::new(
            ResCode::AuthenticationFailed,
            "Authorization: send HTTP Basic credentials mallId:secretKey of an active merchant",
        )
    };
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .ok_or_else(refused)?;
    let (mall_id, secret_key) = credentials.split_once(':').ok_or_else(refused)?;
    let merchant = merchants::find(state.db.pool(), mall_id)
        .await?
        .ok_or_else(refused)?;
    // Comparing digests keeps the comparison's time independent of where the keys differ.
    let matches =
        Sha256::digest(secret_key.as_bytes()) == Sha256::digest(merchant.secret_key.as_bytes());
    if !matches || !merchant.active {
        return Err(refused());
    }
    Ok(merchant)
}
