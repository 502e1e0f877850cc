//! The `card_key_check` table: every gateway process on one database must seal and open card data
//! with the same key (docs/cards.md §9), and `easypay card-key rotate` moves them all to a new one.

use anyhow::{bail, Context};
use chrono::Utc;
use sqlx::{Any, Executor};

use super::{Backend, Conn, Db};
use crate::domain::billing_key::BillingKey;
use crate::domain::billing_registration::Registration;
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

/// Whether `vault` still holds this database's card key, checked inside the transaction that is
/// about to store card data sealed with it: after a rotation, a process still on the old key must
/// not add data that no other process can open. On PostgreSQL the row is read `FOR SHARE`, so a
/// rotation waits for this transaction, and re-seals what it wrote.
pub async fn still_holds(
    conn: &mut Conn,
    backend: Backend,
    vault: &CardVault,
) -> Result<bool, sqlx::Error> {
    let statement = match backend {
        Backend::Postgres => "SELECT fingerprint FROM card_key_check WHERE id = 1 FOR SHARE",
        // SQLite has one writer: this transaction already excludes a rotation.
        Backend::Sqlite => "SELECT fingerprint FROM card_key_check WHERE id = 1",
    };
    let row: Option<(String,)> = sqlx::query_as(statement).fetch_optional(&mut *conn).await?;
    Ok(row.is_some_and(|(fingerprint,)| fingerprint == vault.fingerprint()))
}

/// What a rotation re-sealed.
#[derive(Debug, PartialEq, Eq)]
pub struct Rotated {
    pub billing_keys: usize,
    pub registrations: usize,
}

/// Re-seals every stored card under `new` and records `new` as the database's key, in one
/// transaction: it commits whole or not at all, and a card that `current` cannot open stops it.
pub async fn rotate(db: &Db, current: &CardVault, new: &CardVault) -> anyhow::Result<Rotated> {
    if current.fingerprint() == new.fingerprint() {
        bail!("the new card key is the current one");
    }
    if !holds_the_key(db.pool(), current).await? {
        bail!(
            "the current card key given (--card-key, --card-key-file or the default file) is not \
             this database's key, so its cards cannot be opened"
        );
    }
    let mut tx = db.begin_write().await?;
    // First the fingerprint: from here on (PostgreSQL row lock, SQLite's one writer) no gateway
    // can store card data under the old key; one that did before has committed and is re-sealed.
    let claimed = sqlx::query(
        "UPDATE card_key_check SET fingerprint = $1, recorded_at = $2 \
         WHERE id = 1 AND fingerprint = $3",
    )
    .bind(new.fingerprint())
    .bind(Utc::now().timestamp_millis())
    .bind(current.fingerprint())
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        bail!("the database's card key changed meanwhile (another rotation?); nothing was changed");
    }
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT batch_key, card_sealed FROM billing_keys ORDER BY batch_key")
            .fetch_all(&mut *tx)
            .await?;
    for (batch_key, sealed) in &keys {
        let context = BillingKey::seal_context(batch_key);
        let resealed = reseal(current, new, sealed, &context)
            .with_context(|| format!("billing key {batch_key}"))?;
        sqlx::query("UPDATE billing_keys SET card_sealed = $1 WHERE batch_key = $2")
            .bind(resealed.as_str())
            .bind(batch_key)
            .execute(&mut *tx)
            .await?;
    }
    let registrations: Vec<(String, String)> = sqlx::query_as(
        "SELECT window_token, card_sealed FROM billing_registrations \
         WHERE card_sealed IS NOT NULL ORDER BY window_token",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (window_token, sealed) in &registrations {
        let context = Registration::seal_context_of(window_token);
        // The window token opens the window: never printed.
        let resealed = reseal(current, new, sealed, &context)
            .context("a registration's card (its row was altered?)")?;
        sqlx::query("UPDATE billing_registrations SET card_sealed = $1 WHERE window_token = $2")
            .bind(resealed.as_str())
            .bind(window_token)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Rotated {
        billing_keys: keys.len(),
        registrations: registrations.len(),
    })
}

fn reseal(
    current: &CardVault,
    new: &CardVault,
    sealed: &str,
    context: &str,
) -> anyhow::Result<SealedCard> {
    let card = current.open(&SealedCard::from_stored(sealed.to_owned()), context)?;
    Ok(new.seal(&card, context))
}
