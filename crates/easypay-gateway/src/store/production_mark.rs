//! The `served_in_production` table: once a gateway has served a database outside sandbox mode,
//! no gateway serves it in sandbox mode, whose control plane answers anyone (decision 26).

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor};

/// Records that this database is served outside sandbox mode (the first time only).
pub async fn record<'e, E>(db: E, now: DateTime<Utc>) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO served_in_production (id, first_served_at) VALUES (1, $1) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(now.timestamp_millis())
    .execute(db)
    .await?;
    Ok(())
}

/// When a gateway first served this database outside sandbox mode, if one ever did.
pub async fn first_served<'e, E>(db: E) -> Result<Option<DateTime<Utc>>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT first_served_at FROM served_in_production WHERE id = 1")
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(millis,)| DateTime::from_timestamp_millis(millis)))
}
