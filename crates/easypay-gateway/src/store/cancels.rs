//! The `cancels` table: one row per accepted cancel, with what remained after it.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, FromRow};

use super::merchants::from_millis;
use super::WriteTx;

/// Which kind of payment a cancel belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Wechat,
    Card,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Wechat => "wechat",
            Method::Card => "card",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    pub cancel_pg_cno: String,
    pub pg_cno: String,
    pub mall_id: String,
    /// `40` full or `32` partial, as requested.
    pub revise_type: String,
    pub amount: u64,
    pub remain_after: u64,
    pub shop_transaction_id: String,
    pub memo: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct CancelRow {
    cancel_pg_cno: String,
    pg_cno: String,
    mall_id: String,
    revise_type: String,
    amount: i64,
    remain_after: i64,
    shop_transaction_id: String,
    memo: Option<String>,
    created_at: i64,
}

impl From<CancelRow> for Cancel {
    fn from(row: CancelRow) -> Self {
        Cancel {
            cancel_pg_cno: row.cancel_pg_cno,
            pg_cno: row.pg_cno,
            mall_id: row.mall_id,
            revise_type: row.revise_type,
            amount: row.amount.max(0) as u64,
            remain_after: row.remain_after.max(0) as u64,
            shop_transaction_id: row.shop_transaction_id,
            memo: row.memo,
            created_at: from_millis(row.created_at),
        }
    }
}

/// Records a cancel; `false` if its `cancelPgCno` collided (draw another).
pub async fn insert(
    tx: &mut WriteTx,
    method: Method,
    cancel: &Cancel,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO cancels (cancel_pg_cno, pg_cno, mall_id, method, revise_type, amount, \
         remain_after, shop_transaction_id, memo, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(&cancel.cancel_pg_cno)
    .bind(&cancel.pg_cno)
    .bind(&cancel.mall_id)
    .bind(method.as_str())
    .bind(&cancel.revise_type)
    .bind(cancel.amount as i64)
    .bind(cancel.remain_after as i64)
    .bind(&cancel.shop_transaction_id)
    .bind(&cancel.memo)
    .bind(cancel.created_at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The merchant's cancel `cancel_pg_cno` of payment `pg_cno`.
pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    pg_cno: &str,
    cancel_pg_cno: &str,
) -> Result<Option<Cancel>, sqlx::Error> {
    let row: Option<CancelRow> = sqlx::query_as(
        "SELECT cancel_pg_cno, pg_cno, mall_id, revise_type, amount, remain_after, \
         shop_transaction_id, memo, created_at FROM cancels \
         WHERE mall_id = $1 AND pg_cno = $2 AND cancel_pg_cno = $3",
    )
    .bind(mall_id)
    .bind(pg_cno)
    .bind(cancel_pg_cno)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Cancel::from))
}
