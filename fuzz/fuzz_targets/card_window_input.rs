//! The registration window's form fields (`cardNo`, `expiry`, `birthDate`, `cardPassword`): any
//! input is accepted or refused without panic, and an accepted card number is Luhn-valid and never
//! shows more than its first 6 and last 2 digits when masked.
#![no_main]

use easypay_api::card_input::{luhn_valid, BirthDate, CardExpiry, CardNumber, CardPassword};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|fields: (&str, &str, &str, &str)| {
    let (card_no, expiry, birth_date, password) = fields;
    let now = chrono::Utc::now();
    if let Ok(number) = CardNumber::parse(card_no) {
        let digits = number.digits();
        assert!(luhn_valid(digits));
        let masked = number.masked();
        let shown: usize = masked.chars().filter(char::is_ascii_digit).count();
        assert!(shown <= 8, "{masked}");
        assert!(masked.starts_with(&digits[..6]));
    }
    if let Ok(expiry) = CardExpiry::parse(expiry, now) {
        assert!(!expiry.is_past(now));
        assert_eq!(CardExpiry::from_mmyy(&expiry.mmyy()), Some(expiry));
    }
    let _ = BirthDate::parse(birth_date, now);
    let _ = CardPassword::parse(password);
});
