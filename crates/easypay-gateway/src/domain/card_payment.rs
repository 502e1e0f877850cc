//! A card charge made with a billing key.
//!
//! ```text
//! (issuer approves) ──▶ Approved
//! ```
//! Only approved charges are stored (a decline is an answer, kept under its idempotency key).
//! Cancellation will add `Cancelled` and `PartlyCancelled`, moving `cancelled_amount` up to
//! `amount`; `Approved` already answers KICC's `TS03` (purchase requested right after approval).

use chrono::{DateTime, Utc};
use easypay_api::values::{Amount, MallId, ShopOrderNo, Text};
use easypay_api::wechat::CustomerInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardPaymentState {
    Approved,
}

impl CardPaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            CardPaymentState::Approved => "approved",
        }
    }

    /// KICC's `statusCode` and `statusMessage` (kicc-api §4.3).
    pub fn status(self) -> (&'static str, &'static str) {
        match self {
            CardPaymentState::Approved => ("TS03", "매입요청"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPayment {
    pub pg_cno: String,
    pub mall_id: MallId,
    pub shop_order_no: ShopOrderNo,
    pub batch_key: String,
    pub amount: Amount,
    /// Sum of cancellations so far; the balance is `amount - cancelled_amount`.
    pub cancelled_amount: u64,
    pub installment_month: u32,
    pub approval_no: String,
    pub goods_name: Text,
    pub customer: Option<CustomerInfo>,
    pub state: CardPaymentState,
    pub approved_at: DateTime<Utc>,
    pub version: i64,
}
