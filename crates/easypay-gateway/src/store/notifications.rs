//! The `notifications` outbox and its `notification_attempts`.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, FromRow};

use super::batch::{self, LockedRow};
use super::{Backend, Db, StoreError, WriteTx};
use crate::domain::wechat_payment::PaymentState;
use crate::notify::Kind;

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (or being attempted under a lease).
    Pending,
    Delivered,
    /// Every try of the schedule failed; a resend starts a new cycle.
    Failed,
    /// Not to be sent (again): its payment was voided before it was delivered, so the approval it
    /// tells of no longer stands. Nothing resends it.
    Withdrawn,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
            DeliveryStatus::Withdrawn,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

pub struct NewNotification<'a> {
    pub id: &'a str,
    pub mall_id: &'a str,
    pub kind: &'a str,
    pub pg_cno: &'a str,
    pub target_url: &'a str,
    pub body: &'a str,
    pub now: DateTime<Utc>,
}

/// Writes a notification into the outbox, due now, inside the transaction of its cause.
pub async fn insert(tx: &mut WriteTx, new: &NewNotification<'_>) -> Result<(), sqlx::Error> {
    tx.mark_outbox_written();
    sqlx::query(
        "INSERT INTO notifications (id, mall_id, kind, pg_cno, target_url, body, status, \
         next_attempt_at, created_at, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, $8)",
    )
    .bind(new.id)
    .bind(new.mall_id)
    .bind(new.kind)
    .bind(new.pg_cno)
    .bind(new.target_url)
    .bind(new.body)
    .bind(new.now.timestamp_millis())
    // The request that caused it, so the worker's log lines can name it.
    .bind(crate::observe::current_request_id())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A notification claimed for one attempt, with what is needed to send and sign it.
#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: String,
    pub mall_id: String,
    pub kind: String,
    pub target_url: String,
    pub body: String,
    pub attempts_in_cycle: i64,
    pub attempts_total: i64,
    /// Resends so far: the attempt settles the notification only if no resend came meanwhile.
    pub cycle: i64,
    pub webhook_secret: String,
    /// The `x-request-id` of the request that queued it.
    pub request_id: Option<String>,
}

/// Which notifications a claim takes.
#[derive(Debug, Clone, Copy)]
pub enum Due {
    /// Pending ones whose next attempt is due.
    BySchedule,
    /// Every pending or failed one, whatever its schedule (the sandbox flush).
    Everything,
}

