//! Decisions 9–14: a `shopTransactionId` claimed inside the write transaction of its effect.

use chrono::{DateTime, Utc};
use easypay_api::{seoul_time, ResCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use super::merchant_gate::gate_on;
use super::retrieve;
use crate::app::AppState;
use crate::config::IdempotencyMode;
use crate::http::error::ApiError;
use crate::store::batch::{BatchJob, LockedRow, Ran, SectionFuture};
use crate::store::idempotency::{self, Claim, Endpoint, KeyScope, StoredResponse};
use crate::store::{StoreError, WriteTx};

/// The fingerprint of a parsed request: equal for retries whatever their key order or whitespace.
pub fn request_hash(request: &impl Serialize) -> String {
    let canonical = serde_json::to_vec(request).expect("parsed requests serialise");
    hex::encode(Sha256::digest(canonical))
}

/// A keyed request's effect: its writes (as of the given time) and the answer to record under its
/// key, in the same transaction; an `Err` writes nothing. It runs in a transaction the batcher may
/// share with other requests and may be rolled back and run again (alone, or after its key turned
/// out to be in use; see [`crate::store::batch`]), so it acts on nothing but the transaction.
pub type Effect<I> = for<'a> fn(
    &'a AppState,
    &'a mut WriteTx,
    &'a I,
    DateTime<Utc>,
) -> SectionFuture<'a, Result<StoredResponse, ApiError>>;

/// The key a request claims (decision 9: per `mallId`, endpoint and `shopTransactionId`).
pub struct Key {
    mall_id: String,
    endpoint: Endpoint,
    shop_transaction_id: String,
    /// The row the effect locks, if any (see [`LockedRow`]).
    locks: Option<LockedRow>,
    /// When the request arrived: the key's first use if it is new, which its day (and
    /// retrieveTransaction's date) follows, not the later moment its write runs.
    received_at: DateTime<Utc>,
}

impl Key {
    pub fn new(endpoint: Endpoint, mall_id: &str, shop_transaction_id: &str) -> Key {
        Key {
            mall_id: mall_id.to_owned(),
            endpoint,
            shop_transaction_id: shop_transaction_id.to_owned(),
            locks: None,
            received_at: crate::observe::received_at(),
        }
    }

    /// The key of a request whose effect locks `row` (`SELECT … FOR UPDATE`).
    pub fn locking(self, row: LockedRow) -> Key {
        Key {
            locks: Some(row),
            ..self
        }
    }

    fn scope(&self) -> KeyScope<'_> {
        KeyScope {
            mall_id: &self.mall_id,
            endpoint: self.endpoint,
            shop_transaction_id: &self.shop_transaction_id,
        }
    }
}

/// Claims `key` and makes `effect` on `input` in one transaction (decisions 9–14), batched with
/// other requests' (group commit). Returns once the answer is committed (and on disk), or the
/// stored answer of an earlier request with the same key and body.
pub async fn perform<I: Send + Sync + 'static>(
    state: &AppState,
    key: Key,
    request_hash: String,
    input: I,
    effect: Effect<I>,
) -> Result<StoredResponse, ApiError> {
    run_keyed(state, key, request_hash, input, effect, false).await
}

/// [`perform`] for a request that needs nothing of its merchant but that it is active, checked
/// first (`M001`, `M002`: nothing stored). For a merchant last found active, the check is made
/// inside the section: on SQLite by the writer, whose cache is warm, instead of a read transaction
/// of its own; on PostgreSQL in a shared batch by one statement for every section's merchant (see
/// [`crate::store::deferred`]). A statement or a transaction per request fewer.
pub async fn perform_for_active_merchant<I: Send + Sync + 'static>(
    state: &AppState,
    key: Key,
    request_hash: String,
    input: I,
    effect: Effect<I>,
) -> Result<StoredResponse, ApiError> {
    let in_section = state.seen_active.contains(&key.mall_id);
    if !in_section {
        let (mall_id, shop_transaction_id) = (&key.mall_id, &key.shop_transaction_id);
        let mut reader = state.db.read().await?;
        let merchant = gate_on(&mut reader, mall_id, Some(shop_transaction_id)).await?;
        state.seen_active.note(&merchant);
    }
    run_keyed(state, key, request_hash, input, effect, in_section).await
}

