//! Amounts as a customer reads them: `₩1,000` (Korean `1,000원`), `$12.03`. Integers only.

use easypay_api::values::Amount;
use easypay_api::wechat::Currency;

use super::i18n::Lang;

/// `amount` (in the currency's minor unit) written for people.
pub fn display(currency: Currency, amount: Amount, lang: Lang) -> String {
    let digits = currency.minor_digits();
    let scale = 10u64.pow(digits);
    let major = group_thousands(amount.get() / scale);
    let number = if digits == 0 {
        major
    } else {
        let minor = amount.get() % scale;
        format!("{major}.{minor:0width$}", width = digits as usize)
    };
    match (currency, lang) {
        (Currency::Krw, Lang::En) => format!("₩{number}"),
        (Currency::Krw, Lang::Ko) => format!("{number}원"),
        (Currency::Usd, Lang::En | Lang::Ko) => format!("${number}"),
    }
}

/// `1234567` → `1,234,567`.
fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(currency: Currency, amount: i64, lang: Lang) -> String {
        display(currency, Amount::from_stored(amount), lang)
    }

    #[test]
    fn won_have_no_minor_unit() {
        assert_eq!(show(Currency::Krw, 1000, Lang::En), "₩1,000");
        assert_eq!(show(Currency::Krw, 1000, Lang::Ko), "1,000원");
        assert_eq!(show(Currency::Krw, 1_234_567, Lang::En), "₩1,234,567");
        assert_eq!(show(Currency::Krw, 999, Lang::En), "₩999");
        assert_eq!(
            show(Currency::Krw, 999_999_999_999, Lang::Ko),
            "999,999,999,999원"
        );
    }

    #[test]
    fn dollars_are_counted_in_cents() {
        assert_eq!(show(Currency::Usd, 1203, Lang::En), "$12.03");
        assert_eq!(show(Currency::Usd, 5, Lang::En), "$0.05");
        assert_eq!(show(Currency::Usd, 123_456_700, Lang::Ko), "$1,234,567.00");
    }

    #[test]
    fn thousands_are_grouped_from_the_right() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(100), "100");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(12_345), "12,345");
        assert_eq!(group_thousands(123_456), "123,456");
    }
}
