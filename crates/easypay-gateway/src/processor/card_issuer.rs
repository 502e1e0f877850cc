//! The sandbox card issuer (decision 21): approves any charge on a Luhn-valid card that has not
//! expired, except the magic card numbers and amounts below (docs/cards.md has the same table).

use std::time::Duration;

use chrono::{DateTime, Utc};
use easypay_api::values::Amount;
use easypay_api::ResCode;
use rand::Rng;

use super::card_bins::{self, CardProfile};
use crate::vault::CardSecret;

/// The sandbox's credit limit: a larger charge is declined with `8521`.
pub const CREDIT_LIMIT: u64 = 10_000_000;
/// The balance of every sandbox check card: a larger charge is declined with `8035`.
pub const CHECK_CARD_BALANCE: u64 = 1_000_000;
/// How long the slow card makes a charge wait.
pub const SLOW_ANSWER: Duration = Duration::from_secs(3);

/// Why the issuer declined (KICC's codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    LimitExceeded,
    InsufficientBalance,
    Expired,
    WrongPassword,
    LostOrStolen,
    IssuerRefused,
}

impl Decline {
    pub fn code(self) -> ResCode {
        match self {
            Decline::LimitExceeded => ResCode::CardLimitExceeded,
            Decline::InsufficientBalance => ResCode::CardInsufficientBalance,
            Decline::Expired => ResCode::CardExpired,
            Decline::WrongPassword => ResCode::CardWrongPassword,
            Decline::LostOrStolen => ResCode::CardLostOrStolen,
            Decline::IssuerRefused => ResCode::CardIssuerRefused,
        }
    }

    /// `resMsg`: KICC's Korean wording, then English.
    pub fn message(self) -> &'static str {
        match self {
            Decline::LimitExceeded => "한도초과: the card's credit limit is exceeded",
            Decline::InsufficientBalance => "잔액부족: the check card's balance is insufficient",
            Decline::Expired => "유효기간 오류: the card has expired",
            Decline::WrongPassword => "비밀번호 오류: the card password is wrong",
            Decline::LostOrStolen => "분실/도난 카드: the card was reported lost or stolen",
            Decline::IssuerRefused => {
                "카드사 거절: refused by the issuer, please contact the card company"
            }
        }
    }
}

/// What the magic card numbers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    Decline(Decline),
    Slow,
}

const MAGIC_CARDS: [(&str, Magic); 7] = [
    ("4579730000085212", Magic::Decline(Decline::LimitExceeded)),
    (
        "4658870000080351",
        Magic::Decline(Decline::InsufficientBalance),
    ),
    ("4579730000083142", Magic::Decline(Decline::Expired)),
    ("4579730000083118", Magic::Decline(Decline::WrongPassword)),
    ("4579730000083506", Magic::Decline(Decline::LostOrStolen)),
    ("4579730000083738", Magic::Decline(Decline::IssuerRefused)),
    ("4579730000030002", Magic::Slow),
];

/// The issuer's answer to one charge, and how long it takes to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub profile: CardProfile,
    pub outcome: Result<(), Decline>,
    pub delay: Duration,
}

/// Decides a charge of `amount` on `card` at `now`.
pub fn decide(card: &CardSecret, amount: Amount, now: DateTime<Utc>) -> Verdict {
    let profile = card_bins::profile(card.number.bin());
    let magic = MAGIC_CARDS
        .iter()
        .find(|(number, _)| *number == card.number.digits())
        .map(|(_, magic)| *magic);
    let outcome = match magic {
        Some(Magic::Decline(decline)) => Err(decline),
        Some(Magic::Slow) | None if card.expiry.is_past(now) => Err(Decline::Expired),
        Some(Magic::Slow) | None if amount.get() > CREDIT_LIMIT => Err(Decline::LimitExceeded),
        Some(Magic::Slow) | None
            if profile.is_check_card() && amount.get() > CHECK_CARD_BALANCE =>
        {
            Err(Decline::InsufficientBalance)
        }
        Some(Magic::Slow) | None => Ok(()),
    };
    let delay = match magic {
        Some(Magic::Slow) => SLOW_ANSWER,
        Some(Magic::Decline(_)) | None => Duration::ZERO,
    };
    Verdict {
        profile,
        outcome,
        delay,
    }
}

/// An approval number: 8 random digits.
pub fn new_approval_no() -> String {
    format!("{:08}", rand::thread_rng().gen_range(0..100_000_000u32))
}

/// A VAN transaction number (`vanSno`): 12 random digits.
pub fn new_van_sno() -> String {
    format!(
        "{:012}",
        rand::thread_rng().gen_range(0..1_000_000_000_000u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use easypay_api::card_input::{luhn_valid, CardExpiry, CardNumber};

    fn card(number: &str, mmyy: &str) -> CardSecret {
        CardSecret {
            number: CardNumber::parse(number).unwrap(),
            expiry: CardExpiry::from_mmyy(mmyy).unwrap(),
        }
    }

    fn outcome(number: &str, amount: u64) -> Result<(), Decline> {
        decide(
            &card(number, "1299"),
            Amount::from_stored(amount as i64),
            Utc::now(),
        )
        .outcome
    }

    #[test]
    fn every_magic_card_is_a_valid_card_number() {
        for (number, _) in MAGIC_CARDS {
            assert!(luhn_valid(number), "{number}");
        }
    }

    #[test]
    fn ordinary_cards_are_approved_and_magic_ones_decline() {
        assert_eq!(outcome("5464650012345641", 9900), Ok(()));
        assert_eq!(
            outcome("4579730000085212", 100),
            Err(Decline::LimitExceeded)
        );
        assert_eq!(
            outcome("4658870000080351", 100),
            Err(Decline::InsufficientBalance)
        );
        assert_eq!(outcome("4579730000083142", 100), Err(Decline::Expired));
        assert_eq!(
            outcome("4579730000083118", 100),
            Err(Decline::WrongPassword)
        );
        assert_eq!(outcome("4579730000083506", 100), Err(Decline::LostOrStolen));
        assert_eq!(
            outcome("4579730000083738", 100),
            Err(Decline::IssuerRefused)
        );
        let slow = decide(
            &card("4579730000030002", "1299"),
            Amount::from_stored(1),
            Utc::now(),
        );
        assert_eq!((slow.outcome, slow.delay), (Ok(()), SLOW_ANSWER));
    }

    #[test]
    fn magic_amounts_and_real_expiry_decline_any_card() {
        assert_eq!(outcome("5464650012345641", CREDIT_LIMIT), Ok(()));
        assert_eq!(
            outcome("5464650012345641", CREDIT_LIMIT + 1),
            Err(Decline::LimitExceeded)
        );
        assert_eq!(outcome("4658870000000011", CHECK_CARD_BALANCE), Ok(()));
        assert_eq!(
            outcome("4658870000000011", CHECK_CARD_BALANCE + 1),
            Err(Decline::InsufficientBalance)
        );
        let expired = decide(
            &card("5464650012345641", "0120"),
            Amount::from_stored(1),
            Utc::now(),
        );
        assert_eq!(expired.outcome, Err(Decline::Expired));
    }

    #[test]
    fn numbers_have_their_lengths() {
        assert_eq!(new_approval_no().len(), 8);
        assert_eq!(new_van_sno().len(), 12);
    }
}
