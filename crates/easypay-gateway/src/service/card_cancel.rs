//! Card cancel (`/api/trades/revise`, kicc-api §3.6): a full (`40`) or partial (`32`) cancel of a
//! charge, with KICC's `remainAmount` check, answered at once; the `notiType` `20` notification is
//! queued in the same transaction.

use chrono::{DateTime, Utc};
use easypay_api::card_revise::{ReviseCardInfo, ReviseCardRequest, ReviseCardResponse, ReviseInfo};
use easypay_api::values::Amount;
use easypay_api::wechat_revise::ReviseType;
use easypay_api::{seoul_time, ResCode};

use super::idempotent::{self, answer, Key};
use super::merchant_gate::{active_merchant, check_revise_signature};
use crate::app::AppState;
use crate::domain::card_payment::{CancelRefused, CardPayment};
use crate::domain::ids;
use crate::domain::merchant::Merchant;
use crate::http::error::ApiError;
use crate::notify::outbox;
use crate::processor::card_issuer::new_approval_no;
use crate::store::batch::LockedRow;
use crate::store::cancels::{self, Cancel, Method};
use crate::store::idempotency::{Endpoint, StoredResponse};
use crate::store::{billing_keys, card_payments, WriteTx};

/// Fresh `cancelPgCno`s are tried this many times if the random part collides.
const ID_ATTEMPTS: usize = 5;

pub async fn revise(
    state: &AppState,
    request: ReviseCardRequest,
) -> Result<StoredResponse, ApiError> {
    let merchant =
        active_merchant(&state.db, &request.mall_id, &request.shop_transaction_id).await?;
    check_revise_signature(
        &merchant,
        "oriPgCno",
        request.pg_cno.as_str(),
        &request.shop_transaction_id,
        request.msg_auth_value.as_str(),
    )?;
    let hash = idempotent::request_hash(&request);
    let key = Key::new(
        Endpoint::CardRevise,
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    )
    .locking(LockedRow::new("card_payments", request.pg_cno.as_str()));
    idempotent::perform(
        state,
        key,
        hash,
        (request, merchant),
        |state, tx, (request, merchant), now| {
            Box::pin(cancel_charge(state, tx, request, merchant, now))
        },
    )
    .await
}