/// Leases up to `limit` notifications to `owner` until `lease_until`. On PostgreSQL concurrent
/// claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`); SQLite has one writer anyway.
pub async fn claim(
    db: &Db,
    owner: &str,
    due: Due,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    let condition = match due {
        Due::BySchedule => "status = 'pending' AND next_attempt_at <= $3",
        Due::Everything => "status IN ('pending', 'failed')",
    };
    let lock = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE notifications SET lease_owner = $1, lease_until = $2 WHERE id IN ( \
           SELECT id FROM notifications WHERE {condition} \
           AND (lease_until IS NULL OR lease_until < $3) \
           ORDER BY next_attempt_at LIMIT $4 {lock}) \
         RETURNING id"
    );
    let mut tx = db.begin_write().await?;
    let ids: Vec<(String,)> = sqlx::query_as(&sql)
        .bind(owner)
        .bind(lease_until.timestamp_millis())
        .bind(now.timestamp_millis())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(StoreError::classify)?;
    if ids.is_empty() {
        // Nothing changed: roll back rather than commit, so an idle poll costs no fsync.
        return Ok(Vec::new());
    }
    let mut claimed = Vec::with_capacity(ids.len());
    for (id,) in ids {
        let row: Claimed = sqlx::query_as(&format!(
            "SELECT n.id, n.mall_id, n.kind, {CURRENT_TARGET} AS target_url, n.body, \
             n.attempts_in_cycle, n.attempts_total, n.cycle, m.webhook_secret, n.request_id \
             FROM notifications n JOIN merchants m ON m.mall_id = n.mall_id WHERE n.id = $1"
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::classify)?;
        claimed.push(row);
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Where an attempt goes: a card notification to the merchant's `notiUrl` as it is now (decision
/// 23: "the URL registered for the merchant"), so a merchant who fixed a wrong URL gets the next
/// retry there; if the merchant has none any more, where it went before. A WeChat notification to
/// its request's `notifyUrl`. Needs `notifications n` and `merchants m`.
const CURRENT_TARGET: &str = "CASE WHEN n.kind IN ('card.approval', 'card.cancel') \
     THEN COALESCE(m.noti_url, n.target_url) ELSE n.target_url END";

/// One try at delivering a notification, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Attempt {
    pub attempt: i64,
    /// Where it went (`None` for attempts recorded before the gateway kept it).
    pub target_url: Option<String>,
    pub started_at: i64,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub outcome: String,
    pub response_excerpt: Option<String>,
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy)]
pub enum AfterAttempt {
    Delivered,
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// Records an attempt and its consequence, and releases the lease, in one transaction (batched
/// with other writes, see [`super::batch`]).
pub async fn finish_attempt(
    db: &Db,
    claimed: &Claimed,
    attempt: &Attempt,
    after: AfterAttempt,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let finished = Finished {
        id: claimed.id.clone(),
        cycle: claimed.cycle,
        attempt: attempt.clone(),
        after,
        now,
    };
    let locks = Some(LockedRow::new("notifications", &claimed.id));
    batch::write(db, locks, finished, |tx, finished| {
        Box::pin(record_attempt(tx, finished))
    })
    .await
}

/// An attempt's bookkeeping, as a write section's input.
struct Finished {
    id: String,
    cycle: i64,
    attempt: Attempt,
    after: AfterAttempt,
    now: DateTime<Utc>,
}

async fn record_attempt(tx: &mut WriteTx, finished: &Finished) -> Result<(), StoreError> {
    let Finished {
        id,
        cycle,
        attempt,
        after,
        now,
    } = finished;
    sqlx::query(
        "INSERT INTO notification_attempts (notification_id, attempt, target_url, started_at, \
         latency_ms, http_status, outcome, response_excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(attempt.attempt)
    .bind(&attempt.target_url)
    .bind(attempt.started_at)
    .bind(attempt.latency_ms)
    .bind(attempt.http_status)
    .bind(&attempt.outcome)
    .bind(&attempt.response_excerpt)
    .execute(&mut **tx)
    .await?;
    let (status, next_attempt_at, delivered_at) = match *after {
        AfterAttempt::Delivered => (
            DeliveryStatus::Delivered,
            *now,
            Some(now.timestamp_millis()),
        ),
        AfterAttempt::RetryAt(at) => (DeliveryStatus::Pending, at, None),
        AfterAttempt::GiveUp => (DeliveryStatus::Failed, *now, None),
    };
    let settled = sqlx::query(
        "UPDATE notifications SET status = $1, next_attempt_at = $2, delivered_at = $3, \
         attempts_in_cycle = attempts_in_cycle + 1, attempts_total = attempts_total + 1, \
         lease_owner = NULL, lease_until = NULL, target_url = COALESCE($4, target_url) \
         WHERE id = $5 AND cycle = $6",
    )
    .bind(status.as_str())
    .bind(next_attempt_at.timestamp_millis())
    .bind(delivered_at)
    .bind(&attempt.target_url)
    .bind(id)
    .bind(cycle)
    .execute(&mut **tx)
    .await?;
    if settled.rows_affected() == 0 {
        // A resend came during the attempt: the new cycle stands as the resend set it (its first
        // try due at once); the attempt only counts, and gives the lease back. Or a void withdrew
        // it: it stays withdrawn, unless this attempt was acknowledged, in which case the
        // merchant has it and it is delivered after all.
        let acknowledged = i64::from(matches!(after, AfterAttempt::Delivered));
        sqlx::query(
            "UPDATE notifications SET attempts_total = attempts_total + 1, \
             lease_owner = NULL, lease_until = NULL, \
             delivered_at = CASE WHEN status = 'withdrawn' AND $2 = 1 THEN $3 ELSE delivered_at END, \
             status = CASE WHEN status = 'withdrawn' AND $2 = 1 THEN 'delivered' ELSE status END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(acknowledged)
        .bind(now.timestamp_millis())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A notification as listed and shown.
#[derive(Debug, Clone, FromRow)]
pub struct NotificationRecord {
    pub id: String,
    pub request_id: Option<String>,
    pub mall_id: String,
    pub kind: String,
    pub pg_cno: String,
    pub target_url: String,
    pub body: String,
    pub status: String,
    pub attempts_total: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

const RECORD_COLUMNS: &str =
    "id, mall_id, kind, pg_cno, target_url, body, status, attempts_total, \
    next_attempt_at, created_at, delivered_at, request_id";

/// Newest first; `mall_id` and `status` narrow the list when given.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: Option<&str>,
    status: Option<DeliveryStatus>,
    limit: i64,
) -> Result<Vec<NotificationRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RECORD_COLUMNS} FROM notifications \
         WHERE ($1 = '' OR mall_id = $1) AND ($2 = '' OR status = $2) \
         ORDER BY created_at DESC, id LIMIT $3"
    ))
    .bind(mall_id.unwrap_or(""))
    .bind(status.map(DeliveryStatus::as_str).unwrap_or(""))
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Option<NotificationRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RECORD_COLUMNS} FROM notifications WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn attempts<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<Vec<Attempt>, sqlx::Error> {
    sqlx::query_as(
        "SELECT attempt, target_url, started_at, latency_ms, http_status, outcome, \
         response_excerpt FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// Why a [`Resent::PaymentVoided`] notification is not sent, in the words every caller shows.
pub const VOIDED_APPROVAL_NOT_RESENT: &str =
    "it tells of an approval whose payment was voided since (TS12): it is not sent again";

/// What [`resend`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resent {
    /// A new cycle starts now.
    Queued,
    NoSuchNotification,
    /// A WeChat approval notification of a payment voided since: withdrawn (see
    /// [`DeliveryStatus::Withdrawn`]), or delivered before the void; never sent again.
    PaymentVoided,
}

/// Starts a new delivery cycle now (KICC's manual resend), unless it tells of an approval whose
/// payment was voided since.
/// An attempt in flight keeps its lease: it ends (within the delivery timeout), is recorded, and
/// the new cycle's first try follows it at once (see [`record_attempt`]).
pub async fn resend<'e, E>(db: E, id: &str, now: DateTime<Utc>) -> Result<Resent, sqlx::Error>
where
    E: Executor<'e, Database = Any> + Copy,
{
    // Where the new cycle's tries go is decided at each try ([`CURRENT_TARGET`]): a card
    // notification follows the merchant's notiUrl as it is then.
    let updated = sqlx::query(
        "UPDATE notifications SET status = 'pending', attempts_in_cycle = 0, next_attempt_at = $1, \
         cycle = cycle + 1, delivered_at = NULL WHERE id = $2 AND status <> 'withdrawn' \
         AND NOT (kind = $3 AND pg_cno IN (SELECT pg_cno FROM payments WHERE state = $4))",
    )
    .bind(now.timestamp_millis())
    .bind(id)
    .bind(Kind::WechatApproval.as_str())
    .bind(PaymentState::Voided.as_str())
    .execute(db)
    .await?;
    if updated.rows_affected() == 1 {
        return Ok(Resent::Queued);
    }
    Ok(match find(db, id).await? {
        Some(_) => Resent::PaymentVoided,
        None => Resent::NoSuchNotification,
    })
}

/// Withdraws the notifications of `kind` for `pg_cno` that were not delivered (pending or failed),
/// inside the transaction that makes what they say untrue. A new cycle number makes an attempt
/// already under way only count when it ends (see [`record_attempt`]), not reschedule it.
pub async fn withdraw_undelivered(
    tx: &mut WriteTx,
    kind: Kind,
    pg_cno: &str,
) -> Result<u64, sqlx::Error> {
    let withdrawn = sqlx::query(
        "UPDATE notifications SET status = 'withdrawn', cycle = cycle + 1 \
         WHERE pg_cno = $1 AND kind = $2 AND status IN ('pending', 'failed')",
    )
    .bind(pg_cno)
    .bind(kind.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(withdrawn.rows_affected())
}

/// How many notifications wait: pending (to be tried) and failed (every try of the cycle failed).
pub async fn queue_depth<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) \
         FROM notifications WHERE status IN ('pending', 'failed')",
    )
    .fetch_one(db)
    .await
}
