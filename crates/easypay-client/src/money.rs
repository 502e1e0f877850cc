//! WeChat amounts: an integer in the currency's minor unit, never a float.

use std::fmt;

use easypay_api::wechat::Currency;

/// An amount of a WeChat payment: KRW in won, USD in cents (KICC: 12.03 USD is `1203`).
///
/// ```
/// use easypay_client::Money;
/// assert_eq!(Money::krw(1000).to_string(), "KRW 1000");
/// assert_eq!(Money::usd_cents(1203).to_string(), "USD 12.03");
/// assert_ne!(Money::krw(1000), Money::usd_cents(1000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// `KRW` or `USD`.
    pub currency: Currency,
    /// In the currency's minor unit.
    pub amount: u64,
}

impl Money {
    /// Korean won.
    pub const fn krw(won: u64) -> Money {
        Money {
            currency: Currency::Krw,
            amount: won,
        }
    }

    /// US dollars, in cents.
    pub const fn usd_cents(cents: u64) -> Money {
        Money {
            currency: Currency::Usd,
            amount: cents,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        if digits == 0 {
            return write!(f, "{} {}", self.currency.as_str(), self.amount);
        }
        let unit = 10u64.pow(digits);
        write!(
            f,
            "{} {}.{:0width$}",
            self.currency.as_str(),
            self.amount / unit,
            self.amount % unit,
            width = digits as usize
        )
    }
}
