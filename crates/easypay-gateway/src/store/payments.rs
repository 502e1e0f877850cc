//! The `payments` table (WeChat orders for now).

use anyhow::{anyhow, Context};
use easypay_api::values::{Amount, EnglishText, HttpUrl, MallId, ShopOrderNo};
use easypay_api::wechat::{Currency, TradeType};
use sqlx::{Any, Executor, FromRow};

use super::deferred::{self, OneRowInsert, Table, Value};
use super::merchants::from_millis;
use super::order_numbers::PAYMENT_SCOPE;
use super::{Backend, Conn, WriteTx};
use crate::domain::wechat_payment::{PaymentState, WechatPayment};

const METHOD_WECHAT: &str = "wechat";

macro_rules! columns {
    () => {
        "pg_cno, mall_id, shop_order_no, page_token, trade_type, goods_name, currency, \
        amount, return_url, notify_url, customer_json, state, approved_amount, cancelled_amount, approved_at, closed_at, \
        created_at, expires_at, version"
    };
}

const COLUMNS: &str = columns!();

/// The head of a payment's `INSERT`, before its `VALUES` (see [`row_values`]).
pub(super) const INSERT_INTO: &str = concat!("INSERT INTO payments (", columns!(), ", method)");

/// A batch's payments `tuples` (`($1, …), (…)`), inserted only where the same statement's part
/// `claims` (the batch's `order_numbers` insert, returning `c0` mall_id, `c1` scope, `c2` number)
/// claimed the payment's order number. Those payments cannot collide on their order number, and
/// their `pgCno` and page token are fresh: a plain `INSERT`, which skips the `ON CONFLICT` probe of
/// the three unique indexes before inserting into them. A payment whose number was not claimed is
/// left out, so its section is sent back; a `pgCno` taken after all (by another process's
/// sequence) fails the statement, and every section of the batch then runs alone.
pub(super) fn insert_claimed(tuples: &str, claims: &str) -> String {
    // `column2` and `column3` are mall_id and shop_order_no, by `columns!()`'s order.
    format!(
        "{INSERT_INTO} SELECT * FROM (VALUES {tuples}) AS v WHERE EXISTS (SELECT 1 FROM {claims} \
         WHERE {claims}.c0 = v.column2 AND {claims}.c1 = '{PAYMENT_SCOPE}' \
         AND {claims}.c2 = v.column3) RETURNING pg_cno AS c0"
    )
}

#[derive(FromRow)]
struct PaymentRow {
    pg_cno: String,
    mall_id: String,
    shop_order_no: String,
    page_token: String,
    trade_type: String,
    goods_name: String,
    currency: String,
    amount: i64,
    return_url: String,
    notify_url: String,
    customer_json: Option<String>,
    state: String,
    approved_amount: Option<i64>,
    cancelled_amount: i64,
    approved_at: Option<i64>,
    closed_at: Option<i64>,
    created_at: i64,
    expires_at: i64,
    version: i64,
}

impl TryFrom<PaymentRow> for WechatPayment {
    type Error = anyhow::Error;

