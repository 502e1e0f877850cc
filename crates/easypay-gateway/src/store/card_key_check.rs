//! The `card_key_check` table: every gateway process on one database must seal and open card data
//! with the same key (docs/cards.md §9), and `easypay card-key rotate` moves them all to a new one.

use anyhow::{bail, Context};
use chrono::Utc;
use sqlx::{Any, Executor};

use super::{Backend, Conn, Db, StoreError};
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
    let stored: Option<(String, String)> = sqlx::query_as(
        "SELECT batch_key, card_sealed FROM billing_keys WHERE card_sealed <> '' LIMIT 1",
    )
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

/// Whether this database already has a card key: a recorded fingerprint, or (from before the
/// check) stored billing keys. A new random key could open none of its card data.
pub async fn has_a_key<'e, E>(db: E) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any> + Copy,
{
    if recorded(db).await?.is_some() {
        return Ok(true);
    }
    let stored: Option<(String,)> = sqlx::query_as("SELECT batch_key FROM billing_keys LIMIT 1")
        .fetch_optional(db)
        .await?;
    Ok(stored.is_some())
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
    holds_by(conn, statement, vault).await
}

/// [`still_holds`] as a plain read, for a page about to ask for a card (the write checks again).
pub async fn holds_now(conn: &mut Conn, vault: &CardVault) -> Result<bool, sqlx::Error> {
    holds_by(
        conn,
        "SELECT fingerprint FROM card_key_check WHERE id = 1",
        vault,
    )
    .await
}

async fn holds_by(
    conn: &mut Conn,
    statement: &str,
    vault: &CardVault,
) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(statement).fetch_optional(&mut *conn).await?;
    Ok(row.is_some_and(|(fingerprint,)| fingerprint == vault.fingerprint()))
}

/// What a rotation re-sealed.
#[derive(Debug, PartialEq, Eq)]
pub struct Rotated {
    pub billing_keys: u64,
    pub registrations: u64,
}

/// A rotation that met card traffic in a deadlock or a lock wait (PostgreSQL) is tried again this
/// many times in all.
const ROTATION_ATTEMPTS: u32 = 5;

/// Whether `vault` can be rotated away from: it is this database's key.
pub async fn check_current(db: &Db, current: &CardVault) -> anyhow::Result<()> {
    if !holds_the_key(db.pool(), current).await? {
        bail!(
            "the current card key given (--card-key, --card-key-file or the default file) is not \
             this database's key, so its cards cannot be opened; nothing was changed"
        );
    }
    Ok(())
}

/// Re-seals every stored card under `new` and records `new` as the database's key, in one
/// transaction: it commits whole or not at all, and a card that `current` cannot open stops it.
/// On PostgreSQL the transaction may meet card requests in a deadlock (it locks every key and
/// registration): the database then aborts one side, and a rotation aborted so is tried again.
pub async fn rotate(db: &Db, current: &CardVault, new: &CardVault) -> anyhow::Result<Rotated> {
    if current.fingerprint() == new.fingerprint() {
        bail!("the new card key is the current one");
    }
    check_current(db, current).await?;
    let mut attempt = 1;
    loop {
        match rotate_once(db, current, new).await {
            Err(error) if attempt < ROTATION_ATTEMPTS && met_card_traffic(&error) => {
                tracing::warn!(attempt, error = %format!("{error:#}"), "rotation met card traffic; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(250 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
            Err(error) if met_card_traffic(&error) => {
                return Err(error.context(format!(
                    "the rotation met card requests holding the rows it must re-seal, \
                     {ROTATION_ATTEMPTS} times; nothing was changed: try again when card traffic \
                     is lower"
                )))
            }
            outcome => return outcome,
        }
    }
}

/// A deadlock, or a lock waited for too long: nothing was changed, and another try may pass.
fn met_card_traffic(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let database_code = cause
            .downcast_ref::<sqlx::Error>()
            .and_then(sqlx::Error::as_database_error)
            .and_then(|database| database.code().map(|code| code.into_owned()));
        matches!(database_code.as_deref(), Some("40P01" | "55P03"))
            || matches!(
                cause.downcast_ref::<StoreError>(),
                Some(StoreError::LockWaitExceeded)
            )
    })
}

async fn rotate_once(db: &Db, current: &CardVault, new: &CardVault) -> anyhow::Result<Rotated> {
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
    let mut resealed_keys = 0;
    for (batch_key, sealed) in sealed_rows(&mut tx, BILLING_KEYS).await? {
        let context = BillingKey::seal_context(&batch_key);
        let resealed = reseal(current, new, &sealed, &context)
            .with_context(|| format!("billing key {batch_key}"))?;
        resealed_keys +=
            replace_sealed(&mut tx, BILLING_KEYS, &batch_key, &sealed, &resealed).await?;
    }
    let mut resealed_registrations = 0;
    for (window_token, sealed) in sealed_rows(&mut tx, REGISTRATIONS).await? {
        let context = Registration::seal_context_of(&window_token);
        // The window token opens the window: never printed.
        let resealed = reseal(current, new, &sealed, &context)
            .context("a registration's card (its row was altered?)")?;
        resealed_registrations +=
            replace_sealed(&mut tx, REGISTRATIONS, &window_token, &sealed, &resealed).await?;
    }
    tx.commit().await?;
    Ok(Rotated {
        billing_keys: resealed_keys,
        registrations: resealed_registrations,
    })
}

/// A table whose rows hold sealed card data, and the column that names a row.
#[derive(Clone, Copy)]
struct SealedRows {
    table: &'static str,
    id: &'static str,
}

const BILLING_KEYS: SealedRows = SealedRows {
    table: "billing_keys",
    id: "batch_key",
};

const REGISTRATIONS: SealedRows = SealedRows {
    table: "billing_registrations",
    id: "window_token",
};

/// Every row of `rows` that still holds a sealed card (a removed key's is `''`, a lapsed
/// registration's `NULL`: erased, nothing to re-seal), by id.
async fn sealed_rows(
    conn: &mut Conn,
    rows: SealedRows,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let SealedRows { table, id } = rows;
    sqlx::query_as(&format!(
        "SELECT {id}, card_sealed FROM {table} WHERE card_sealed <> '' ORDER BY {id}"
    ))
    .fetch_all(&mut *conn)
    .await
}

/// Stores `resealed` in place of `read`, only if the row still holds what was read: a removal or
/// a lapse that committed meanwhile (PostgreSQL: these rows are not locked) erased it, and it
/// stays erased. Answers how many rows changed (0 or 1).
async fn replace_sealed(
    conn: &mut Conn,
    rows: SealedRows,
    row_id: &str,
    read: &str,
    resealed: &SealedCard,
) -> Result<u64, sqlx::Error> {
    let SealedRows { table, id } = rows;
    let replaced = sqlx::query(&format!(
        "UPDATE {table} SET card_sealed = $1 WHERE {id} = $2 AND card_sealed = $3"
    ))
    .bind(resealed.as_str())
    .bind(row_id)
    .bind(read)
    .execute(&mut *conn)
    .await?;
    Ok(replaced.rows_affected())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lock_conflicts_send_a_rotation_round_again() {
        assert!(met_card_traffic(&anyhow::Error::new(
            StoreError::LockWaitExceeded
        )));
        let wrapped = anyhow::Error::new(StoreError::LockWaitExceeded).context("billing key k");
        assert!(met_card_traffic(&wrapped));
        assert!(!met_card_traffic(&anyhow::anyhow!(
            "the new card key is the current one"
        )));
        assert!(!met_card_traffic(&anyhow::Error::new(
            sqlx::Error::RowNotFound
        )));
    }
}
