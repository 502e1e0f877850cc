//! The `billing_keys` table.

use anyhow::anyhow;
use easypay_api::values::MallId;
use sqlx::{Any, Executor, FromRow};

use super::merchants::from_millis;
use super::payments::StoreReadError;
use super::{Backend, Conn};
use crate::domain::billing_key::{BillingKey, KeyState};
use crate::vault::SealedCard;

#[derive(FromRow)]
struct KeyRow {
    batch_key: String,
    mall_id: String,
    authorization_id: String,
    pg_cno: String,
    card_sealed: String,
    card_mask_no: String,
    state: String,
    created_at: i64,
    removed_at: Option<i64>,
    version: i64,
}

impl TryFrom<KeyRow> for BillingKey {
    type Error = anyhow::Error;

    fn try_from(row: KeyRow) -> Result<Self, Self::Error> {
        Ok(BillingKey {
            state: KeyState::parse(&row.state)
                .ok_or_else(|| anyhow!("a billing key has an unknown state"))?,
            batch_key: row.batch_key,
            mall_id: MallId::from_trusted(row.mall_id),
            authorization_id: row.authorization_id,
            pg_cno: row.pg_cno,
            card: SealedCard::from_stored(row.card_sealed),
            card_mask_no: row.card_mask_no,
            created_at: from_millis(row.created_at),
            removed_at: row.removed_at.map(from_millis),
            version: row.version,
        })
    }
}

/// Inserts a new key; `false` if the key or its `pgCno` collided (draw fresh ones and retry).
pub async fn insert(conn: &mut Conn, key: &BillingKey) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO billing_keys (batch_key, mall_id, authorization_id, pg_cno, card_sealed, \
         card_mask_no, state, created_at, removed_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(&key.batch_key)
    .bind(key.mall_id.as_str())
    .bind(&key.authorization_id)
    .bind(&key.pg_cno)
    .bind(key.card.as_str())
    .bind(&key.card_mask_no)
    .bind(key.state.as_str())
    .bind(key.created_at.timestamp_millis())
    .bind(key.removed_at.map(|at| at.timestamp_millis()))
    .bind(key.version)
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The merchant's own key, read and (on PostgreSQL) locked inside the caller's transaction, so a
/// charge and a removal of the same key happen one after the other.
pub async fn find_for_update(
    conn: &mut Conn,
    backend: Backend,
    mall_id: &str,
    batch_key: &str,
) -> Result<Option<BillingKey>, StoreReadError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        // SQLite has one writer: the transaction already excludes every other change.
        Backend::Sqlite => "",
    };
    select(conn, mall_id, batch_key, lock).await
}

/// The merchant's own key, without a lock (a look before the transaction).
pub async fn find<'e>(
    conn: impl Executor<'e, Database = Any>,
    mall_id: &str,
    batch_key: &str,
) -> Result<Option<BillingKey>, StoreReadError> {
    select(conn, mall_id, batch_key, "").await
}

async fn select<'e>(
    conn: impl Executor<'e, Database = Any>,
    mall_id: &str,
    batch_key: &str,
    lock: &str,
) -> Result<Option<BillingKey>, StoreReadError> {
    let row: Option<KeyRow> = sqlx::query_as(&format!(
        "SELECT batch_key, mall_id, authorization_id, pg_cno, card_sealed, card_mask_no, state, \
         created_at, removed_at, version FROM billing_keys WHERE mall_id = $1 AND batch_key = $2{lock}"
    ))
    .bind(mall_id)
    .bind(batch_key)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(BillingKey::try_from).transpose()?)
}

/// Stores a transition of `next` from version `next.version - 1`; `false` if it changed meanwhile.
/// A removal erases the sealed card (`''`): nothing charges a removed key, and its answers (`B006`)
/// need only the row.
pub async fn update(conn: &mut Conn, next: &BillingKey) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE billing_keys SET state = $1, removed_at = $2, version = $3, \
         card_sealed = CASE WHEN $1 = 'removed' THEN '' ELSE card_sealed END \
         WHERE batch_key = $4 AND version = $5",
    )
    .bind(next.state.as_str())
    .bind(next.removed_at.map(|at| at.timestamp_millis()))
    .bind(next.version)
    .bind(&next.batch_key)
    .bind(next.version - 1)
    .execute(&mut *conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}
