//! One small function per notification kind: build KICC's body and write it to the outbox inside
//! the caller's transaction.

use chrono::{DateTime, Utc};
use easypay_api::card_batch::BatchApprovalResponse;
use easypay_api::card_revise::ReviseCardResponse;
use easypay_api::notification::{
    CardApprovalNotification, CardCancelNotification, NotificationAmountInfo,
    WechatApprovalNotification, WechatCancelNotification,
};
use easypay_api::{seoul_time, ResCode};

use super::Kind;
use crate::domain::card_payment::CardPayment;
use crate::domain::ids;
use crate::domain::wechat_payment::WechatPayment;
use crate::store::cancels::Cancel;
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
            amount: payment.customer_amount().get(),
        },
    };
    write(
        tx,
        Kind::WechatApproval,
        payment.mall_id.as_str(),
        &payment.pg_cno,
        payment.notify_url.as_str(),
        &body,
        now,
    )
    .await
}

/// The card approval notification (`notiType` `10`) of a charge that was just approved, built from
/// its answer, to the merchant's registered URL (kicc-api §1.6).
pub async fn card_approval(
    tx: &mut WriteTx,
    payment: &CardPayment,
    answer: &BatchApprovalResponse,
    cardno_hash: String,
    noti_url: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let Some(info) = &answer.payment_info else {
        return Ok(());
    };
    let card = &info.card_info;
    let customer = payment.customer.as_ref();
    let text =
        |value: Option<&easypay_api::values::Text>| value.map_or("", |v| v.as_str()).to_owned();
    let body = CardApprovalNotification {
        res_cd: answer.res_cd.clone(),
        res_msg: answer.res_msg.clone(),
        mall_id: payment.mall_id.to_string(),
        noti_type: "10".into(),
        pg_cno: payment.pg_cno.clone(),
        shop_order_no: payment.shop_order_no.to_string(),
        amount: payment.amount.to_string(),
        approval_no: info.approval_no.clone(),
        transaction_date: answer.transaction_date.clone().unwrap_or_default(),
        card_no: card.card_mask_no.clone(),
        issuer_code: card.issuer_code.clone(),
        issuer_name: card.issuer_name.clone(),
        acquirer_code: card.acquirer_code.clone(),
        acquirer_name: card.acquirer_name.clone(),
        installment_month: format!("{:02}", card.installment_month),
        free_installment_type_code: card.free_installment_type_code.clone(),
        status_code: answer.status_code.clone().unwrap_or_default(),
        status_message: answer.status_message.clone().unwrap_or_default(),
        pay_method_type_code: info.pay_method_type_code.clone(),
        part_cancel_used: card.part_cancel_used.clone(),
        card_gubun: card.card_gubun.clone(),
        card_biz_gubun: card.card_biz_gubun.clone(),
        card_mask_no: card.card_mask_no.clone(),
        sub_card_cd: card.sub_card_cd.clone(),
        cardno_hash,
        van_tid: String::new(),
        van_sno: card.van_sno.clone(),
        customer_id: text(customer.and_then(|c| c.customer_id.as_ref())),
        customer_name: text(customer.and_then(|c| c.customer_name.as_ref())),
        escrow_used: answer.escrow_used.clone().unwrap_or_else(|| "N".into()),
        complex_used: "N".into(),
        basket_used: "N".into(),
    };
    write(
        tx,
        Kind::CardApproval,
        payment.mall_id.as_str(),
        &payment.pg_cno,
        noti_url,
        &body,
        now,
    )
    .await
}

/// The card cancel notification (`notiType` `20`) of a cancel that was just accepted, to the
/// merchant's registered URL (kicc-api §1.6, §3.8).
pub async fn card_cancel(
    tx: &mut WriteTx,
    charge: &CardPayment,
    cancel: &Cancel,
    answer: &ReviseCardResponse,
    card_mask_no: &str,
    noti_url: &str,
) -> Result<(), sqlx::Error> {
    let customer = charge.customer.as_ref();
    let text =
        |value: Option<&easypay_api::values::Text>| value.map_or("", |v| v.as_str()).to_owned();
    let body = CardCancelNotification {
        res_cd: answer.res_cd.clone(),
        res_msg: answer.res_msg.clone(),
        mall_id: charge.mall_id.to_string(),
        noti_type: "20".into(),
        pg_cno: charge.pg_cno.clone(),
        shop_order_no: charge.shop_order_no.to_string(),
        amount: charge.amount.to_string(),
        approval_no: answer
            .revise_info
            .as_ref()
            .map(|info| info.approval_no.clone())
            .unwrap_or_default(),
        transaction_date: seoul_time::timestamp(cancel.created_at),
        cancel_pg_cno: cancel.cancel_pg_cno.clone(),
        cancel_amount: cancel.amount.to_string(),
        cancel_date: seoul_time::timestamp(cancel.created_at),
        cancel_remain_amount: cancel.remain_after.to_string(),
        status_code: answer.status_code.clone().unwrap_or_default(),
        status_message: answer.status_message.clone().unwrap_or_default(),
        pay_method_type_code: "11".into(),
        card_no: card_mask_no.into(),
        card_mask_no: card_mask_no.into(),
        customer_id: text(customer.and_then(|c| c.customer_id.as_ref())),
        customer_name: text(customer.and_then(|c| c.customer_name.as_ref())),
    };
    let mall_id = charge.mall_id.as_str();
    write(
        tx,
        Kind::CardCancel,
        mall_id,
        &charge.pg_cno,
        noti_url,
        &body,
        cancel.created_at,
    )
    .await
}

/// The result of a merchant's cancel of a WeChat payment (kicc-api §2.5), to `target_url`.
pub async fn wechat_cancel(
    tx: &mut WriteTx,
    payment: &WechatPayment,
    cancel: &Cancel,
    target_url: &str,
) -> Result<(), sqlx::Error> {
    let body = WechatCancelNotification {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        mall_id: payment.mall_id.to_string(),
        shop_order_no: payment.shop_order_no.to_string(),
        pg_cno: payment.pg_cno.clone(),
        cancel_pg_cno: cancel.cancel_pg_cno.clone(),
        cancel_date: seoul_time::timestamp(cancel.created_at),
        amount_info: NotificationAmountInfo {
            currency: payment.currency.as_str().into(),
            amount: cancel.amount,
        },
    };
    let pg_cno = &payment.pg_cno;
    let mall_id = payment.mall_id.as_str();
    write(
        tx,
        Kind::WechatCancel,
        mall_id,
        pg_cno,
        target_url,
        &body,
        cancel.created_at,
    )
    .await
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
    let id = format!("msg_{}", ids::new_time_ordered_token(now));
    let body = serde_json::to_string(body).expect("notification bodies serialise");
    notifications::insert(
        tx,
        &NewNotification {
            id: &id,
            mall_id,
            kind: kind.as_str(),
            pg_cno,
            target_url,
            body: &body,
            now,
        },
    )
    .await
}