    fn try_from(row: PaymentRow) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| anyhow!("payment {} has an unreadable {what}", row.pg_cno);
        Ok(WechatPayment {
            trade_type: match row.trade_type.as_str() {
                "native" => TradeType::Native,
                "mweb" => TradeType::Mweb,
                _ => return Err(corrupt("trade_type")),
            },
            currency: match row.currency.as_str() {
                "KRW" => Currency::Krw,
                "USD" => Currency::Usd,
                _ => return Err(corrupt("currency")),
            },
            state: PaymentState::parse(&row.state).ok_or_else(|| corrupt("state"))?,
            customer: row
                .customer_json
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .with_context(|| corrupt("customer_json"))?,
            mall_id: MallId::from_trusted(row.mall_id),
            shop_order_no: ShopOrderNo::from_trusted(row.shop_order_no),
            page_token: row.page_token,
            goods_name: EnglishText::from_trusted(row.goods_name),
            amount: Amount::from_stored(row.amount),
            return_url: HttpUrl::from_trusted(row.return_url),
            notify_url: HttpUrl::from_trusted(row.notify_url),
            approved_amount: row.approved_amount.map(Amount::from_stored),
            cancelled_amount: row.cancelled_amount.max(0) as u64,
            approved_at: row.approved_at.map(from_millis),
            closed_at: row.closed_at.map(from_millis),
            created_at: from_millis(row.created_at),
            expires_at: from_millis(row.expires_at),
            version: row.version,
            pg_cno: row.pg_cno,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreReadError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Corrupt(#[from] anyhow::Error),
}

pub enum InsertOutcome {
    Inserted,
    DuplicateOrder,
    /// The random part of the `pgCno` or the token collided: try again with fresh ones.
    IdentifierTaken,
}

/// Leaves `payment` for the batch to insert with others' before it commits (see
/// [`WriteTx::defers_inserts`]); a taken `pgCno`, page token or order number sends this section
/// back to run alone, where [`insert`] tells which.
pub fn insert_at_commit(tx: &mut WriteTx, payment: &WechatPayment) {
    tx.defer_insert(
        Table::Payments,
        vec![payment.pg_cno.clone()],
        row_values(payment),
    );
}

/// A new payment's columns in [`INSERT_INTO`]'s order.
fn row_values(payment: &WechatPayment) -> Vec<Value> {
    let customer_json = payment
        .customer
        .as_ref()
        .map(|customer| serde_json::to_string(customer).expect("customer info serialises"));
    vec![
        Value::Text(payment.pg_cno.clone()),
        Value::Text(payment.mall_id.as_str().to_owned()),
        Value::Text(payment.shop_order_no.as_str().to_owned()),
        Value::Text(payment.page_token.clone()),
        Value::Text(payment.trade_type.as_str().to_owned()),
        Value::Text(payment.goods_name.as_str().to_owned()),
        Value::Text(payment.currency.as_str().to_owned()),
        Value::Integer(payment.amount.as_i64()),
        Value::Text(payment.return_url.as_str().to_owned()),
        Value::Text(payment.notify_url.as_str().to_owned()),
        Value::OptionalText(customer_json),
        Value::Text(payment.state.as_str().to_owned()),
        Value::OptionalInteger(payment.approved_amount.map(Amount::as_i64)),
        Value::Integer(payment.cancelled_amount as i64),
        Value::OptionalInteger(payment.approved_at.map(|at| at.timestamp_millis())),
        Value::OptionalInteger(payment.closed_at.map(|at| at.timestamp_millis())),
        Value::Integer(payment.created_at.timestamp_millis()),
        Value::Integer(payment.expires_at.timestamp_millis()),
        Value::Integer(payment.version),
        Value::Text(METHOD_WECHAT.to_owned()),
    ]
}

pub async fn insert(
    conn: &mut Conn,
    payment: &WechatPayment,
) -> Result<InsertOutcome, sqlx::Error> {
    static INSERT_ONE: OneRowInsert = OneRowInsert::new(INSERT_INTO, "ON CONFLICT DO NOTHING");
    let values = row_values(payment);
    let inserted = sqlx::query_with(INSERT_ONE.sql(values.len()), deferred::arguments(&values)?)
        .execute(&mut *conn)
        .await?;
    if inserted.rows_affected() == 1 {
        return Ok(InsertOutcome::Inserted);
    }
    let order_taken: Option<(String,)> =
        sqlx::query_as("SELECT pg_cno FROM payments WHERE mall_id = $1 AND shop_order_no = $2")
            .bind(payment.mall_id.as_str())
            .bind(payment.shop_order_no.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match order_taken {
        Some(_) => InsertOutcome::DuplicateOrder,
        None => InsertOutcome::IdentifierTaken,
    })
}

async fn find_where<'e>(
    db: impl Executor<'e, Database = Any>,
    condition: &str,
    values: &[&str],
) -> Result<Option<WechatPayment>, StoreReadError> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE method = 'wechat' AND {condition}");
    let mut query = sqlx::query_as::<_, PaymentRow>(&sql);
    for value in values {
        query = query.bind(*value);
    }
    Ok(query
        .fetch_optional(db)
        .await?
        .map(WechatPayment::try_from)
        .transpose()?)
}

/// The merchant's order, locked until the transaction ends (PostgreSQL; SQLite has one writer), so
/// concurrent cancels of one payment apply one after the other.
pub async fn find_for_update(
    tx: &mut WriteTx,
    backend: Backend,
    mall_id: &str,
    pg_cno: &str,
) -> Result<Option<WechatPayment>, StoreReadError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let condition = format!("mall_id = $1 AND pg_cno = $2{lock}");
    find_where(&mut **tx, &condition, &[mall_id, pg_cno]).await
}

/// The merchant's own order with this `pgCno`.
pub async fn find_for_merchant<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    pg_cno: &str,
) -> Result<Option<WechatPayment>, StoreReadError> {
    find_where(db, "mall_id = $1 AND pg_cno = $2", &[mall_id, pg_cno]).await
}

pub async fn find_by_pg_cno<'e>(
    db: impl Executor<'e, Database = Any>,
    pg_cno: &str,
) -> Result<Option<WechatPayment>, StoreReadError> {
    find_where(db, "pg_cno = $1", &[pg_cno]).await
}

pub async fn find_by_token<'e>(
    db: impl Executor<'e, Database = Any>,
    token: &str,
) -> Result<Option<WechatPayment>, StoreReadError> {
    find_where(db, "page_token = $1", &[token]).await
}

/// Stores a transition of `next` from version `next.version - 1`. `false` if someone else changed
/// the order first (the caller reloads and decides again).
pub async fn update_state(conn: &mut Conn, next: &WechatPayment) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE payments SET state = $1, approved_amount = $2, approved_at = $3, closed_at = $4, \
         cancelled_amount = $5, version = $6 WHERE pg_cno = $7 AND version = $8",
    )
    .bind(next.state.as_str())
    .bind(next.approved_amount.map(Amount::as_i64))
    .bind(next.approved_at.map(|at| at.timestamp_millis()))
    .bind(next.closed_at.map(|at| at.timestamp_millis()))
    .bind(next.cancelled_amount as i64)
    .bind(next.version)
    .bind(&next.pg_cno)
    .bind(next.version - 1)
    .execute(&mut *conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_insert_matches_the_order_number_by_its_second_and_third_columns() {
        assert!(INSERT_INTO.starts_with("INSERT INTO payments (pg_cno, mall_id, shop_order_no,"));
        let sql = insert_claimed("($1, $2, $3)", "p1");
        assert!(sql.contains("p1.c0 = v.column2 AND p1.c1 = 'payment' AND p1.c2 = v.column3"));
        assert!(!sql.contains("ON CONFLICT"), "{sql}");
    }
}
