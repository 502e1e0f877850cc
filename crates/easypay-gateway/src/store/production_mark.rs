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

/// Whether a gateway ever served this database outside sandbox mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    NeverInProduction,
    /// Since then (`None`: by a version that did not record when).
    InProductionSince(Option<DateTime<Utc>>),
}

pub async fn served<'e, E>(db: E) -> Result<Served, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT first_served_at FROM served_in_production WHERE id = 1")
            .fetch_optional(db)
            .await?;
    Ok(match row {
        None => Served::NeverInProduction,
        Some((millis,)) => {
            Served::InProductionSince(millis.and_then(DateTime::from_timestamp_millis))
        }
    })
}
