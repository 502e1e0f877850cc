//! The `card_payments` table: approved charges.

use sqlx::AnyConnection;

use crate::domain::card_payment::CardPayment;

/// Inserts an approved charge; `false` if its `pgCno` collided (draw a fresh one and retry). The
/// order number was claimed in the same transaction.
pub async fn insert(conn: &mut AnyConnection, payment: &CardPayment) -> Result<bool, sqlx::Error> {
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