async fn run_keyed<I: Send + Sync + 'static>(
    state: &AppState,
    key: Key,
    request_hash: String,
    input: I,
    effect: Effect<I>,
    check_merchant: bool,
) -> Result<StoredResponse, ApiError> {
    // Until answered, a lookup of this key answers "still being processed".
    let _in_flight = if retrieve::RETRIEVABLE.contains(&key.endpoint) {
        let in_flight = &state.in_flight;
        Some(
            in_flight
                .enter(
                    &state.db,
                    &key.mall_id,
                    key.endpoint,
                    &key.shop_transaction_id,
                )
                .await,
        )
    } else {
        None
    };
    let (reply, answer) = oneshot::channel();
    let job = KeyedJob {
        state: state.clone(),
        key,
        request_hash,
        input,
        effect,
        check_merchant,
        key_in_use: false,
        outcome: None,
        reply,
    };
    state.db.run(Box::new(job)).await;
    answer
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("the write was abandoned")))
}

struct KeyedJob<I> {
    state: AppState,
    key: Key,
    request_hash: String,
    input: I,
    effect: Effect<I>,
    /// Whether the section checks that the merchant is active (the handler did not).
    check_merchant: bool,
    /// Set when the first run found the key already used: the next run claims it first.
    key_in_use: bool,
    outcome: Option<Result<StoredResponse, ApiError>>,
    reply: oneshot::Sender<Result<StoredResponse, ApiError>>,
}

impl<I: Send + Sync + 'static> BatchJob for KeyedJob<I> {
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, Ran> {
        Box::pin(async move {
            let now = Utc::now();
            if let Err(refused) = merchant_check(self, tx).await {
                self.outcome = Some(Err(refused));
                return Ran::Failed;
            }
            let outcome = if self.key_in_use {
                claim_then_write(self, tx, now).await
            } else {
                match write_then_record(self, tx, now).await {
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

    fn locks(&self) -> Option<&LockedRow> {
        self.key.locks.as_ref()
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

/// The merchant must be active before anything else: checked now, or (in a shared batch) with every
/// section's merchant when the batch inserts its rows, which sends this section back to run alone
/// if it is not.
async fn merchant_check<I>(job: &KeyedJob<I>, tx: &mut WriteTx) -> Result<(), ApiError> {
    if !job.check_merchant {
        return Ok(());
    }
    let (mall_id, key) = (&job.key.mall_id, &job.key.shop_transaction_id);
    if tx.defers_inserts() {
        tx.require_active_merchant(mall_id);
        return Ok(());
    }
    gate_on(tx, mall_id, Some(key)).await.inspect_err(|_| {
        job.state.seen_active.forget(mall_id);
    })?;
    Ok(())
}

/// The common case, a key used for the first time: the effect, then the key with its answer in one
/// statement. `None` if the key turns out to be in use: the effect must be rolled back.
async fn write_then_record<I>(
    job: &KeyedJob<I>,
    tx: &mut WriteTx,
    now: DateTime<Utc>,
) -> Result<Option<StoredResponse>, ApiError> {
    let response = (job.effect)(&job.state, tx, &job.input, now).await?;
    let first_used = job.key.received_at;
    let expires_at = seoul_time::key_expiry(first_used);
    let scope = job.key.scope();
    if tx.defers_inserts() {
        // A key in use turns up when the batch inserts its keys, and sends this section back.
        idempotency::insert_answered_at_commit(
            tx,
            &scope,
            &job.request_hash,
            &response,
            first_used,
            expires_at,
        );
        return Ok(Some(response));
    }
    let recorded = idempotency::insert_answered(
        tx,
        &scope,
        &job.request_hash,
        &response,
        first_used,
        expires_at,
    )
    .await?;
    Ok(recorded.then_some(response))
}

/// How long a key counts, as `D002`'s message says it: "today" would be wrong from 00:00 to 00:10.
const KEY_LIFE: &str = "a key counts until 00:10 Seoul time after the day of its first use";

/// A key seen before: claimed first, then replayed, refused, or (its day over) used again.
async fn claim_then_write<I>(
    job: &KeyedJob<I>,
    tx: &mut WriteTx,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let scope = job.key.scope();
    let first_used = job.key.received_at;
    let claim = idempotency::claim(
        tx,
        &scope,
        &job.request_hash,
        first_used,
        seoul_time::key_expiry(first_used),
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
    match (claim, job.state.settings.idempotency) {
        (Claim::New, IdempotencyMode::Standard | IdempotencyMode::Strict) => {
            let response = (job.effect)(&job.state, tx, &job.input, now).await?;
            idempotency::record(tx, &scope, &response).await?;
            Ok(response)
        }
        (Claim::SameRequest(stored), IdempotencyMode::Standard) => Ok(stored),
        (Claim::SameRequest(_), IdempotencyMode::Strict) => Err(duplicate(&format!(
            "duplicate request: this key was already used ({KEY_LIFE}; strict idempotency)"
        ))),
        (Claim::DifferentRequest, IdempotencyMode::Standard | IdempotencyMode::Strict) => {
            Err(duplicate(&format!(
                "already used for a different request ({KEY_LIFE}); use a new key for a new request"
            )))
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
