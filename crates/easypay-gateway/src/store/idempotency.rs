//! The `idempotency_keys` table: one row per (`mallId`, endpoint, `shopTransactionId`), written in
//! the same transaction as the effect it records, so a key and its effect exist together or not at
//! all. A key reused after its day moves its earlier answer to `idempotency_replaced`.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::deferred::{self, OneRowInsert, Table, Value};
use super::{Conn, WriteTx};

/// Which endpoint a key belongs to (decision 9 scopes keys per endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    WechatCreate,
    WechatFind,
    BillingKeyIssue,
    CardBatchApproval,
    BillingKeyRemove,
    CardRevise,
    WechatRevise,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::WechatCreate => "wechat.create",
            Endpoint::WechatFind => "wechat.find",
            Endpoint::WechatRevise => "wechat.revise",
            Endpoint::BillingKeyIssue => "billing.issue",
            Endpoint::CardBatchApproval => "card.batch",
            Endpoint::BillingKeyRemove => "billing.remove",
            Endpoint::CardRevise => "card.revise",
        }
    }
}

pub struct KeyScope<'a> {
    pub mall_id: &'a str,
    pub endpoint: Endpoint,
    pub shop_transaction_id: &'a str,
}

/// A response as it was sent: replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StoredResponse {
    pub response_status: i64,
    pub response_body: String,
}

#[derive(FromRow)]
struct ExistingKey {
    request_hash: String,
    response_status: i64,
    response_body: String,
}

pub enum Claim {
    /// The key is new (or its day is over): go ahead, then [`record`] the answer.
    New,
    /// The key was used today for a request with this hash.
    SameRequest(StoredResponse),
    /// The key was used today for a different request.
    DifferentRequest,
}

