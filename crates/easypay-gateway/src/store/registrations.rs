//! The `billing_registrations` table.

use anyhow::{anyhow, Context};
use sqlx::{Any, Executor, FromRow};

use super::merchants::from_millis;
use super::payments::StoreReadError;
use super::Conn;
use crate::domain::billing_registration::{Registration, RegistrationState};
use crate::vault::SealedCard;

const COLUMNS: &str = "window_token, request_json, display_name, form_token, state, \
    authorization_id, card_sealed, card_mask_no, created_at, window_expires_at, completed_at, \
    closed_at, version";

#[derive(FromRow)]
struct RegistrationRow {
    window_token: String,
    request_json: String,
    display_name: String,
    form_token: String,
    state: String,
    authorization_id: Option<String>,
    card_sealed: Option<String>,
    card_mask_no: Option<String>,
    created_at: i64,
    window_expires_at: i64,
    completed_at: Option<i64>,
    closed_at: Option<i64>,
    version: i64,
}

impl TryFrom<RegistrationRow> for Registration {
    type Error = anyhow::Error;

    fn try_from(row: RegistrationRow) -> Result<Self, Self::Error> {
        Ok(Registration {
            request: serde_json::from_str(&row.request_json)
                .context("a registration has an unreadable request_json")?,
            state: RegistrationState::parse(&row.state)
                .ok_or_else(|| anyhow!("a registration has an unknown state"))?,
            window_token: row.window_token,
            display_name: row.display_name,
            form_token: row.form_token,
            authorization_id: row.authorization_id,
            card: row.card_sealed.map(SealedCard::from_stored),
            card_mask_no: row.card_mask_no,
            created_at: from_millis(row.created_at),
            window_expires_at: from_millis(row.window_expires_at),
            completed_at: row.completed_at.map(from_millis),
            closed_at: row.closed_at.map(from_millis),
            version: row.version,
        })
    }
}

pub enum InsertOutcome {
    Inserted,
    /// The window token collided: try again with a fresh one.
    TokenTaken,
}

/// Inserts a new registration; its order number was claimed in the same transaction.
pub async fn insert(
    conn: &mut Conn,
    registration: &Registration,
) -> Result<InsertOutcome, sqlx::Error> {
    let request = &registration.request;
    let inserted = sqlx::query(
        "INSERT INTO billing_registrations (window_token, mall_id, shop_order_no, request_json, \
         display_name, form_token, state, created_at, window_expires_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(&registration.window_token)
    .bind(request.mall_id.as_str())
    .bind(request.shop_order_no.as_str())
    .bind(serde_json::to_string(request).expect("parsed requests serialise"))
    .bind(&registration.display_name)
    .bind(&registration.form_token)
    .bind(registration.state.as_str())
    .bind(registration.created_at.timestamp_millis())
    .bind(registration.window_expires_at.timestamp_millis())
    .bind(registration.version)
    .execute(&mut *conn)
    .await?;
    Ok(match inserted.rows_affected() {
        1 => InsertOutcome::Inserted,
        _ => InsertOutcome::TokenTaken,
    })
}

async fn find_where<'e>(
    db: impl Executor<'e, Database = Any>,
    condition: &str,
    values: &[&str],
) -> Result<Option<Registration>, StoreReadError> {
    let sql = format!("SELECT {COLUMNS} FROM billing_registrations WHERE {condition}");
    let mut query = sqlx::query_as::<_, RegistrationRow>(&sql);
    for value in values {
        query = query.bind(*value);
    }
    Ok(query
        .fetch_optional(db)
        .await?
        .map(Registration::try_from)
        .transpose()?)
}

pub async fn find_by_token<'e>(
    db: impl Executor<'e, Database = Any>,
    window_token: &str,
) -> Result<Option<Registration>, StoreReadError> {
    find_where(db, "window_token = $1", &[window_token]).await
}

/// The merchant's registration with this `shopOrderNo`.
pub async fn find_by_order<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    shop_order_no: &str,
) -> Result<Option<Registration>, StoreReadError> {
    find_where(
        db,
        "mall_id = $1 AND shop_order_no = $2",
        &[mall_id, shop_order_no],
    )
    .await
}

/// The merchant's own registration with this `authorizationId`.
pub async fn find_by_authorization<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    authorization_id: &str,
) -> Result<Option<Registration>, StoreReadError> {
    find_where(
        db,
        "mall_id = $1 AND authorization_id = $2",
        &[mall_id, authorization_id],
    )
    .await
}

/// Stores a transition of `next` from version `next.version - 1`; `false` if someone else changed
/// the registration first.
pub async fn update(conn: &mut Conn, next: &Registration) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE billing_registrations SET state = $1, authorization_id = $2, card_sealed = $3, \
         card_mask_no = $4, completed_at = $5, closed_at = $6, version = $7 \
         WHERE window_token = $8 AND version = $9",
    )
    .bind(next.state.as_str())
    .bind(next.authorization_id.as_deref())
    .bind(next.card.as_ref().map(SealedCard::as_str))
    .bind(next.card_mask_no.as_deref())
    .bind(next.completed_at.map(|at| at.timestamp_millis()))
    .bind(next.closed_at.map(|at| at.timestamp_millis()))
    .bind(next.version)
    .bind(&next.window_token)
    .bind(next.version - 1)
    .execute(&mut *conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Erases the sealed card of every registration completed before `completed_before` that issued
/// no key: its `authorizationId` has lapsed, so nothing can use the card any more. The version
/// moves on, so a transition computed from the row as it was cannot write the card back.
pub async fn erase_lapsed_cards<'e>(
    db: impl Executor<'e, Database = Any>,
    completed_before: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sqlx::Error> {
    let erased = sqlx::query(
        "UPDATE billing_registrations SET card_sealed = NULL, version = version + 1 \
         WHERE card_sealed IS NOT NULL AND state = $1 AND completed_at < $2",
    )
    .bind(RegistrationState::Completed.as_str())
    .bind(completed_before.timestamp_millis())
    .execute(db)
    .await?;
    Ok(erased.rows_affected())
}
