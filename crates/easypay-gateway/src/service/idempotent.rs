//! Decisions 9–14: a `shopTransactionId` claimed inside the write transaction of its effect.

use chrono::{DateTime, Utc};
use easypay_api::{seoul_time, ResCode};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::config::IdempotencyMode;
use crate::http::error::ApiError;
use crate::store::idempotency::{self, Claim, KeyScope, StoredResponse};
use crate::store::WriteTx;

/// The fingerprint of a parsed request: equal for retries whatever their key order or whitespace.
pub fn request_hash(request: &impl Serialize) -> String {
    let canonical = serde_json::to_vec(request).expect("parsed requests serialise");
    hex::encode(Sha256::digest(canonical))
}

/// What to do with a request after its key was claimed.
pub enum Proceed {
    /// First use of the key today: perform the effect in this transaction, then [`finish`].
    Perform(WriteTx),
    /// The answer to give again, unchanged (its transaction was dropped, so nothing is written).
    Replay(StoredResponse),
}

/// Opens the request's write transaction and claims its key in it (decisions 9–14).
pub async fn begin(
    state: &AppState,
    scope: &KeyScope<'_>,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Proceed, ApiError> {
    let mut tx = state.db.begin_write().await?;
    let claim = idempotency::claim(
        &mut tx,
        scope,
        request_hash,
        now,
        seoul_time::next_midnight(now),
    )
    .await?;
    let duplicate = |message: &str| {
        ApiError::new(
            ResCode::DuplicateRequest,
            format!("shopTransactionId: {message}"),
        )
        .echo("shopTransactionId", scope.shop_transaction_id)
        .echo("mallId", scope.mall_id)
    };
    match (claim, state.settings.idempotency) {
        (Claim::New, IdempotencyMode::Standard | IdempotencyMode::Strict) => {
            Ok(Proceed::Perform(tx))
        }
        (Claim::SameRequest(stored), IdempotencyMode::Standard) => Ok(Proceed::Replay(stored)),
        (Claim::SameRequest(_), IdempotencyMode::Strict) => Err(duplicate(
            "duplicate request: this key was already used today (strict idempotency)",
        )),
        (Claim::DifferentRequest, IdempotencyMode::Standard | IdempotencyMode::Strict) => {
            Err(duplicate(
                "already used today for a different request; use a new key for a new request",
            ))
        }
    }
}

/// Records `response` under the key and commits it together with the effect.
pub async fn finish(
    mut tx: WriteTx,
    scope: &KeyScope<'_>,
    response: StoredResponse,
) -> Result<StoredResponse, ApiError> {
    idempotency::record(&mut tx, scope, &response).await?;
    tx.commit().await?;
    Ok(response)
}

/// A serialised answer with HTTP 200, ready to store and send.
pub fn answer(body: &impl Serialize) -> StoredResponse {
    StoredResponse {
        response_status: 200,
        response_body: serde_json::to_string(body).expect("responses serialise"),
    }
}