/// Claims a key inside the caller's write transaction. On PostgreSQL a concurrent claim of the same
/// key waits here until the first transaction ends, then sees its answer.
pub async fn claim(
    conn: &mut Conn,
    scope: &KeyScope<'_>,
    request_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Claim, sqlx::Error> {
    let now_ms = now.timestamp_millis();
    // The earlier day's answer stays findable by retrieveTransaction once the key is reused.
    sqlx::query(
        "INSERT INTO idempotency_replaced \
         (mall_id, endpoint, shop_transaction_id, request_hash, response_status, response_body, created_at, expires_at) \
         SELECT mall_id, endpoint, shop_transaction_id, request_hash, response_status, response_body, created_at, expires_at \
         FROM idempotency_keys \
         WHERE mall_id = $1 AND endpoint = $2 AND shop_transaction_id = $3 AND expires_at <= $4 \
         AND response_status <> 0",
    )
    .bind(scope.mall_id)
    .bind(scope.endpoint.as_str())
    .bind(scope.shop_transaction_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys \
         (mall_id, endpoint, shop_transaction_id, request_hash, response_status, response_body, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, 0, '', $5, $6) \
         ON CONFLICT (mall_id, endpoint, shop_transaction_id) DO UPDATE SET \
         request_hash = excluded.request_hash, response_status = 0, response_body = '', \
         created_at = excluded.created_at, expires_at = excluded.expires_at \
         WHERE idempotency_keys.expires_at <= excluded.created_at",
    )
    .bind(scope.mall_id)
    .bind(scope.endpoint.as_str())
    .bind(scope.shop_transaction_id)
    .bind(request_hash)
    .bind(now_ms)
    .bind(expires_at.timestamp_millis())
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let existing: ExistingKey = sqlx::query_as(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys \
         WHERE mall_id = $1 AND endpoint = $2 AND shop_transaction_id = $3",
    )
    .bind(scope.mall_id)
    .bind(scope.endpoint.as_str())
    .bind(scope.shop_transaction_id)
    .fetch_one(&mut *conn)
    .await?;
    if existing.request_hash == request_hash {
        Ok(Claim::SameRequest(StoredResponse {
            response_status: existing.response_status,
            response_body: existing.response_body,
        }))
    } else {
        Ok(Claim::DifferentRequest)
    }
}

/// The head of a key's `INSERT`, before its `VALUES`.
pub(super) const INSERT_INTO: &str = "INSERT INTO idempotency_keys \
    (mall_id, endpoint, shop_transaction_id, request_hash, response_status, response_body, created_at, expires_at)";

/// A key already there, even one whose day is over, is a conflict: the insert does nothing and the
/// request goes to [`claim`], which keeps the earlier answer before it reuses the key.
const ON_CONFLICT_KEEP: &str = "ON CONFLICT (mall_id, endpoint, shop_transaction_id) DO NOTHING";

/// The same, telling which keys went in.
pub(super) const ON_CONFLICT_KEEP_RETURNING: &str =
    "ON CONFLICT (mall_id, endpoint, shop_transaction_id) DO NOTHING \
     RETURNING mall_id AS c0, endpoint AS c1, shop_transaction_id AS c2";

/// A key with its answer, in [`INSERT_INTO`]'s order.
fn answered_values(
    scope: &KeyScope<'_>,
    request_hash: &str,
    response: &StoredResponse,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Vec<Value> {
    vec![
        Value::Text(scope.mall_id.to_owned()),
        Value::Text(scope.endpoint.as_str().to_owned()),
        Value::Text(scope.shop_transaction_id.to_owned()),
        Value::Text(request_hash.to_owned()),
        Value::Integer(response.response_status),
        Value::Text(response.response_body.clone()),
        Value::Integer(now.timestamp_millis()),
        Value::Integer(expires_at.timestamp_millis()),
    ]
}

/// Leaves the key with its answer for the batch to insert with others' before it commits (see
/// [`WriteTx::defers_inserts`]); a key in use sends this section back to run alone, where
/// [`insert_answered`] tells, and then [`claim`].
pub fn insert_answered_at_commit(
    tx: &mut WriteTx,
    scope: &KeyScope<'_>,
    request_hash: &str,
    response: &StoredResponse,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) {
    let identity = vec![
        scope.mall_id.to_owned(),
        scope.endpoint.as_str().to_owned(),
        scope.shop_transaction_id.to_owned(),
    ];
    let values = answered_values(scope, request_hash, response, now, expires_at);
    tx.defer_insert(Table::IdempotencyKeys, identity, values);
}

/// Stores the key with its answer in one statement, after the effect: `false` if the key is already
/// there (then the effect must be rolled back and the request handled by [`claim`]).
/// On PostgreSQL a concurrent use of the same key waits here until the first transaction ends.
pub async fn insert_answered(
    conn: &mut Conn,
    scope: &KeyScope<'_>,
    request_hash: &str,
    response: &StoredResponse,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    static INSERT_ONE: OneRowInsert = OneRowInsert::new(INSERT_INTO, ON_CONFLICT_KEEP);
    let values = answered_values(scope, request_hash, response, now, expires_at);
    let inserted = sqlx::query_with(INSERT_ONE.sql(values.len()), deferred::arguments(&values)?)
        .execute(&mut *conn)
        .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Stores the answer for a key claimed in this transaction.
pub async fn record(
    conn: &mut Conn,
    scope: &KeyScope<'_>,
    response: &StoredResponse,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys SET response_status = $1, response_body = $2 \
         WHERE mall_id = $3 AND endpoint = $4 AND shop_transaction_id = $5",
    )
    .bind(response.response_status)
    .bind(&response.response_body)
    .bind(scope.mall_id)
    .bind(scope.endpoint.as_str())
    .bind(scope.shop_transaction_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A key that holds an answer: when it was first used, its request's fingerprint, its answer, and
/// whether its day (with the grace after it) is over at `now`.
pub struct FirstUse {
    pub at: DateTime<Utc>,
    pub request_hash: String,
    pub answer: StoredResponse,
    pub expired: bool,
}

/// The key's first use, if it holds an answer, its day over or not.
pub async fn first_use(
    conn: &mut Conn,
    scope: &KeyScope<'_>,
    now: DateTime<Utc>,
) -> Result<Option<FirstUse>, sqlx::Error> {
    let row: Option<(i64, String, i64, i64, String)> = sqlx::query_as(
        "SELECT created_at, request_hash, expires_at, response_status, response_body \
         FROM idempotency_keys \
         WHERE mall_id = $1 AND endpoint = $2 AND shop_transaction_id = $3 \
         AND response_status <> 0",
    )
    .bind(scope.mall_id)
    .bind(scope.endpoint.as_str())
    .bind(scope.shop_transaction_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        row.and_then(|(created_at, request_hash, expires_at, status, body)| {
            DateTime::from_timestamp_millis(created_at).map(|at| FirstUse {
                at,
                request_hash,
                answer: StoredResponse {
                    response_status: status,
                    response_body: body,
                },
                expired: expires_at <= now.timestamp_millis(),
            })
        }),
    )
}
