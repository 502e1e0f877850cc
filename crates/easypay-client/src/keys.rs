//! Idempotency keys (`shopTransactionId`) and request dates.

use chrono::{DateTime, Utc};
use rand::RngCore;

/// A fresh `shopTransactionId`: 128 random bits as a UUID-shaped string (36 bytes, within KICC's
/// 60), as KICC recommends. Every attempt of one call carries the same key; each new call needs
/// a new one.
///
/// ```
/// let key = easypay_client::new_shop_transaction_id();
/// assert_eq!(key.len(), 36);
/// assert_ne!(key, easypay_client::new_shop_transaction_id());
/// ```
pub fn new_shop_transaction_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // RFC 4122 version 4, variant 1, so that anything expecting a UUID accepts it.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Today in Seoul as `yyyyMMdd`: the value of `cancelReqDate`, `approvalReqDate` and
/// `removeReqDate`, which must be today in Korea whatever the merchant's time zone.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// // 15:30 UTC on 11 March is already 12 March in Seoul.
/// let at = Utc.with_ymd_and_hms(2026, 3, 11, 15, 30, 0).unwrap();
/// assert_eq!(easypay_client::seoul_date(at), "20260312");
/// ```
pub fn seoul_date(at: DateTime<Utc>) -> String {
    easypay_api::seoul_time::date(at)
}

/// [`seoul_date`] of now.
pub fn seoul_today() -> String {
    seoul_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_version_4_uuids_and_pass_the_field_rule() {
        let key = new_shop_transaction_id();
        assert_eq!(&key[14..15], "4");
        assert!(matches!(&key[19..20], "8" | "9" | "a" | "b"), "{key}");
        assert!(easypay_api::values::ShopTransactionId::parse("shopTransactionId", &key).is_ok());
    }
}
