//! WeChat Pay cancel (`/api/trades/wechatpay/revise`, kicc-api §2.4) and the cancel status query
//! (`find` with `cancelPgCno`, §2.6). A cancel is accepted at once with its `cancelPgCno`; its
//! result reaches the merchant as the cancel notification, written in the same transaction.

use chrono::{DateTime, Utc};
use easypay_api::values::Amount;
use easypay_api::wechat::{FindWechatRequest, ResponseAmountInfo};
use easypay_api::wechat_revise::{
    FindWechatCancelResponse, ReviseType, ReviseWechatRequest, ReviseWechatResponse,
};
use easypay_api::{seoul_time, ResCode};

use super::idempotent::{self, answer, Key};
use super::merchant_gate::{active_merchant, check_revise_signature};
use crate::app::AppState;
use crate::domain::ids;
use crate::domain::wechat_payment::{PaymentState, TransitionRefused, WalletEvent, WechatPayment};
use crate::http::error::ApiError;
use crate::notify::outbox;
use crate::store::batch::LockedRow;
use crate::store::cancels::{self, Cancel, Method};
use crate::store::idempotency::{Endpoint, StoredResponse};
use crate::store::payments;
use crate::store::WriteTx;

/// Fresh `cancelPgCno`s are tried this many times if the random part collides.
const ID_ATTEMPTS: usize = 5;

pub async fn revise(
    state: &AppState,
    request: ReviseWechatRequest,
) -> Result<StoredResponse, ApiError> {
    let merchant =
        active_merchant(&state.db, &request.mall_id, &request.shop_transaction_id).await?;
    check_revise_signature(
        &merchant,
        "pgCno",
        request.pg_cno.as_str(),
        &request.shop_transaction_id,
        request.msg_auth_value.as_str(),
    )?;
    let hash = idempotent::request_hash(&request);
    let key = Key::new(
        Endpoint::WechatRevise,
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    )
    .locking(LockedRow::new("payments", request.pg_cno.as_str()));
    idempotent::perform(state, key, hash, request, |state, tx, request, now| {
        Box::pin(cancel_payment(state, tx, request, now))
    })
    .await
}

async fn cancel_payment(
    state: &AppState,
    tx: &mut WriteTx,
    request: &ReviseWechatRequest,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let mall_id = request.mall_id.as_str();
    let backend = state.db.backend();
    let payment = payments::find_for_update(tx, backend, mall_id, request.pg_cno.as_str()).await?;
    let mut response = ReviseWechatResponse {
        res_cd: String::new(),
        res_msg: String::new(),
        shop_transaction_id: request.shop_transaction_id.to_string(),
        mall_id: mall_id.into(),
        pg_cno: request.pg_cno.to_string(),
        cancel_pg_cno: None,
        revise_type_code: Some(request.revise_type_code.as_str().into()),
        amount_info: None,
    };
    let outcome = match payment {
        None => Err((
            ResCode::TransactionNotFound,
            format!("pgCno: no transaction {} for this merchant", request.pg_cno),
        )),
        Some(payment) => decide(request, &payment, now),
    };
    match outcome {
        Err((code, message)) => {
            response.res_cd = code.as_str().into();
            response.res_msg = message;
        }
        Ok((payment, cancelled)) => {
            let mut inserted = None;
            for cancel_pg_cno in ids::pg_cno_draws(now).take(ID_ATTEMPTS) {
                let cancel = Cancel {
                    cancel_pg_cno,
                    pg_cno: payment.pg_cno.clone(),
                    mall_id: mall_id.into(),
                    revise_type: request.revise_type_code.as_str().into(),
                    amount: cancelled.amount.get(),
                    remain_after: cancelled.remaining(),
                    shop_transaction_id: request.shop_transaction_id.to_string(),
                    memo: request.memo.as_ref().map(ToString::to_string),
                    created_at: now,
                };
                // A taken cancelPgCno writes nothing: draw another.
                if cancels::insert(tx, Method::Wechat, &cancel).await? {
                    inserted = Some(cancel);
                    break;
                }
            }
            let cancel = inserted
                .ok_or_else(|| ApiError::internal("could not draw a unique cancelPgCno"))?;
            if !payments::update_state(tx, &cancelled.payment).await? {
                return Err(ApiError::internal(
                    "a locked payment changed during its cancel",
                ));
            }
            let target = request.notify_url.as_ref().unwrap_or(&payment.notify_url);
            outbox::wechat_cancel(tx, &cancelled.payment, &cancel, target.as_str()).await?;
            response.res_cd = ResCode::Success.as_str().into();
            response.res_msg = "Accepted: the result follows as the cancel notification".into();
            response.cancel_pg_cno = Some(cancel.cancel_pg_cno);
            response.amount_info = Some(ResponseAmountInfo {
                currency: payment.currency.as_str().into(),
                tot_amount: cancel.amount,
            });
        }
    }
    Ok(answer(&response))
}

/// A payment after an accepted cancel, and what the cancel took.
struct Cancelled {
    payment: WechatPayment,
    amount: Amount,
}

impl Cancelled {
    fn remaining(&self) -> u64 {
        self.payment.remaining()
    }
}

