//! Helpers for the merchant's own tests: sign a notification the way the gateway does, and
//! compute a `msgAuthValue`, so a notification handler or an answer check can be tested without
//! a gateway.

use chrono::{DateTime, Utc};
use easypay_api::webhook_signature::{self, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use http::{HeaderMap, HeaderValue};
use rand::RngCore;

/// The headers the gateway sends with `body`, signed with `secret` (`whsec_…`) at time `at`,
/// under a fresh `webhook-id`, plus `content-type`.
///
/// ```
/// use chrono::Utc;
/// use easypay_client::testing::webhook_headers;
/// use easypay_client::webhook::WebhookVerifier;
///
/// let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// let headers = webhook_headers(secret, b"{}", Utc::now());
/// assert!(headers["webhook-signature"].to_str().unwrap().starts_with("v1,"));
/// assert!(WebhookVerifier::new(secret).unwrap().verify(&headers, b"{}").is_ok());
/// ```
///
/// # Panics
///
/// If `secret` is not `whsec_` followed by base64.
pub fn webhook_headers(secret: &str, body: &[u8], at: DateTime<Utc>) -> HeaderMap {
    let mut random = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let id = format!("msg_{}", hex::encode(random));
    let timestamp = at.timestamp();
    let signature = webhook_signature::sign(secret, &id, timestamp, body)
        .expect("the webhook secret is whsec_ followed by base64");
    let value = |text: String| HeaderValue::try_from(text).expect("ASCII header values");
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(ID_HEADER, value(id));
    headers.insert(TIMESTAMP_HEADER, value(timestamp.to_string()));
    headers.insert(SIGNATURE_HEADER, value(signature));
    headers
}

/// The `msgAuthValue` of `parts` (joined with `|`) under `secret_key`: lowercase hex
/// HMAC-SHA256, as EasyPay signs approval answers (`pgCno|amount|transactionDate`).
///
/// ```
/// let value = easypay_client::testing::msg_auth_value("secret", &["26031212000012345678", "9900", "20260312120000"]);
/// assert_eq!(value.len(), 64);
/// ```
pub fn msg_auth_value(secret_key: &str, parts: &[&str]) -> String {
    easypay_api::msg_auth::sign(secret_key, parts)
}
