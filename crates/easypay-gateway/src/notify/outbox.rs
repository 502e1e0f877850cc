//! One small function per notification kind: build KICC's body and write it to the outbox inside
//! the caller's transaction.

use chrono::{DateTime, Utc};
use easypay_api::notification::{NotificationAmountInfo, WechatApprovalNotification};
use easypay_api::{seoul_time, ResCode};

use super::Kind;
use crate::domain::ids;
use crate::domain::wechat_payment::WechatPayment;
use crate::store::notifications::{self, NewNotification};
use crate::store::WriteTx;

/// The approval notification of a WeChat order that was just approved (kicc-api §2.2).
pub async fn wechat_approval(
    tx: &mut WriteTx,
    payment: &WechatPayment,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let body = WechatApprovalNotification {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        mall_id: payment.mall_id.to_string(),
        shop_order_no: payment.shop_order_no.to_string(),
        pg_cno: payment.pg_cno.clone(),
        approval_date: seoul_time::timestamp(payment.approved_at.unwrap_or(now)),
        amount_info: NotificationAmountInfo {
            currency: payment.currency.as_str().into(),
            amount: payment.approved_amount.unwrap_or(payment.amount).get(),
        },
    };
    write(tx, Kind::WechatApproval, payment.mall_id.as_str(), &payment.pg_cno, payment.notify_url.as_str(), &body, now).await
}

async fn write(
    tx: &mut WriteTx,
    kind: Kind,
    mall_id: &str,
    pg_cno: &str,
    target_url: &str,
    body: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let id = format!("msg_{}", ids::new_token());
    let body = serde_json::to_string(body).expect("notification bodies serialise");
    notifications::insert(
        tx,
        &NewNotification { id: &id, mall_id, kind: kind.as_str(), pg_cno, target_url, body: &body, now },
    )
    .await
}