async fn cancel_charge(
    state: &AppState,
    tx: &mut WriteTx,
    request: &ReviseCardRequest,
    merchant: &Merchant,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let mall_id = request.mall_id.as_str();
    let backend = state.db.backend();
    let pg_cno = request.pg_cno.as_str();
    let charge = card_payments::find_for_update(tx, backend, mall_id, pg_cno).await?;
    let mut response = ReviseCardResponse {
        res_cd: String::new(),
        res_msg: String::new(),
        shop_transaction_id: request.shop_transaction_id.to_string(),
        mall_id: mall_id.into(),
        shop_order_no: None,
        ori_pg_cno: Some(pg_cno.into()),
        cancel_pg_cno: None,
        transaction_date: None,
        status_code: None,
        status_message: None,
        escrow_used: None,
        cancel_amount: None,
        remain_amount: None,
        revise_info: None,
    };
    let outcome = match charge {
        None => Err((
            ResCode::TransactionNotFound,
            format!("pgCno: no card charge {pg_cno} for this merchant"),
        )),
        Some(charge) => decide(request, &charge).map(|cancelled| (charge, cancelled)),
    };
    let (charge, (cancelled, amount)) = match outcome {
        Ok(accepted) => accepted,
        Err((code, message)) => {
            response.res_cd = code.as_str().into();
            response.res_msg = message;
            return Ok(answer(&response));
        }
    };
    let mut inserted = None;
    for cancel_pg_cno in ids::pg_cno_draws(now).take(ID_ATTEMPTS) {
        let cancel = Cancel {
            cancel_pg_cno,
            pg_cno: charge.pg_cno.clone(),
            mall_id: mall_id.into(),
            revise_type: request.revise_type_code.as_str().into(),
            amount: amount.get(),
            remain_after: cancelled.remaining(),
            shop_transaction_id: request.shop_transaction_id.to_string(),
            memo: request.revise_message.as_ref().map(ToString::to_string),
            created_at: now,
        };
        // A taken cancelPgCno writes nothing: draw another.
        if cancels::insert(tx, Method::Card, &cancel).await? {
            inserted = Some(cancel);
            break;
        }
    }
    let cancel =
        inserted.ok_or_else(|| ApiError::internal("could not draw a unique cancelPgCno"))?;
    if !card_payments::update_after_cancel(tx, &cancelled).await? {
        return Err(ApiError::internal(
            "a locked charge changed during its cancel",
        ));
    }
    let (status_code, status_message) = cancelled.state.status();
    let timestamp = seoul_time::timestamp(now);
    response.res_cd = ResCode::Success.as_str().into();
    response.res_msg = "Success".into();
    response.shop_order_no = Some(charge.shop_order_no.to_string());
    response.cancel_pg_cno = Some(cancel.cancel_pg_cno.clone());
    response.transaction_date = Some(timestamp.clone());
    response.status_code = Some(status_code.into());
    response.status_message = Some(status_message.into());
    response.escrow_used = Some("N".into());
    response.cancel_amount = Some(cancel.amount);
    response.remain_amount = Some(cancel.remain_after);
    response.revise_info = Some(ReviseInfo {
        pay_method_type_code: "11".into(),
        approval_no: new_approval_no(),
        approval_date: timestamp,
        card_info: ReviseCardInfo { coupon_amount: 0 },
    });
    if let Some(noti_url) = &merchant.noti_url {
        let key = billing_keys::find(&mut **tx, mall_id, &charge.batch_key).await?;
        let card_mask_no = key.map(|key| key.card_mask_no).unwrap_or_default();
        outbox::card_cancel(tx, &cancelled, &cancel, &response, &card_mask_no, noti_url).await?;
    }
    Ok(answer(&response))
}

/// The charge after the cancel and the amount it takes, or which rule refuses it.
fn decide(
    request: &ReviseCardRequest,
    charge: &CardPayment,
) -> Result<(CardPayment, Amount), (ResCode, String)> {
    let remaining = Amount::from_stored(charge.remaining() as i64);
    let amount = match (request.revise_type_code, request.amount) {
        (ReviseType::Partial, Some(amount)) => amount,
        // A full cancel takes back whatever remains; an amount it states must be that, so that a
        // merchant whose books disagree with the gateway finds out instead of losing the rest.
        (ReviseType::Full, None) | (ReviseType::Partial, None) => remaining,
        (ReviseType::Full, Some(stated)) if stated == remaining => remaining,
        (ReviseType::Full, Some(stated)) => {
            // A charge that cannot be cancelled at all says so first.
            charge.cancel(remaining).map_err(refusal)?;
            return Err((
                ResCode::RemainAmountMismatch,
                format!(
                    "amount: a full cancel takes back the {remaining} that remains, not {stated}; \
                     state {remaining} or leave amount out"
                ),
            ));
        }
    };
    let cancelled = charge.cancel(amount).map_err(refusal)?;
    match request.remain_amount {
        Some(expected) if expected != cancelled.remaining() => Err((
            ResCode::RemainAmountMismatch,
            format!(
                "remainAmount: {expected} is not what would remain after this cancel ({})",
                cancelled.remaining()
            ),
        )),
        Some(_) | None => Ok((cancelled, amount)),
    }
}

fn refusal(refused: CancelRefused) -> (ResCode, String) {
    match refused {
        CancelRefused::AlreadyCancelled => (
            ResCode::AlreadyCancelled,
            "pgCno: the charge is already cancelled in full (TS02); nothing was cancelled".into(),
        ),
        CancelRefused::ExceedsRemaining {
            requested,
            remaining,
        } => (
            ResCode::CancelExceedsRemaining,
            format!("amount: {requested} is more than the {remaining} that remains"),
        ),
    }
}
