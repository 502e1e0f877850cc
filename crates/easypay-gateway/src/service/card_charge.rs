//! Recurring charge with a billing key (kicc-api §3.4): the sandbox issuer decides; an approval is
//! stored with its idempotency record and its notification in one transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use easypay_api::card_batch::{
    BatchApprovalRequest, BatchApprovalResponse, ChargedCardInfo, ChargedPaymentInfo,
};
use easypay_api::{seoul_time, ResCode};

use super::billing_key::sign;
use super::idempotent::{self, answer, Key};
use super::merchant_gate::active_merchant;
use crate::app::AppState;
use crate::domain::billing_key::{BillingKey, KeyEvent, KeyState};
use crate::domain::card_payment::{CardPayment, CardPaymentState};
use crate::domain::ids;
use crate::domain::merchant::Merchant;
use crate::http::error::ApiError;
use crate::notify::outbox;
use crate::processor::card_issuer;
use crate::store::batch::LockedRow;
use crate::store::idempotency::{Endpoint, StoredResponse};
use crate::store::order_numbers::{self, Scope};
use crate::store::{billing_keys, card_payments, WriteTx};
use crate::vault::CardSecret;

/// Fresh `pgCno`s are tried this many times if one collides (practically never).
const ID_ATTEMPTS: usize = 5;

pub async fn charge(
    state: &AppState,
    request: BatchApprovalRequest,
) -> Result<StoredResponse, ApiError> {
    let merchant =
        active_merchant(&state.db, &request.mall_id, &request.shop_transaction_id).await?;
    // The slow sandbox card waits before the write transaction, so that it holds no lock; a
    // lookup of the key meanwhile answers that the charge is still being processed.
    let _in_flight = state
        .in_flight
        .enter(
            &state.db,
            request.mall_id.as_str(),
            Endpoint::CardBatchApproval,
            request.shop_transaction_id.as_str(),
        )
        .await;
    tokio::time::sleep(issuer_delay(state, &request).await?).await;
    let hash = idempotent::request_hash(&request);
    let key = Key::new(
        Endpoint::CardBatchApproval,
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    )
    .locking(LockedRow::hot("billing_keys", request.batch_key.as_str()));
    idempotent::perform(
        state,
        key,
        hash,
        (request, merchant),
        |state, tx, (request, merchant), now| {
            Box::pin(charge_key(state, tx, request, merchant, now))
        },
    )
    .await
}

/// An answer without a payment: the request's identifiers and why.
fn refusal(request: &BatchApprovalRequest, code: ResCode, message: &str) -> BatchApprovalResponse {
    BatchApprovalResponse {
        res_cd: code.as_str().into(),
        res_msg: message.into(),
        shop_transaction_id: request.shop_transaction_id.to_string(),
        mall_id: request.mall_id.to_string(),
        shop_order_no: request.shop_order_no.to_string(),
        pg_cno: None,
        amount: None,
        transaction_date: None,
        status_code: None,
        status_message: None,
        msg_auth_value: None,
        escrow_used: None,
        payment_info: None,
    }
}

