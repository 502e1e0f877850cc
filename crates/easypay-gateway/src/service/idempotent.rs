//! Decisions 9–14: a `shopTransactionId` claimed inside the write transaction of its effect.

use chrono::{DateTime, Utc};
use easypay_api::{seoul_time, ResCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::app::AppState;
use crate::config::IdempotencyMode;
use crate::http::error::ApiError;
use crate::store::batch::{BatchJob, SectionFuture};
use crate::store::idempotency::{self, Claim, KeyScope, StoredResponse};
use crate::store::{StoreError, WriteTx};

/// The fingerprint of a parsed request: equal for retries whatever their key order or whitespace.
pub fn request_hash(request: &impl Serialize) -> String {
    let canonical = serde_json::to_vec(request).expect("parsed requests serialise");
    hex::encode(Sha256::digest(canonical))
}

/// A keyed request's effect: the writes it makes once its key is claimed, and the answer to record
/// under the key. It runs in a transaction the batcher may share with other requests and, if that
/// transaction is rolled back, runs again alone (see [`crate::store::batch`]), so it acts on nothing
/// but `tx`.
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
        outcome: None,
        reply,
    };
    if state.db.submit(Box::new(job)).is_err() {
        return Err(ApiError::internal("the gateway is stopping"));
    }
    answer
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("the write was abandoned")))
}

struct KeyedJob<W> {
    state: AppState,
    request_hash: String,
    request: W,
    outcome: Option<Result<StoredResponse, ApiError>>,
    reply: oneshot::Sender<Result<StoredResponse, ApiError>>,
}

impl<W: KeyedWrite> BatchJob for KeyedJob<W> {
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, bool> {
        Box::pin(async move {
            let outcome = claim_and_write(
                &self.state,
                tx,
                &self.request,
                &self.request_hash,
                Utc::now(),
            )
            .await;
            let succeeded = outcome.is_ok();
            self.outcome = Some(outcome);
            succeeded
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

async fn claim_and_write<W: KeyedWrite>(
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
