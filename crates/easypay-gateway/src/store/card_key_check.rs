//! The `card_key_check` table: every gateway process on one database must seal and open card data
//! with the same key (docs/cards.md §9).

use chrono::Utc;
use sqlx::{Any, Executor};

/// Records `fingerprint` as the database's card key if none is recorded yet; answers whether the
/// recorded one is `fingerprint`.
pub async fn matches_or_record<'e, E>(db: E, fingerprint: &str) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any> + Copy,
{
    sqlx::query(
        "INSERT INTO card_key_check (id, fingerprint, recorded_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(fingerprint)
    .bind(Utc::now().timestamp_millis())
    .execute(db)
    .await?;
    let (recorded,): (String,) =
        sqlx::query_as("SELECT fingerprint FROM card_key_check WHERE id = 1")
            .fetch_one(db)
            .await?;
    Ok(recorded == fingerprint)
}
