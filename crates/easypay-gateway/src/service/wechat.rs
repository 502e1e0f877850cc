//! WeChat Pay: Create Transaction and Check Payment Status.

use chrono::{DateTime, Utc};
use easypay_api::wechat::{
    CreateWechatRequest, CreateWechatResponse, FindWechatRequest, FindWechatResponse,
    ResponseAmountInfo, TradeType,
};
use easypay_api::{seoul_time, ResCode};

use super::idempotent::{self, answer, Key};
use crate::app::AppState;
use crate::domain::ids;
use crate::domain::wechat_payment::{PaymentState, WechatPayment};
use crate::http::error::ApiError;
use crate::store::idempotency::{Endpoint, StoredResponse};
use crate::store::order_numbers::{self, Scope};
use crate::store::payments::{self, InsertOutcome};
use crate::store::WriteTx;

/// Fresh identifiers are tried this many times if the random part collides (practically never).
const ID_ATTEMPTS: usize = 5;

pub async fn create(
    state: &AppState,
    request: CreateWechatRequest,
) -> Result<StoredResponse, ApiError> {
    let hash = idempotent::request_hash(&request);
    let key = Key::new(
        Endpoint::WechatCreate,
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    );
    idempotent::perform_for_active_merchant(state, key, hash, request, |state, tx, request, now| {
        Box::pin(create_order(state, tx, request, now))
    })
    .await
}

async fn create_order(
    state: &AppState,
    tx: &mut WriteTx,
    request: &CreateWechatRequest,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let response = CreateWechatResponse {
        res_cd: ResCode::DuplicateOrder.as_str().into(),
        res_msg: format!(
            "shopOrderNo: {} was already used by this merchant",
            request.shop_order_no
        ),
        shop_transaction_id: Some(request.shop_transaction_id.to_string()),
        mall_id: Some(request.mall_id.to_string()),
        pg_cno: None,
        payment_page_url: None,
        res_detail_msg: None,
    };
    let new_payment = |pg_cno: String| WechatPayment {
        pg_cno,
        mall_id: request.mall_id.clone(),
        shop_order_no: request.shop_order_no.clone(),
        page_token: ids::new_time_ordered_token(now),
        trade_type: request.trade_type,
        goods_name: request.goods_name.clone(),
        currency: request.amount_info.currency,
        amount: request.amount_info.total_amount,
        return_url: request.return_url.clone(),
        notify_url: request.notify_url.clone(),
        customer: request.customer_info.clone(),
        state: PaymentState::Pending,
        approved_amount: None,
        cancelled_amount: 0,
        approved_at: None,
        closed_at: None,
        created_at: now,
        expires_at: now + state.settings.order_ttl,
        version: 0,
    };
    let mut pg_cnos = ids::pg_cno_draws(now).take(ID_ATTEMPTS);
    if tx.defers_inserts() {
        // A taken order number or identifier turns up when the batch inserts its rows, and sends
        // this section back to run alone, below.
        let Some(pg_cno) = pg_cnos.next() else {
            return Err(ApiError::internal("could not draw a pgCno"));
        };
        let payment = new_payment(pg_cno);
        order_numbers::claim_at_commit(
            tx,
            request.mall_id.as_str(),
            Scope::Payment,
            request.shop_order_no.as_str(),
            now,
        );
        payments::insert_at_commit(tx, &payment);
        return Ok(answer(&created(state, response, payment)));
    }
    let order_number_free = order_numbers::claim(
        tx,
        request.mall_id.as_str(),
        Scope::Payment,
        request.shop_order_no.as_str(),
        now,
    )
    .await?;
    if !order_number_free {
        return Ok(answer(&response));
    }
    for pg_cno in pg_cnos {
        let payment = new_payment(pg_cno);
        match payments::insert(tx, &payment).await? {
            // Nothing was written: draw fresh identifiers.
            InsertOutcome::IdentifierTaken => continue,
            InsertOutcome::DuplicateOrder => return Ok(answer(&response)),
            InsertOutcome::Inserted => return Ok(answer(&created(state, response, payment))),
        }
    }
    Err(ApiError::internal("could not draw a unique pgCno"))
}

/// The answer to an order that was created.
fn created(
    state: &AppState,
    mut response: CreateWechatResponse,
    payment: WechatPayment,
) -> CreateWechatResponse {
    response.res_cd = ResCode::Success.as_str().into();
    response.res_msg = "Success".into();
    response.payment_page_url = Some(payment_page_url(state, &payment));
    response.pg_cno = Some(payment.pg_cno);
    response
}

