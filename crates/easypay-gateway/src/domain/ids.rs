//! Identifiers the gateway hands out: `pgCno` (20 digits) and unguessable page tokens.

use chrono::{DateTime, Utc};
use easypay_api::seoul_time;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};

/// A new `pgCno`: the Seoul time `yyMMddHHmmss` then 8 random digits, 20 ASCII digits in all.
/// Uniqueness is enforced by the database; a collision is retried with fresh digits.
pub fn new_pg_cno(now: DateTime<Utc>) -> String {
    let stamp = &seoul_time::timestamp(now)[2..];
    format!("{stamp}{:08}", OsRng.gen_range(0..100_000_000u32))
}

/// 128 random bits as 32 lowercase hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A Standard Webhooks secret (`whsec_…`) for signing notifications: 256 random bits.
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    easypay_api::webhook_signature::encode_secret(&bytes)
}

/// A merchant secret for `msgAuthValue`: 192 random bits.
pub fn new_secret_key() -> String {
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_cno_is_twenty_digits_starting_with_the_seoul_time() {
        let now = DateTime::parse_from_rfc3339("2023-03-11T15:05:12Z")
            .unwrap()
            .to_utc();
        let pg_cno = new_pg_cno(now);
        assert_eq!(pg_cno.len(), 20);
        assert!(pg_cno.bytes().all(|b| b.is_ascii_digit()));
        assert!(pg_cno.starts_with("230312000512"));
    }

    #[test]
    fn tokens_are_128_bit_hex_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