/// Applies the cancel to the payment, or says which rule refuses it (decision: each its own code).
fn decide(
    request: &ReviseWechatRequest,
    payment: &WechatPayment,
    now: DateTime<Utc>,
) -> Result<(WechatPayment, Cancelled), (ResCode, String)> {
    if let Some(info) = &request.amount_info {
        if info.currency != payment.currency {
            return Err((
                ResCode::CancelCurrencyMismatch,
                format!(
                    "amountInfo.currency: the payment is in {}, not {}",
                    payment.currency.as_str(),
                    info.currency.as_str()
                ),
            ));
        }
    }
    let remaining = Amount::from_stored(payment.remaining() as i64);
    let stated = request
        .amount_info
        .as_ref()
        .and_then(|info| info.tot_amount);
    let amount = match (request.revise_type_code, stated) {
        (ReviseType::Partial, Some(amount)) => amount,
        // A full cancel takes back whatever remains; an amount it states must be that.
        (ReviseType::Full, None) => remaining,
        (ReviseType::Full, Some(stated)) if stated == remaining => remaining,
        (ReviseType::Full, Some(stated)) => {
            // A payment that cannot be cancelled at all says so first.
            let cancel_all = WalletEvent::Cancel { amount: remaining };
            if let Err(TransitionRefused::NotApplicable { from, .. }) =
                payment.apply(cancel_all, now)
            {
                return Err(refusal(from));
            }
            return Err((
                ResCode::RemainAmountMismatch,
                format!(
                    "amountInfo.totAmount: a full cancel takes back the {remaining} that remains, \
                     not {stated}; state {remaining} or leave totAmount out"
                ),
            ));
        }
        // Parsing requires the amount of a partial cancel; kept for completeness.
        (ReviseType::Partial, None) => {
            return Err((
                ResCode::FieldMissing,
                "amountInfo.totAmount: is required for a partial cancel".into(),
            ))
        }
    };
    match payment.apply(WalletEvent::Cancel { amount }, now) {
        Ok(next) => Ok((
            payment.clone(),
            Cancelled {
                payment: next,
                amount,
            },
        )),
        Err(TransitionRefused::ExceedsRemaining {
            requested,
            remaining,
        }) => Err((
            ResCode::CancelExceedsRemaining,
            format!("amountInfo.totAmount: {requested} is more than the {remaining} that remains"),
        )),
        Err(TransitionRefused::NotApplicable { from, .. }) => Err(refusal(from)),
    }
}

fn refusal(state: PaymentState) -> (ResCode, String) {
    let (code, why) = match state {
        PaymentState::Pending => (ResCode::CancelNotPaid, "is not paid yet"),
        PaymentState::Declined => (ResCode::CancelDeclined, "was declined"),
        PaymentState::Expired => (ResCode::CancelExpired, "expired unpaid"),
        PaymentState::CancelledByCustomer => (
            ResCode::CancelAbandoned,
            "was cancelled by the customer before paying",
        ),
        PaymentState::Voided => (ResCode::CancelVoided, "was voided by the wallet (TS12)"),
        PaymentState::Cancelled => (
            ResCode::AlreadyCancelled,
            "is already cancelled in full (TS02)",
        ),
        PaymentState::Approved | PaymentState::PartiallyCancelled => {
            (ResCode::TransitionNotAllowed, "cannot take this cancel")
        }
    };
    (
        code,
        format!("pgCno: the payment {why}; nothing was cancelled"),
    )
}

/// `find` with `cancelPgCno`: the status of one cancel.
pub async fn find(
    state: &AppState,
    request: FindWechatRequest,
) -> Result<StoredResponse, ApiError> {
    let hash = idempotent::request_hash(&request);
    let key = Key::new(
        Endpoint::WechatFind,
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    );
    idempotent::perform_for_active_merchant(state, key, hash, request, |_, tx, request, _| {
        Box::pin(describe_cancel(tx, request))
    })
    .await
}

async fn describe_cancel(
    tx: &mut WriteTx,
    request: &FindWechatRequest,
) -> Result<StoredResponse, ApiError> {
    let cancel_pg_cno = request
        .cancel_pg_cno
        .as_ref()
        .map(|c| c.as_str())
        .unwrap_or_default();
    let mall_id = request.mall_id.as_str();
    let pg_cno = request.pg_cno.as_str();
    let payment = payments::find_for_merchant(&mut **tx, mall_id, pg_cno).await?;
    let cancel = cancels::find(&mut **tx, mall_id, pg_cno, cancel_pg_cno).await?;
    let mut response = FindWechatCancelResponse {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        shop_transaction_id: request.shop_transaction_id.to_string(),
        mall_id: mall_id.into(),
        shop_order_no: payment
            .as_ref()
            .map(|payment| payment.shop_order_no.to_string()),
        pg_cno: pg_cno.into(),
        cancel_pg_cno: cancel_pg_cno.into(),
        transaction_date: None,
        cancel_status: None,
        res_detail_msg: None,
        amount_info: None,
    };
    match (payment, cancel) {
        (Some(payment), Some(cancel)) => {
            response.transaction_date = Some(seoul_time::timestamp(cancel.created_at));
            let status = if cancel.remain_after == 0 {
                "TS02"
            } else {
                "TS06"
            };
            response.cancel_status = Some(status.into());
            response.amount_info = Some(ResponseAmountInfo {
                currency: payment.currency.as_str().into(),
                tot_amount: cancel.amount,
            });
        }
        (None, _) => {
            response.res_cd = ResCode::TransactionNotFound.as_str().into();
            response.res_msg = format!("pgCno: no transaction {pg_cno} for this merchant");
        }
        (Some(_), None) => {
            response.res_cd = ResCode::CancelNotFound.as_str().into();
            response.res_msg = format!("cancelPgCno: no cancel {cancel_pg_cno} of this payment");
        }
    }
    Ok(answer(&response))
}