/// Decision 16: a WeChat code URL for QR payments, the gateway's cashier page for mobile web.
fn payment_page_url(state: &AppState, payment: &WechatPayment) -> String {
    match payment.trade_type {
        TradeType::Native => format!("weixin://wxpay/bizpayurl?pr={}", payment.page_token),
        TradeType::Mweb => state.page_url(&format!("/wechat/cashier/{}", payment.page_token)),
    }
}

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
    idempotent::perform_for_active_merchant(state, key, hash, request, |_, tx, request, now| {
        Box::pin(describe(tx, request, now))
    })
    .await
}

async fn describe(
    tx: &mut WriteTx,
    request: &FindWechatRequest,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let payment =
        payments::find_for_merchant(&mut **tx, request.mall_id.as_str(), request.pg_cno.as_str())
            .await?;
    let mut response = FindWechatResponse {
        res_cd: String::new(),
        res_msg: String::new(),
        shop_transaction_id: request.shop_transaction_id.to_string(),
        mall_id: Some(request.mall_id.to_string()),
        shop_order_no: None,
        pg_cno: Some(request.pg_cno.to_string()),
        approval_date: None,
        status_cd: None,
        res_detail_msg: None,
        amount_info: None,
    };
    let (code, message) = match payment {
        None => (
            ResCode::TransactionNotFound,
            format!("pgCno: no transaction {} for this merchant", request.pg_cno),
        ),
        Some(payment) => {
            response.shop_order_no = Some(payment.shop_order_no.to_string());
            describe_status(&payment, now, &mut response)
        }
    };
    response.res_cd = code.as_str().into();
    response.res_msg = message;
    Ok(answer(&response))
}

/// Decision 18: an approved (or since voided) payment is a success with its `statusCd`; an order
/// that is not paid answers a code saying why.
fn describe_status(
    payment: &WechatPayment,
    now: DateTime<Utc>,
    response: &mut FindWechatResponse,
) -> (ResCode, String) {
    let paid = |response: &mut FindWechatResponse, status_cd: &str| {
        response.status_cd = Some(status_cd.into());
        response.approval_date = payment.approved_at.map(seoul_time::timestamp);
        response.amount_info = payment.approved_amount.map(|amount| ResponseAmountInfo {
            currency: payment.currency.as_str().into(),
            tot_amount: amount.get(),
        });
    };
    match payment.state_at(now) {
        PaymentState::Approved => {
            paid(response, "TS01");
            (ResCode::Success, "Success".into())
        }
        PaymentState::PartiallyCancelled => {
            paid(response, "TS06");
            (ResCode::Success, "Success (partially cancelled)".into())
        }
        PaymentState::Cancelled => {
            paid(response, "TS02");
            (ResCode::Success, "Success (cancelled in full)".into())
        }
        PaymentState::Voided => {
            paid(response, "TS12");
            (
                ResCode::Success,
                "Success (network cancel: the wallet voided the payment)".into(),
            )
        }
        PaymentState::Pending => (
            ResCode::NotPaidYet,
            format!(
                "not paid yet: waiting for the customer (payable until {})",
                seoul_time::timestamp(payment.expires_at)
            ),
        ),
        PaymentState::Declined => {
            response.res_detail_msg = Some(url_encoded(
                "PAYMENT_DECLINED: the wallet declined the payment",
            ));
            (
                ResCode::DeclinedByWallet,
                "declined: the WeChat wallet declined the payment".into(),
            )
        }
        PaymentState::CancelledByCustomer => (
            ResCode::CancelledByCustomer,
            "cancelled: the customer cancelled the payment in the cashier".into(),
        ),
        PaymentState::Expired => (
            ResCode::OrderExpired,
            format!(
                "expired: the order was not paid by {}",
                seoul_time::timestamp(payment.closed_at.unwrap_or(payment.expires_at))
            ),
        ),
    }
}

/// KICC sends `resDetailMsg` URL-encoded: percent-encoded, a space as `%20` (which every decoder
/// reads, `decodeURIComponent` as well as a form decoder), never `+`.
fn url_encoded(text: &str) -> String {
    // A `+` of the text is `%2B` here, so every `+` left is a space.
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::url_encoded;

    #[test]
    fn detail_messages_are_percent_encoded_with_spaces_as_percent_20() {
        assert_eq!(
            url_encoded("PAYMENT_DECLINED: a+b declined"),
            "PAYMENT_DECLINED%3A%20a%2Bb%20declined"
        );
    }
}
