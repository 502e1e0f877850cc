//! Read-only queries of the sandbox dashboard: payments of every method, billing keys,
//! notifications, and everything that happened to one payment.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, FromRow};

use super::notifications::NotificationRecord;

/// A payment as the dashboard lists it, WeChat or card.
#[derive(Debug, Clone, FromRow)]
pub struct PaymentRow {
    pub pg_cno: String,
    pub mall_id: String,
    pub shop_order_no: String,
    pub method: String,
    pub state: String,
    pub currency: String,
    pub amount: i64,
    pub approved_amount: Option<i64>,
    pub cancelled_amount: i64,
    pub goods_name: String,
    pub created_at: i64,
    pub approved_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// What the payment list is narrowed to; empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub mall_id: String,
    pub method: String,
    pub state: String,
    /// A pgCno or shopOrderNo, or part of one.
    pub search: String,
}

/// A WeChat order's state as of the milliseconds in the parameter `now` (`$2`…): a pending order
/// past its pay window *is* expired, whether or not anything recorded it (as `find` says).
fn wechat_state(now: &str) -> String {
    format!("CASE WHEN state = 'pending' AND expires_at <= {now} THEN 'expired' ELSE state END")
}

fn wechat_columns(now: &str) -> String {
    format!(
        "pg_cno, mall_id, shop_order_no, 'wechat' AS method, {} AS state, currency, \
         amount, approved_amount, cancelled_amount, goods_name, created_at, approved_at, closed_at",
        wechat_state(now)
    )
}

const CARD_COLUMNS: &str =
    "pg_cno, mall_id, shop_order_no, 'card' AS method, state, 'KRW' AS currency, \
    amount, amount AS approved_amount, cancelled_amount, goods_name, approved_at AS created_at, \
    approved_at, CAST(NULL AS BIGINT) AS closed_at";

/// `$1` merchant, `$2` state (of `state`, the column or the expression), `$3` search.
fn conditions(state: &str) -> String {
    format!(
        "($1 = '' OR mall_id = $1) AND ($2 = '' OR {state} = $2) \
         AND ($3 = '' OR pg_cno LIKE $3 OR shop_order_no LIKE $3)"
    )
}

/// Newest first, at most `limit` of each method.
pub async fn payments(
    db: &sqlx::AnyPool,
    filter: &PaymentFilter,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let search = if filter.search.is_empty() {
        String::new()
    } else {
        format!("%{}%", filter.search.replace(['%', '_'], ""))
    };
    let mut rows = Vec::new();
    for (method, sql) in [
        (
            "wechat",
            format!(
                "SELECT {} FROM payments WHERE {} ORDER BY created_at DESC LIMIT $4",
                wechat_columns("$5"),
                conditions(&wechat_state("$5"))
            ),
        ),
        (
            "card",
            format!(
                "SELECT {CARD_COLUMNS} FROM card_payments WHERE {} ORDER BY approved_at DESC LIMIT $4",
                conditions("state")
            ),
        ),
    ] {
        if !filter.method.is_empty() && filter.method != method {
            continue;
        }
        let mut query = sqlx::query_as(&sql)
            .bind(&filter.mall_id)
            .bind(&filter.state)
            .bind(&search)
            .bind(limit);
        if method == "wechat" {
            query = query.bind(now.timestamp_millis());
        }
        let found: Vec<PaymentRow> = query.fetch_all(db).await?;
        rows.extend(found);
    }
    rows.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(a.pg_cno.cmp(&b.pg_cno))
    });
    rows.truncate(limit as usize);
    Ok(rows)
}

/// One payment of either method.
pub async fn payment(
    db: &sqlx::AnyPool,
    pg_cno: &str,
    now: DateTime<Utc>,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    let wechat = format!(
        "SELECT {} FROM payments WHERE pg_cno = $1",
        wechat_columns("$2")
    );
    let found: Option<PaymentRow> = sqlx::query_as(&wechat)
        .bind(pg_cno)
        .bind(now.timestamp_millis())
        .fetch_optional(db)
        .await?;
    if found.is_some() {
        return Ok(found);
    }
    sqlx::query_as(&format!(
        "SELECT {CARD_COLUMNS} FROM card_payments WHERE pg_cno = $1"
    ))
    .bind(pg_cno)
    .fetch_optional(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct CancelRow {
    pub cancel_pg_cno: String,
    pub revise_type: String,
    pub amount: i64,
    pub remain_after: i64,
    pub created_at: i64,
}

pub async fn cancels<'e>(
    db: impl Executor<'e, Database = Any>,
    pg_cno: &str,
) -> Result<Vec<CancelRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT cancel_pg_cno, revise_type, amount, remain_after, created_at FROM cancels \
         WHERE pg_cno = $1 ORDER BY created_at, cancel_pg_cno",
    )
    .bind(pg_cno)
    .fetch_all(db)
    .await
}

const NOTIFICATION_COLUMNS: &str = "id, mall_id, kind, pg_cno, target_url, body, status, \
    attempts_total, next_attempt_at, created_at, delivered_at, request_id";

/// The notifications of one payment, oldest first.
pub async fn notifications_of<'e>(
    db: impl Executor<'e, Database = Any>,
    pg_cno: &str,
) -> Result<Vec<NotificationRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE pg_cno = $1 ORDER BY created_at, id"
    ))
    .bind(pg_cno)
    .fetch_all(db)
    .await
}

/// Notifications newest first, narrowed by merchant, status, kind and pgCno (empty: any).
pub async fn notifications<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    status: &str,
    kind: &str,
    pg_cno: &str,
    limit: i64,
) -> Result<Vec<NotificationRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE ($1 = '' OR mall_id = $1) \
         AND ($2 = '' OR status = $2) AND ($3 = '' OR kind = $3) AND ($4 = '' OR pg_cno = $4) \
         ORDER BY created_at DESC, id LIMIT $5"
    ))
    .bind(mall_id)
    .bind(status)
    .bind(kind)
    .bind(pg_cno)
    .bind(limit)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct KeyRow {
    pub batch_key: String,
    pub mall_id: String,
    pub pg_cno: String,
    pub card_mask_no: String,
    pub state: String,
    pub created_at: i64,
    pub removed_at: Option<i64>,
    pub charges: i64,
}

pub async fn billing_keys<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    state: &str,
    limit: i64,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT k.batch_key, k.mall_id, k.pg_cno, k.card_mask_no, k.state, k.created_at, \
         k.removed_at, (SELECT COUNT(*) FROM card_payments c WHERE c.batch_key = k.batch_key) AS charges \
         FROM billing_keys k WHERE ($1 = '' OR k.mall_id = $1) AND ($2 = '' OR k.state = $2) \
         ORDER BY k.created_at DESC LIMIT $3",
    )
    .bind(mall_id)
    .bind(state)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Every merchant ID, for the filter menus.
pub async fn mall_ids<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT mall_id FROM merchants ORDER BY mall_id")
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
