//! The `card_payments` table: approved charges.

use anyhow::{anyhow, Context};
use easypay_api::values::{Amount, MallId, ShopOrderNo, Text};
use sqlx::FromRow;

use super::merchants::from_millis;
use super::payments::StoreReadError;
use super::{Backend, Conn, WriteTx};
use crate::domain::card_payment::{CardPayment, CardPaymentState};

/// Inserts an approved charge; `false` if its `pgCno` collided (draw a fresh one and retry). The
/// order number was claimed in the same transaction.
pub async fn insert(conn: &mut Conn, payment: &CardPayment) -> Result<bool, sqlx::Error> {
    let customer_json = payment
        .customer
        .as_ref()
        .map(|customer| serde_json::to_string(customer).expect("customer info serialises"));
    let inserted = sqlx::query(
        "INSERT INTO card_payments (pg_cno, mall_id, shop_order_no, batch_key, amount, \
         cancelled_amount, installment_month, approval_no, goods_name, customer_json, state, \
         approved_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
    )
    .bind(&payment.pg_cno)
    .bind(payment.mall_id.as_str())
    .bind(payment.shop_order_no.as_str())
    .bind(&payment.batch_key)
    .bind(payment.amount.as_i64())
    .bind(payment.cancelled_amount as i64)
    .bind(i64::from(payment.installment_month))
    .bind(&payment.approval_no)
    .bind(payment.goods_name.as_str())
    .bind(customer_json)
    .bind(payment.state.as_str())
    .bind(payment.approved_at.timestamp_millis())
    .bind(payment.version)
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

#[derive(FromRow)]
struct CardPaymentRow {
    pg_cno: String,
    mall_id: String,
    shop_order_no: String,
    batch_key: String,
    amount: i64,
    cancelled_amount: i64,
    installment_month: i64,
    approval_no: String,
    goods_name: String,
    customer_json: Option<String>,
    state: String,
    approved_at: i64,
    version: i64,
}

impl TryFrom<CardPaymentRow> for CardPayment {
    type Error = anyhow::Error;

    fn try_from(row: CardPaymentRow) -> Result<Self, Self::Error> {
        let state = CardPaymentState::parse(&row.state)
            .ok_or_else(|| anyhow!("card payment {} has an unreadable state", row.pg_cno))?;
        Ok(CardPayment {
            customer: row
                .customer_json
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .with_context(|| {
                    format!("card payment {} has unreadable customer_json", row.pg_cno)
                })?,
            mall_id: MallId::from_trusted(row.mall_id),
            shop_order_no: ShopOrderNo::from_trusted(row.shop_order_no),
            batch_key: row.batch_key,
            amount: Amount::from_stored(row.amount),
            cancelled_amount: row.cancelled_amount.max(0) as u64,
            installment_month: row.installment_month.clamp(0, i64::from(u32::MAX)) as u32,
            approval_no: row.approval_no,
            goods_name: Text::from_trusted(row.goods_name),
            state,
            approved_at: from_millis(row.approved_at),
            version: row.version,
            pg_cno: row.pg_cno,
        })
    }
}

/// The merchant's charge, read and (on PostgreSQL) locked inside the caller's transaction, so
/// concurrent cancels of one charge apply one after the other.
pub async fn find_for_update(
    tx: &mut WriteTx,
    backend: Backend,
    mall_id: &str,
    pg_cno: &str,
) -> Result<Option<CardPayment>, StoreReadError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let row: Option<CardPaymentRow> = sqlx::query_as(&format!(
        "SELECT pg_cno, mall_id, shop_order_no, batch_key, amount, cancelled_amount, \
         installment_month, approval_no, goods_name, customer_json, state, approved_at, version \
         FROM card_payments WHERE mall_id = $1 AND pg_cno = $2{lock}"
    ))
    .bind(mall_id)
    .bind(pg_cno)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(CardPayment::try_from).transpose()?)
}

/// Stores a cancel of `next` from version `next.version - 1`; `false` if it changed meanwhile.
pub async fn update_after_cancel(
    tx: &mut WriteTx,
    next: &CardPayment,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE card_payments SET cancelled_amount = $1, state = $2, version = $3 \
         WHERE pg_cno = $4 AND version = $5",
    )
    .bind(next.cancelled_amount as i64)
    .bind(next.state.as_str())
    .bind(next.version)
    .bind(&next.pg_cno)
    .bind(next.version - 1)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}
