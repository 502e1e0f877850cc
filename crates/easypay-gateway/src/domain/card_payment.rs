//! A card charge made with a billing key, and its cancels.
//!
//! ```text
//! (issuer approves) ──▶ Approved ──cancel part──▶ PartiallyCancelled ──cancel part──▶ …
//!                          └──────cancel the rest──────────┴──────▶ Cancelled
//! ```
//! Only approved charges are stored (a decline is an answer, kept under its idempotency key).
//! `Approved` answers KICC's `TS03` (purchase requested right after approval).

use chrono::{DateTime, Utc};
use easypay_api::values::{Amount, MallId, ShopOrderNo, Text};
use easypay_api::wechat::CustomerInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardPaymentState {
    Approved,
    /// Part of the amount was cancelled (`TS06`).
    PartiallyCancelled,
    /// Nothing remains (`TS02`).
    Cancelled,
}

impl CardPaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            CardPaymentState::Approved => "approved",
            CardPaymentState::PartiallyCancelled => "partially_cancelled",
            CardPaymentState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            CardPaymentState::Approved,
            CardPaymentState::PartiallyCancelled,
            CardPaymentState::Cancelled,
        ]
        .into_iter()
        .find(|state| state.as_str() == raw)
    }

    /// KICC's `statusCode` and `statusMessage` (kicc-api §4.3).
    pub fn status(self) -> (&'static str, &'static str) {
        match self {
            CardPaymentState::Approved => ("TS03", "매입요청"),
            CardPaymentState::PartiallyCancelled => ("TS06", "부분매입취소"),
            CardPaymentState::Cancelled => ("TS02", "승인취소"),
        }
    }
}

/// Why a cancel does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CancelRefused {
    #[error("the charge is already cancelled in full")]
    AlreadyCancelled,
    #[error("the cancel amount {requested} exceeds the {remaining} that remains")]
    ExceedsRemaining { requested: u64, remaining: u64 },
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

impl CardPayment {
    /// What can still be cancelled.
    pub fn remaining(&self) -> u64 {
        self.amount.get().saturating_sub(self.cancelled_amount)
    }

    /// The charge after cancelling `amount` of what remains.
    pub fn cancel(&self, amount: Amount) -> Result<Self, CancelRefused> {
        let remaining = self.remaining();
        match self.state {
            CardPaymentState::Cancelled => return Err(CancelRefused::AlreadyCancelled),
            CardPaymentState::Approved | CardPaymentState::PartiallyCancelled => {}
        }
        if amount.get() > remaining {
            return Err(CancelRefused::ExceedsRemaining {
                requested: amount.get(),
                remaining,
            });
        }
        let mut next = self.clone();
        next.cancelled_amount += amount.get();
        next.state = if next.remaining() == 0 {
            CardPaymentState::Cancelled
        } else {
            CardPaymentState::PartiallyCancelled
        };
        next.version += 1;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge() -> CardPayment {
        CardPayment {
            pg_cno: "26112200000012345678".into(),
            mall_id: MallId::from_trusted("T5102001"),
            shop_order_no: ShopOrderNo::from_trusted("SUB-1"),
            batch_key: "key".into(),
            amount: Amount::from_stored(1000),
            cancelled_amount: 0,
            installment_month: 0,
            approval_no: "12345678".into(),
            goods_name: Text::from_trusted("Plan"),
            customer: None,
            state: CardPaymentState::Approved,
            approved_at: Utc::now(),
            version: 0,
        }
    }

    #[test]
    fn cancels_take_back_what_remains_and_no_more() {
        let part = charge().cancel(Amount::from_stored(400)).unwrap();
        assert_eq!(
            (part.state, part.remaining(), part.version),
            (CardPaymentState::PartiallyCancelled, 600, 1)
        );
        assert_eq!(part.state.status().0, "TS06");
        assert_eq!(
            part.cancel(Amount::from_stored(601)).unwrap_err(),
            CancelRefused::ExceedsRemaining {
                requested: 601,
                remaining: 600
            }
        );
        let rest = part.cancel(Amount::from_stored(600)).unwrap();
        assert_eq!((rest.state.status().0, rest.remaining()), ("TS02", 0));
        assert_eq!(
            rest.cancel(Amount::from_stored(1)).unwrap_err(),
            CancelRefused::AlreadyCancelled
        );
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for state in [
            CardPaymentState::Approved,
            CardPaymentState::PartiallyCancelled,
            CardPaymentState::Cancelled,
        ] {
            assert_eq!(CardPaymentState::parse(state.as_str()), Some(state));
        }
    }
}