async fn charge_key(
    state: &AppState,
    tx: &mut WriteTx,
    request: &BatchApprovalRequest,
    merchant: &Merchant,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let found = billing_keys::find_for_update(
        tx,
        state.db.backend(),
        request.mall_id.as_str(),
        request.batch_key.as_str(),
    )
    .await?;
    let key = match found.map(|key| key.apply(KeyEvent::Charge, now)) {
        None => {
            let message =
                "payMethodInfo.billKeyMethodInfo.batchKey: no billing key of this merchant has it";
            return Ok(answer(&refusal(request, ResCode::UnknownBatchKey, message)));
        }
        Some(Err(_)) => {
            let message = "payMethodInfo.billKeyMethodInfo.batchKey: the billing key was removed";
            return Ok(answer(&refusal(request, ResCode::BatchKeyRemoved, message)));
        }
        Some(Ok(key)) => key,
    };
    let duplicate_order = || {
        let message = format!(
            "shopOrderNo: {} was already used by this merchant",
            request.shop_order_no
        );
        Ok(answer(&refusal(request, ResCode::DuplicateOrder, &message)))
    };
    // A number used already is the merchant's mistake whatever the card would say: D001, before
    // the issuer is asked (a decline does not use the number up, so it is claimed only below).
    let (mall_id, order_no) = (request.mall_id.as_str(), request.shop_order_no.as_str());
    if order_numbers::is_taken(tx, mall_id, Scope::Payment, order_no).await? {
        return duplicate_order();
    }
    let card = open_card(state, &key)?;
    let verdict = card_issuer::decide(&card, request.amount, now);
    if let Err(decline) = verdict.outcome {
        let response = refusal(request, decline.code(), decline.message());
        return Ok(answer(&response));
    }
    if !order_numbers::claim(tx, mall_id, Scope::Payment, order_no, now).await? {
        return duplicate_order();
    }
    let mut inserted = None;
    for pg_cno in ids::pg_cno_draws(now).take(ID_ATTEMPTS) {
        let payment = CardPayment {
            pg_cno,
            mall_id: request.mall_id.clone(),
            shop_order_no: request.shop_order_no.clone(),
            batch_key: key.batch_key.clone(),
            amount: request.amount,
            cancelled_amount: 0,
            installment_month: request.installment_month,
            approval_no: card_issuer::new_approval_no(),
            goods_name: request.goods_name.clone(),
            customer: request.customer_info.clone(),
            state: CardPaymentState::Approved,
            approved_at: now,
            version: 0,
        };
        // A taken pgCno writes nothing: draw another.
        if card_payments::insert(tx, &payment).await? {
            inserted = Some(payment);
            break;
        }
    }
    let payment = inserted.ok_or_else(|| ApiError::internal("could not draw a unique pgCno"))?;
    let (status_code, status_message) = payment.state.status();
    let transaction_date = seoul_time::timestamp(now);
    let profile = verdict.profile;
    let response = BatchApprovalResponse {
        pg_cno: Some(payment.pg_cno.clone()),
        amount: Some(payment.amount.get()),
        transaction_date: Some(transaction_date.clone()),
        status_code: Some(status_code.into()),
        status_message: Some(status_message.into()),
        msg_auth_value: Some(sign(
            &merchant.secret_key,
            &payment.pg_cno,
            payment.amount.get(),
            now,
        )),
        escrow_used: Some("N".into()),
        payment_info: Some(ChargedPaymentInfo {
            pay_method_type_code: "11".into(),
            approval_no: payment.approval_no.clone(),
            approval_date: transaction_date,
            cp_code: String::new(),
            card_info: ChargedCardInfo {
                card_no: key.card_mask_no.clone(),
                issuer_code: profile.issuer_code.into(),
                issuer_name: profile.issuer_name.into(),
                acquirer_code: profile.acquirer_code.into(),
                acquirer_name: profile.acquirer_name.into(),
                installment_month: payment.installment_month,
                free_installment_type_code: request.free_installment_type_code().into(),
                card_gubun: profile.card_gubun.into(),
                card_biz_gubun: profile.card_biz_gubun.into(),
                part_cancel_used: "Y".into(),
                sub_card_cd: profile.sub_card_cd.into(),
                van_sno: card_issuer::new_van_sno(),
                card_mask_no: key.card_mask_no.clone(),
            },
        }),
        ..refusal(request, ResCode::Success, "Success")
    };
    // Card notifications go to the URL registered for the merchant; without one, none is sent.
    if let Some(noti_url) = merchant.noti_url.as_deref() {
        let cardno_hash = state.vault.card_number_hash(&card.number);
        outbox::card_approval(tx, &payment, &response, cardno_hash, noti_url, now).await?;
    }
    Ok(answer(&response))
}

fn open_card(state: &AppState, key: &BillingKey) -> Result<CardSecret, ApiError> {
    state
        .vault
        .open(&key.card, &BillingKey::seal_context(&key.batch_key))
        .map_err(ApiError::internal)
}

/// How long the issuer takes to answer this charge: only the slow sandbox card takes time.
async fn issuer_delay(
    state: &AppState,
    request: &BatchApprovalRequest,
) -> Result<Duration, ApiError> {
    let mut conn = state.db.read().await?;
    let found = billing_keys::find(
        &mut conn,
        request.mall_id.as_str(),
        request.batch_key.as_str(),
    )
    .await?;
    Ok(match found {
        Some(key) if key.state == KeyState::Active => {
            card_issuer::decide(&open_card(state, &key)?, request.amount, Utc::now()).delay
        }
        Some(_) | None => Duration::ZERO,
    })
}
