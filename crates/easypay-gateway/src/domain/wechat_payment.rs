//! A WeChat Pay order and its state machine.
//!
//! ```text
//! Pending ──approve──▶ Approved ──void──▶ Voided
//!    │ ├──decline──▶ Declined     │ └──cancel part──▶ PartiallyCancelled ──cancel part──▶ …
//!    │ ├──customer cancel──▶ CancelledByCustomer      └──cancel the rest──▶ Cancelled
//!    │ └──expire / time passes──▶ Expired ──late approve──▶ Voided
//! ```
//! An approval that arrives after expiry is voided at once (WeChat's network cancel, `TS12`).
//! A merchant's cancel takes back part or all of what remains; nothing remaining is `Cancelled`.

use chrono::{DateTime, Utc};
use easypay_api::values::{Amount, EnglishText, HttpUrl, MallId, ShopOrderNo};
use easypay_api::wechat::{Currency, CustomerInfo, TradeType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    Pending,
    Approved,
    Declined,
    CancelledByCustomer,
    Expired,
    Voided,
    /// Part of the approved amount was cancelled (`TS06`).
    PartiallyCancelled,
    /// The whole approved amount was cancelled (`TS02`).
    Cancelled,
}

impl PaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Approved => "approved",
            PaymentState::Declined => "declined",
            PaymentState::CancelledByCustomer => "cancelled_by_customer",
            PaymentState::Expired => "expired",
            PaymentState::Voided => "voided",
            PaymentState::PartiallyCancelled => "partially_cancelled",
            PaymentState::Cancelled => "cancelled",
        }
    }

    /// The state as a message to people says it.
    pub fn in_words(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Approved => "approved",
            PaymentState::Declined => "declined",
            PaymentState::CancelledByCustomer => "cancelled by the customer",
            PaymentState::Expired => "expired",
            PaymentState::Voided => "voided",
            PaymentState::PartiallyCancelled => "partially cancelled",
            PaymentState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            PaymentState::Pending,
            PaymentState::Approved,
            PaymentState::Declined,
            PaymentState::CancelledByCustomer,
            PaymentState::Expired,
            PaymentState::Voided,
            PaymentState::PartiallyCancelled,
            PaymentState::Cancelled,
        ]
        .into_iter()
        .find(|state| state.as_str() == raw)
    }
}

/// Something the (simulated) WeChat wallet or the clock does to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletEvent {
    /// The customer paid; `amount` is what the wallet approved (normally the order amount).
    Approve {
        amount: Amount,
    },
    Decline,
    CustomerCancel,
    Expire,
    Void,
    /// The merchant cancels `amount` of what remains approved.
    Cancel {
        amount: Amount,
    },
}

