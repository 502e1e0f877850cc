//! The `order_numbers` table: claims a merchant's `shopOrderNo` once per scope (decision 15).

use chrono::{DateTime, Utc};

use super::deferred::{Table, Value};
use super::WriteTx;

/// What an order number must be unique among.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every payment, whatever its method (WeChat order, card charge).
    Payment,
    /// Billing-key registrations (the registration window).
    Registration,
}

/// [`Scope::Payment`] as stored.
pub(super) const PAYMENT_SCOPE: &str = "payment";

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Payment => PAYMENT_SCOPE,
            Scope::Registration => "registration",
        }
    }
}

/// The head of a claim's `INSERT`, before its `VALUES`.
pub(super) const INSERT_INTO: &str =
    "INSERT INTO order_numbers (mall_id, scope, shop_order_no, created_at)";

/// Claims `shop_order_no` inside the transaction that uses it; `false` if it was already taken.
/// On PostgreSQL a concurrent claim of the same number waits for the first transaction to end.
pub async fn claim(
    tx: &mut WriteTx,
    mall_id: &str,
    scope: Scope,
    shop_order_no: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(&format!(
        "{INSERT_INTO} VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
    ))
    .bind(mall_id)
    .bind(scope.as_str())
    .bind(shop_order_no)
    .bind(now.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Whether `shop_order_no` is taken already, read inside the transaction that would claim it.
pub async fn is_taken(
    tx: &mut WriteTx,
    mall_id: &str,
    scope: Scope,
    shop_order_no: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM order_numbers WHERE mall_id = $1 AND scope = $2 AND shop_order_no = $3",
    )
    .bind(mall_id)
    .bind(scope.as_str())
    .bind(shop_order_no)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Leaves the claim for the batch to insert with others' before it commits (see
/// [`WriteTx::defers_inserts`]); a taken number sends this section back to run alone, where
/// [`claim`] tells.
pub fn claim_at_commit(
    tx: &mut WriteTx,
    mall_id: &str,
    scope: Scope,
    shop_order_no: &str,
    now: DateTime<Utc>,
) {
    let identity = vec![
        mall_id.to_owned(),
        scope.as_str().to_owned(),
        shop_order_no.to_owned(),
    ];
    let values = vec![
        Value::Text(mall_id.to_owned()),
        Value::Text(scope.as_str().to_owned()),
        Value::Text(shop_order_no.to_owned()),
        Value::Integer(now.timestamp_millis()),
    ];
    tx.defer_insert(Table::OrderNumbers, identity, values);
}
