//! The `merchants` table.

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, FromRow};

use crate::domain::merchant::Merchant;

#[derive(FromRow)]
struct MerchantRow {
    mall_id: String,
    name: String,
    secret_key: String,
    webhook_secret: String,
    noti_url: Option<String>,
    active: i64,
    created_at: i64,
}

impl From<MerchantRow> for Merchant {
    fn from(row: MerchantRow) -> Self {
        Merchant {
            mall_id: row.mall_id,
            name: row.name,
            secret_key: row.secret_key,
            webhook_secret: row.webhook_secret,
            noti_url: row.noti_url,
            active: row.active != 0,
            created_at: from_millis(row.created_at),
        }
    }
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

const COLUMNS: &str = "mall_id, name, secret_key, webhook_secret, noti_url, active, created_at";

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
) -> Result<Option<Merchant>, sqlx::Error> {
    let row: Option<MerchantRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchants WHERE mall_id = $1"
    ))
    .bind(mall_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Merchant::from))
}

pub async fn list<'e>(db: impl Executor<'e, Database = Any>) -> Result<Vec<Merchant>, sqlx::Error> {
    let rows: Vec<MerchantRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM merchants ORDER BY mall_id"))
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(Merchant::from).collect())
}

/// Adds a merchant; `false` if the `mallId` is taken (nothing changes then).
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    merchant: &Merchant,
) -> Result<bool, sqlx::Error> {
    let now = merchant.created_at.timestamp_millis();
    let inserted = sqlx::query(
        "INSERT INTO merchants (mall_id, name, secret_key, webhook_secret, noti_url, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (mall_id) DO NOTHING",
    )
    .bind(&merchant.mall_id)
    .bind(&merchant.name)
    .bind(&merchant.secret_key)
    .bind(&merchant.webhook_secret)
    .bind(&merchant.noti_url)
    .bind(i64::from(merchant.active))
    .bind(now)
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Creates the merchant, or updates its keys and notification URL (sandbox upsert).
pub async fn upsert_keys<'e>(
    db: impl Executor<'e, Database = Any>,
    merchant: &Merchant,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchants (mall_id, name, secret_key, webhook_secret, noti_url, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6) \
         ON CONFLICT (mall_id) DO UPDATE SET secret_key = excluded.secret_key, \
         webhook_secret = excluded.webhook_secret, noti_url = excluded.noti_url, \
         updated_at = excluded.updated_at",
    )
    .bind(&merchant.mall_id)
    .bind(&merchant.name)
    .bind(&merchant.secret_key)
    .bind(&merchant.webhook_secret)
    .bind(&merchant.noti_url)
    .bind(merchant.created_at.timestamp_millis())
    .execute(db)
    .await?;
    Ok(())
}

/// Stores a merchant's name, secrets and notification URL; `false` if there is no such merchant.
pub async fn update<'e>(
    db: impl Executor<'e, Database = Any>,
    merchant: &Merchant,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE merchants SET name = $1, secret_key = $2, webhook_secret = $3, noti_url = $4, \
         updated_at = $5 WHERE mall_id = $6",
    )
    .bind(&merchant.name)
    .bind(&merchant.secret_key)
    .bind(&merchant.webhook_secret)
    .bind(&merchant.noti_url)
    .bind(now.timestamp_millis())
    .bind(&merchant.mall_id)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Activates or deactivates a merchant; `false` if there is no such merchant.
pub async fn set_active<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    active: bool,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let updated =
        sqlx::query("UPDATE merchants SET active = $1, updated_at = $2 WHERE mall_id = $3")
            .bind(i64::from(active))
            .bind(now.timestamp_millis())
            .bind(mall_id)
            .execute(db)
            .await?;
    Ok(updated.rows_affected() == 1)
}