impl WalletEvent {
    /// Whether the event takes the customer's money (what a deactivated merchant may not do).
    pub fn pays(self) -> bool {
        match self {
            WalletEvent::Approve { .. } => true,
            WalletEvent::Decline
            | WalletEvent::CustomerCancel
            | WalletEvent::Expire
            | WalletEvent::Void
            | WalletEvent::Cancel { .. } => false,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            WalletEvent::Approve { .. } => "approve",
            WalletEvent::Decline => "decline",
            WalletEvent::CustomerCancel => "cancel",
            WalletEvent::Expire => "expire",
            WalletEvent::Void => "void",
            WalletEvent::Cancel { .. } => "cancel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionRefused {
    #[error("the order is {}; the {} action does not apply", from.in_words(), event.name())]
    NotApplicable {
        from: PaymentState,
        event: WalletEvent,
    },
    #[error("the cancel amount {requested} exceeds the {remaining} that remains")]
    ExceedsRemaining { requested: u64, remaining: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatPayment {
    pub pg_cno: String,
    pub mall_id: MallId,
    pub shop_order_no: ShopOrderNo,
    pub page_token: String,
    pub trade_type: TradeType,
    pub goods_name: EnglishText,
    pub currency: Currency,
    pub amount: Amount,
    pub return_url: HttpUrl,
    pub notify_url: HttpUrl,
    pub customer: Option<CustomerInfo>,
    /// The stored state; see [`WechatPayment::state_at`] for the state including expiry.
    pub state: PaymentState,
    pub approved_amount: Option<Amount>,
    /// Sum of the merchant's cancels so far.
    pub cancelled_amount: u64,
    pub approved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Bumped on every stored change, for optimistic concurrency.
    pub version: i64,
}

impl WechatPayment {
    /// The state as of `now`: a pending order past its expiry is expired even if nothing recorded it.
    pub fn state_at(&self, now: DateTime<Utc>) -> PaymentState {
        match self.state {
            PaymentState::Pending if now >= self.expires_at => PaymentState::Expired,
            state => state,
        }
    }

    /// What the customer pays or paid: the amount the wallet approved once there is one (the
    /// sandbox may approve another amount, to test a merchant's mismatch handling), else the
    /// order's.
    pub fn customer_amount(&self) -> Amount {
        self.approved_amount.unwrap_or(self.amount)
    }

    /// What is still approved and can be cancelled.
    pub fn remaining(&self) -> u64 {
        self.approved_amount
            .map_or(0, Amount::get)
            .saturating_sub(self.cancelled_amount)
    }

    /// The order after `event` at `now`, or why the event does not apply.
    pub fn apply(&self, event: WalletEvent, now: DateTime<Utc>) -> Result<Self, TransitionRefused> {
        use PaymentState::*;
        use WalletEvent::*;
        let from = self.state_at(now);
        let mut next = self.clone();
        next.version += 1;
        match (from, event) {
            (Pending, Approve { amount }) => {
                next.state = Approved;
                next.approved_amount = Some(amount);
                next.approved_at = Some(now);
            }
            (Expired, Approve { amount }) => {
                next.state = Voided;
                next.approved_amount = Some(amount);
                next.approved_at = Some(now);
                next.closed_at = Some(now);
            }
            (Pending, Decline) => {
                next.state = Declined;
                next.closed_at = Some(now);
            }
            (Pending, CustomerCancel) => {
                next.state = CancelledByCustomer;
                next.closed_at = Some(now);
            }
            (Pending, Expire) => {
                next.state = Expired;
                next.closed_at = Some(now);
            }
            (Approved, Void) => {
                next.state = Voided;
                next.closed_at = Some(now);
            }
            (Approved | PartiallyCancelled, Cancel { amount }) => {
                let remaining = self.remaining();
                if amount.get() > remaining {
                    return Err(TransitionRefused::ExceedsRemaining {
                        requested: amount.get(),
                        remaining,
                    });
                }
                next.cancelled_amount += amount.get();
                next.state = if next.remaining() == 0 {
                    Cancelled
                } else {
                    PartiallyCancelled
                };
                if next.state == Cancelled {
                    next.closed_at = Some(now);
                }
            }
            (
                Approved | Declined | CancelledByCustomer | Voided | PartiallyCancelled | Cancelled,
                Approve { .. },
            )
            | (
                Approved | Declined | CancelledByCustomer | Expired | Voided | PartiallyCancelled
                | Cancelled,
                Decline | CustomerCancel | Expire,
            )
            | (
                Pending | Declined | CancelledByCustomer | Expired | Voided | PartiallyCancelled
                | Cancelled,
                Void,
            )
            | (
                Pending | Declined | CancelledByCustomer | Expired | Voided | Cancelled,
                Cancel { .. },
            ) => {
                return Err(TransitionRefused::NotApplicable { from, event });
            }
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn order(now: DateTime<Utc>) -> WechatPayment {
        WechatPayment {
            pg_cno: "23031200051212345678".into(),
            mall_id: MallId::from_trusted("T5102001"),
            shop_order_no: ShopOrderNo::from_trusted("ORDER-1"),
            page_token: "token".into(),
            trade_type: TradeType::Native,
            goods_name: EnglishText::from_trusted("Sample"),
            currency: Currency::Krw,
            amount: Amount::from_stored(1000),
            return_url: HttpUrl::from_trusted("https://shop.example/r"),
            notify_url: HttpUrl::from_trusted("https://shop.example/n"),
            customer: None,
            state: PaymentState::Pending,
            approved_amount: None,
            cancelled_amount: 0,
            approved_at: None,
            closed_at: None,
            created_at: now,
            expires_at: now + Duration::hours(2),
            version: 0,
        }
    }

    #[test]
    fn approval_records_amount_and_time() {
        let now = Utc::now();
        let paid = order(now)
            .apply(
                WalletEvent::Approve {
                    amount: Amount::from_stored(900),
                },
                now,
            )
            .unwrap();
        assert_eq!(paid.state, PaymentState::Approved);
        assert_eq!(paid.approved_amount, Some(Amount::from_stored(900)));
        assert_eq!(paid.approved_at, Some(now));
        assert_eq!(paid.version, 1);
    }

    #[test]
    fn pending_orders_expire_with_time() {
        let now = Utc::now();
        let pending = order(now);
        assert_eq!(
            pending.state_at(now + Duration::minutes(119)),
            PaymentState::Pending
        );
        assert_eq!(
            pending.state_at(now + Duration::hours(2)),
            PaymentState::Expired
        );
    }

    #[test]
    fn a_late_approval_is_voided() {
        let now = Utc::now();
        let later = now + Duration::hours(3);
        let voided = order(now)
            .apply(
                WalletEvent::Approve {
                    amount: Amount::from_stored(1000),
                },
                later,
            )
            .unwrap();
        assert_eq!(voided.state, PaymentState::Voided);
        assert_eq!(voided.closed_at, Some(later));
    }

    #[test]
    fn only_approved_orders_can_be_voided() {
        let now = Utc::now();
        let refused = order(now).apply(WalletEvent::Void, now).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the order is pending; the void action does not apply"
        );
        let refused = TransitionRefused::NotApplicable {
            from: PaymentState::PartiallyCancelled,
            event: WalletEvent::Void,
        };
        assert_eq!(
            refused.to_string(),
            "the order is partially cancelled; the void action does not apply",
            "words, not the stored name"
        );
    }

    #[test]
    fn closed_orders_refuse_everything() {
        let now = Utc::now();
        let declined = order(now).apply(WalletEvent::Decline, now).unwrap();
        for event in [
            WalletEvent::Approve {
                amount: Amount::from_stored(1),
            },
            WalletEvent::Decline,
            WalletEvent::CustomerCancel,
            WalletEvent::Expire,
            WalletEvent::Void,
        ] {
            assert_eq!(
                declined.apply(event, now).unwrap_err(),
                TransitionRefused::NotApplicable {
                    from: PaymentState::Declined,
                    event
                }
            );
        }
    }

    #[test]
    fn cancels_take_back_what_remains_and_no_more() {
        let now = Utc::now();
        let cancel = |amount| WalletEvent::Cancel {
            amount: Amount::from_stored(amount),
        };
        let approve = WalletEvent::Approve {
            amount: Amount::from_stored(1000),
        };
        let paid = order(now).apply(approve, now).unwrap();
        let part = paid.apply(cancel(300), now).unwrap();
        assert_eq!(
            (part.state, part.remaining()),
            (PaymentState::PartiallyCancelled, 700)
        );
        assert_eq!(
            part.apply(cancel(701), now).unwrap_err(),
            TransitionRefused::ExceedsRemaining {
                requested: 701,
                remaining: 700
            }
        );
        let rest = part.apply(cancel(700), now).unwrap();
        assert_eq!((rest.state, rest.remaining()), (PaymentState::Cancelled, 0));
        let refused = |result| matches!(result, Err(TransitionRefused::NotApplicable { .. }));
        assert!(refused(rest.apply(cancel(1), now)));
        assert!(refused(order(now).apply(cancel(1), now)));
    }
}
