//! The `card_key_check` table: every gateway process on one database must seal and open card data
//! with the same key (docs/cards.md §9).

use chrono::Utc;
use sqlx::{Any, Executor};

use crate::domain::billing_key::BillingKey;
use crate::vault::{CardVault, SealedCard};

/// Whether `vault` holds this database's card key. The first gateway to start records its key's
/// fingerprint; on a database that already holds card data (one from before the check), only a
/// key that opens that data is recorded.
pub async fn holds_the_key<'e, E>(db: E, vault: &CardVault) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any> + Copy,
{
    if let Some(fingerprint) = recorded(db).await? {
        return Ok(fingerprint == vault.fingerprint());
    }
    let stored: Option<(String, String)> =
        sqlx::query_as("SELECT batch_key, card_sealed FROM billing_keys LIMIT 1")
            .fetch_optional(db)
            .await?;
    if let Some((batch_key, sealed)) = stored {
        let opened = vault.open(
            &SealedCard::from_stored(sealed),
            &BillingKey::seal_context(&batch_key),
        );
        if opened.is_err() {
            return Ok(false);
        }
    }
    sqlx::query(
        "INSERT INTO card_key_check (id, fingerprint, recorded_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(vault.fingerprint())
    .bind(Utc::now().timestamp_millis())
    .execute(db)
    .await?;
    // Another process may have recorded its key since the first look.
    Ok(recorded(db).await?.as_deref() == Some(vault.fingerprint()))
}

async fn recorded<'e, E>(db: E) -> Result<Option<String>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(String,)> =
        sqlx::query_as("SELECT fingerprint FROM card_key_check WHERE id = 1")
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(fingerprint,)| fingerprint))
}
