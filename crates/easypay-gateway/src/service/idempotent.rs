//! Decisions 9–14: a `shopTransactionId` claimed inside the write transaction of its effect.

use chrono::{DateTime, Utc};
use easypay_api::{seoul_time, ResCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::app::AppState;
use crate::config::IdempotencyMode;
use crate::http::error::ApiError;
use crate::store::batch::{BatchJob, Ran, SectionFuture};
use crate::store::idempotency::{self, Claim, KeyScope, StoredResponse};
use crate::store::{StoreError, WriteTx};

/// The fingerprint of a parsed request: equal for retries whatever their key order or whitespace.
pub fn request_hash(request: &impl Serialize) -> String {
    let canonical = serde_json::to_vec(request).expect("parsed requests serialise");
    hex::encode(Sha256::digest(canonical))
}

/// A keyed request's effect: its writes and the answer to record under its key, in the same
/// transaction. It runs in a transaction the batcher may share with other requests and may be rolled
/// back and run again (alone, or after its key turned out to be in use; see [`crate::store::batch`]),
/// so it acts on nothing but `tx`.
pub trait KeyedWrite: Send + Sync + 'static {
    /// The key this request claims.
    fn scope(&self) -> KeyScope<'_>;

    /// Makes the effect in `tx` (as of `now`) and returns the answer; an `Err` writes nothing.
    fn write<'a>(
        &'a self,
        state: &'a AppState,
        tx: &'a mut WriteTx,
        now: DateTime<Utc>,
    ) -> SectionFuture<'a, Result<StoredResponse, ApiError>>;
}

/// Claims the request's key and makes its effect in one transaction (decisions 9–14), batched with
/// other requests' (group commit). Returns once the answer is committed (and on disk), or the
/// stored answer of an earlier request with the same key and body.
pub async fn perform<W: KeyedWrite>(
    state: &AppState,
    request_hash: String,
    request: W,
) -> Result<StoredResponse, ApiError> {
    let (reply, answer) = oneshot::channel();
    let job = KeyedJob {
        state: state.clone(),
        request_hash,
        request,
        key_in_use: false,
        outcome: None,
        reply,
    };
    state.db.run(Box::new(job)).await;
    answer
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("the write was abandoned")))
}

struct KeyedJob<W> {
    state: AppState,
    request_hash: String,
    request: W,
    /// Set when the first run found the key already used: the next run claims it first.
    key_in_use: bool,
    outcome: Option<Result<StoredResponse, ApiError>>,
    reply: oneshot::Sender<Result<StoredResponse, ApiError>>,
}

impl<W: KeyedWrite> BatchJob for KeyedJob<W> {
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, Ran> {
        Box::pin(async move {
            let now = Utc::now();
            let outcome = if self.key_in_use {
                claim_then_write(&self.state, tx, &self.request, &self.request_hash, now).await
            } else {
                match write_then_record(&self.state, tx, &self.request, &self.request_hash, now)
                    .await
                {
                    Ok(Some(response)) => Ok(response),
                    Ok(None) => {
                        self.key_in_use = true;
                        return Ran::Again;
                    }
                    Err(error) => Err(error),
                }
            };
            let ran = if outcome.is_ok() {
                Ran::Succeeded
            } else {
                Ran::Failed
            };
            self.outcome = Some(outcome);
            ran
        })
    }

    fn deliver(self: Box<Self>, committed: Result<(), StoreError>) {
        let answer = match (committed, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Ok(()), None) => Err(ApiError::internal("a write was answered before it ran")),
            (Err(error), _) => Err(error.into()),
        };
        // The request may have gone away (client disconnected); its effect stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// The common case, a key used for the first time: the effect, then the key with its answer in one
/// statement. `None` if the key turns out to be in use: the effect must be rolled back.
async fn write_then_record<W: KeyedWrite>(
    state: &AppState,
    tx: &mut WriteTx,
    request: &W,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredResponse>, ApiError> {
    let response = request.write(state, tx, now).await?;
    let scope = request.scope();
    let expires_at = seoul_time::next_midnight(now);
    let recorded =
        idempotency::insert_answered(tx, &scope, request_hash, &response, now, expires_at).await?;
    Ok(recorded.then_some(response))
}

/// A key seen before: claimed first, then replayed, refused, or (its day over) used again.
async fn claim_then_write<W: KeyedWrite>(
    state: &AppState,
    tx: &mut WriteTx,
    request: &W,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let scope = request.scope();
    let claim = idempotency::claim(
        tx,
        &scope,
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
            let response = request.write(state, tx, now).await?;
            idempotency::record(tx, &scope, &response).await?;
            Ok(response)
        }
        (Claim::SameRequest(stored), IdempotencyMode::Standard) => Ok(stored),
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

/// A serialised answer with HTTP 200, ready to store and send.
pub fn answer(body: &impl Serialize) -> StoredResponse {
    StoredResponse {
        response_status: 200,
        response_body: serde_json::to_string(body).expect("responses serialise"),
    }
}
