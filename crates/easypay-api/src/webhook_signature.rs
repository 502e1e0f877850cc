//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): every notification carries
//! `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`), keyed with the merchant's webhook secret
//! (`whsec_<base64 key>`). KICC's own body is sent unchanged.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `webhook-id`: the notification's id (`msg_…`), the same on every attempt; drop duplicates by it.
pub const ID_HEADER: &str = "webhook-id";
/// `webhook-timestamp`: Unix seconds of this attempt, part of the signed content.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
pub const SIGNATURE_HEADER: &str = "webhook-signature";
const PREFIX: &str = "whsec_";

/// A secret as `whsec_<base64 of key bytes>`.
pub fn encode_secret(key: &[u8]) -> String {
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The shortest key a merchant may set: Standard Webhooks asks for 24 to 64 random bytes, and a
/// short key (or none) lets anyone forge a signature.
pub const MIN_KEY_BYTES: usize = 24;

/// Whether `secret` is `whsec_` and the base64 of at least [`MIN_KEY_BYTES`] bytes.
pub fn is_strong_secret(secret: &str) -> bool {
    secret.starts_with(PREFIX) && key_bytes(secret).is_some_and(|key| key.len() >= MIN_KEY_BYTES)
}

fn key_bytes(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(PREFIX).unwrap_or(secret))
        .ok()
}

fn mac(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_bytes(secret)?).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(mac)
}

/// The `webhook-signature` header value, or `None` if `secret` is not valid base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let signature = mac(secret, id, timestamp, body)?.finalize().into_bytes();
    Some(format!("v1,{}", STANDARD.encode(signature)))
}

/// Whether any `v1` signature in `header` (space-separated) matches. Constant time per signature.
/// Callers should also refuse timestamps far from now (replays).
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    header.split(' ').any(|candidate| {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            return false;
        };
        let (Ok(given), Some(mac)) = (STANDARD.decode(encoded), mac(secret, id, timestamp, body))
        else {
            return false;
        };
        mac.verify_slice(&given).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks specification's reference libraries.
    #[test]
    fn secrets_need_24_bytes_of_key() {
        assert!(is_strong_secret(&encode_secret(&[7; 24])));
        assert!(!is_strong_secret(&encode_secret(&[7; 23])));
        assert!(!is_strong_secret("whsec_"));
        assert!(!is_strong_secret("whsec_YQ=="));
        assert!(!is_strong_secret(&encode_secret(&[7; 32])[6..]));
    }

    #[test]
    fn matches_the_standard_webhooks_reference_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verification_refuses_other_bodies_and_keys() {
        let secret = encode_secret(b"0123456789abcdef0123456789abcdef");
        let header = sign(&secret, "msg_1", 1700000000, b"{}").unwrap();
        assert!(verify(
            &secret,
            "msg_1",
            1700000000,
            b"{}",
            &format!("v1,bogus {header}")
        ));
        assert!(!verify(&secret, "msg_1", 1700000000, b"{ }", &header));
        assert!(!verify(&secret, "msg_2", 1700000000, b"{}", &header));
        assert!(!verify(
            &encode_secret(b"other"),
            "msg_1",
            1700000000,
            b"{}",
            &header
        ));
    }
}
