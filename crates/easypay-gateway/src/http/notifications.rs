//! A merchant's own notifications over HTTP, authenticated with HTTP Basic `mallId:secretKey`:
//! `GET /api/notifications`, `GET /api/notifications/{id}`, `POST /api/notifications/{id}/resend`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use easypay_api::ResCode;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::error::{json_response, ApiError};
use crate::app::AppState;
use crate::domain::merchant::Merchant;
use crate::store::merchants::{self, from_millis};
use crate::store::notifications::{self, DeliveryStatus, NotificationRecord};

const MAX_LIMIT: i64 = 500;

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let merchant = authenticate(&state, &headers).await?;
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(DeliveryStatus::parse(raw).ok_or_else(|| {
            ApiError::new(
                ResCode::FieldNotAllowedValue,
                format!(
                    "status: must be one of \"pending\", \"delivered\", \"failed\" (got {raw:?})"
                ),
            )
        })?),
    };
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_LIMIT);
    let rows = notifications::list(state.db.pool(), Some(&merchant.mall_id), status, limit).await?;
    let items: Vec<Value> = rows.iter().map(describe).collect();
    Ok(success(json!({"notifications": items})))
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let merchant = authenticate(&state, &headers).await?;
    let record = own_notification(&state, &merchant, &id).await?;
    let attempts: Vec<Value> = notifications::attempts(state.db.pool(), &id)
        .await?
        .into_iter()
        .map(|attempt| {
            json!({
                "attempt": attempt.attempt,
                "startedAt": from_millis(attempt.started_at).to_rfc3339(),
                "latencyMs": attempt.latency_ms,
                "httpStatus": attempt.http_status,
                "outcome": attempt.outcome,
                "responseExcerpt": attempt.response_excerpt,
            })
        })
        .collect();
    let mut described = describe(&record);
    described["attempts"] = Value::from(attempts);
    Ok(success(json!({"notification": described})))
}

pub async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let merchant = authenticate(&state, &headers).await?;
    own_notification(&state, &merchant, &id).await?;
    notifications::resend(state.db.pool(), &id, Utc::now()).await?;
    state.db.outbox_written().notify_one();
    Ok(success(
        json!({"id": id, "status": DeliveryStatus::Pending.as_str()}),
    ))
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

fn describe(record: &NotificationRecord) -> Value {
    let pending = record.status == DeliveryStatus::Pending.as_str();
    json!({
        "id": record.id,
        "kind": record.kind,
        "pgCno": record.pg_cno,
        "targetUrl": record.target_url,
        "status": record.status,
        "attemptCount": record.attempts_total,
        "createdAt": from_millis(record.created_at).to_rfc3339(),
        "nextAttemptAt": pending.then(|| from_millis(record.next_attempt_at).to_rfc3339()),
        "deliveredAt": record.delivered_at.map(|at| from_millis(at).to_rfc3339()),
        "body": serde_json::from_str::<Value>(&record.body).unwrap_or(Value::Null),
    })
}

fn success(mut body: Value) -> Response {
    body["resCd"] = Value::from(ResCode::Success.as_str());
    body["resMsg"] = Value::from("Success");
    json_response(200, body.to_string())
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
