//! The receiving side of notifications: verify the Standard Webhooks signature the gateway adds
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`, keyed with the merchant's webhook
//! secret), parse KICC's body, and answer with the acknowledgement. Framework-agnostic: give it
//! the headers (an [`http::HeaderMap`], a `HashMap` or a list of pairs) and the raw body bytes.
//!
//! **Against KICC's own hosts** there is no signature to verify: KICC sends the bare body, so
//! [`WebhookVerifier`] would refuse every notification with [`WebhookError::MissingHeader`]. There,
//! parse with [`Notification::parse`] and act only on what a status query confirms
//! ([`crate::Client::settle_wechat`], [`crate::Client::confirm_wechat`]), which is right with this
//! gateway too.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::time::Duration;

use chrono::{DateTime, Utc};
use easypay_api::notification::{
    CardApprovalNotification, CardCancelNotification, NotificationAck, WechatApprovalNotification,
    WechatCancelNotification,
};
use easypay_api::webhook_signature::{self, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use serde_json::Value;

/// How far a notification's timestamp may be from now: older ones are refused as replays.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Request headers, looked up by name without regard to case.
pub trait HeaderLookup {
    /// The value of the header `name`, if present and text.
    fn header(&self, name: &str) -> Option<&str>;
}

impl HeaderLookup for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|value| value.to_str().ok())
    }
}

impl<S: BuildHasher> HeaderLookup for HashMap<String, String, S> {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> HeaderLookup for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(key, _)| key.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> HeaderLookup for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

/// Why a notification was refused. Answer such a request with an HTTP 4xx: a genuine
/// notification is sent again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The webhook secret is not `whsec_` followed by the base64 of at least 24 bytes (an empty or
    /// short key, e.g. from a template whose variable was unset, would verify forgeries).
    #[error("the webhook secret is not whsec_ followed by the base64 of at least 24 bytes")]
    BadSecret,
    /// A Standard Webhooks header is missing: not from this gateway (KICC's own hosts send none;
    /// see the [module docs](self)).
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not Unix seconds.
    #[error("webhook-timestamp is not Unix seconds: {0:?}")]
    BadTimestamp(String),
    /// The timestamp is further from now than the tolerance (a replay, or a wrong clock).
    #[error("webhook-timestamp is {age_seconds} s from now, beyond the tolerance")]
    OutsideTolerance {
        /// Seconds from the timestamp to now (negative: in the future).
        age_seconds: i64,
    },
    /// No signature in `webhook-signature` matches: not from the gateway, or altered.
    #[error("webhook-signature does not match the body")]
    BadSignature,
    /// The body is not a notification.
    #[error("the body is not a notification: {0}")]
    Body(String),
}

/// Checks notifications with the merchant's webhook secret (`whsec_…`).
///
/// ```
/// use chrono::Utc;
/// use easypay_client::webhook::{Notification, WebhookVerifier};
/// use easypay_client::testing::webhook_headers;
///
/// let secret = "whsec_ZWFzeXBheS1zYW5kYm94LXdlYmhvb2sta2V5LTIwMjY=";
/// let body = br#"{"resCd":"0000","resMsg":"Success","mallId":"T5102001","shopOrderNo":"ORDER-1",
///     "pgCno":"26031212000012345678","approvalDate":"20260312120000",
///     "amountInfo":{"currency":"KRW","amount":1000}}"#;
/// let headers = webhook_headers(secret, body, Utc::now());
///
/// let verified = WebhookVerifier::new(secret)?.verify(&headers, body)?;
/// match verified.notification {
///     Notification::WechatApproval(approval) => assert_eq!(approval.amount_info.amount, 1000),
///     other => panic!("{other:?}"),
/// }
/// // One changed byte and it is refused.
/// let forged = body.to_vec().into_iter().map(|b| if b == b'1' { b'9' } else { b }).collect::<Vec<_>>();
/// assert!(WebhookVerifier::new(secret)?.verify(&headers, &forged).is_err());
/// # Ok::<(), easypay_client::webhook::WebhookError>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    secret: String,
    tolerance: Duration,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secret", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

/// A notification whose signature and timestamp were verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// `webhook-id`: the same for every resend of one notification. Notifications may arrive
    /// more than once: skip an id (or a `pgCno`) already processed, but still acknowledge it.
    pub id: String,
    /// `webhook-timestamp`: when this attempt was sent.
    pub timestamp: DateTime<Utc>,
    /// KICC's body.
    pub notification: Notification,
}

/// A notification body, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// WeChat approval (kicc-api §2.2), to the order's `notifyUrl`.
    WechatApproval(WechatApprovalNotification),
    /// WeChat cancel result (§2.5).
    WechatCancel(WechatCancelNotification),
    /// Card approval, `notiType` `10` (§1.6), to the merchant's registered URL.
    CardApproval(Box<CardApprovalNotification>),
    /// Card cancel (`notiType` `20`), to the merchant's registered URL.
    CardCancel(Box<CardCancelNotification>),
    /// Any other body (a `notiType` this SDK does not know yet).
    Other(Value),
}

impl Notification {
    /// Parses a body without checking where it came from. KICC's own notifications carry no
    /// signature: confirm what they say with a status query ([`crate::Client::confirm_wechat`])
    /// before acting on them.
    ///
    /// ```
    /// use easypay_client::webhook::Notification;
    /// let body = br#"{"resCd":"0000","resMsg":"Success","mallId":"T5102001","shopOrderNo":"O-1",
    ///     "pgCno":"1","cancelPgCno":"2","cancelDate":"20260312120000",
    ///     "amountInfo":{"currency":"KRW","amount":300}}"#;
    /// assert!(matches!(Notification::parse(body), Ok(Notification::WechatCancel(_))));
    /// assert!(Notification::parse(b"[]").is_err());
    /// ```
    pub fn parse(body: &[u8]) -> Result<Notification, WebhookError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|error| WebhookError::Body(error.to_string()))?;
        let Some(object) = value.as_object() else {
            return Err(WebhookError::Body("not a JSON object".into()));
        };
        let typed = |kind: fn(Value) -> Result<Notification, serde_json::Error>| {
            kind(value.clone()).map_err(|error| WebhookError::Body(error.to_string()))
        };
        match object.get("notiType").and_then(Value::as_str) {
            Some("10") => typed(|v| {
                serde_json::from_value(v).map(|card| Notification::CardApproval(Box::new(card)))
            }),
            Some("20") => typed(|v| {
                serde_json::from_value(v).map(|card| Notification::CardCancel(Box::new(card)))
            }),
            Some(_) => Ok(Notification::Other(value)),
            None if object.contains_key("cancelPgCno") => {
                typed(|v| serde_json::from_value(v).map(Notification::WechatCancel))
            }
            None if object.contains_key("approvalDate") => {
                typed(|v| serde_json::from_value(v).map(Notification::WechatApproval))
            }
            None => Ok(Notification::Other(value)),
        }
    }
}

impl WebhookVerifier {
    /// A verifier with the default tolerance of 5 minutes.
    pub fn new(secret: &str) -> Result<WebhookVerifier, WebhookError> {
        let usable = webhook_signature::is_strong_secret(secret);
        if !usable {
            return Err(WebhookError::BadSecret);
        }
        Ok(WebhookVerifier {
            secret: secret.to_owned(),
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// How far the timestamp may be from now, either way.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies the signature and timestamp against the clock, then parses the body.
    pub fn verify<H: HeaderLookup + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Verified, WebhookError> {
        self.verify_at(headers, body, Utc::now())
    }

    /// [`WebhookVerifier::verify`] as if the time were `now`.
    pub fn verify_at<H: HeaderLookup + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Verified, WebhookError> {
        let get = |name: &'static str| {
            headers
                .header(name)
                .ok_or(WebhookError::MissingHeader(name))
        };
        let id = get(ID_HEADER)?;
        let raw_timestamp = get(TIMESTAMP_HEADER)?;
        let signature = get(SIGNATURE_HEADER)?;
        let seconds: i64 = raw_timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::BadTimestamp(raw_timestamp.to_owned()))?;
        let timestamp = DateTime::from_timestamp(seconds, 0)
            .ok_or_else(|| WebhookError::BadTimestamp(raw_timestamp.to_owned()))?;
        let age_seconds = (now - timestamp).num_seconds();
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        if age_seconds.abs() > tolerance {
            return Err(WebhookError::OutsideTolerance { age_seconds });
        }
        if !webhook_signature::verify(&self.secret, id, seconds, body, signature) {
            return Err(WebhookError::BadSignature);
        }
        Ok(Verified {
            id: id.to_owned(),
            timestamp,
            notification: Notification::parse(body)?,
        })
    }
}

/// The body that acknowledges a notification: `{"resCd":"0000","resMsg":"Success"}`, sent
/// with HTTP 200. Anything else makes the gateway send the notification again.
///
/// ```
/// assert_eq!(easypay_client::webhook::ack_body(), r#"{"resCd":"0000","resMsg":"Success"}"#);
/// ```
pub fn ack_body() -> String {
    serde_json::to_string(&NotificationAck::processed()).expect("an ack serialises")
}

/// The body that asks for the notification again later (KICC's `5001`), e.g. when the merchant's
/// database is briefly unavailable.
///
/// ```
/// let body = easypay_client::webhook::resend_body("database busy");
/// assert_eq!(body, r#"{"resCd":"5001","resMsg":"database busy"}"#);
/// ```
pub fn resend_body(reason: &str) -> String {
    serde_json::to_string(&NotificationAck {
        res_cd: "5001".into(),
        res_msg: reason.into(),
    })
    .expect("an ack serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::webhook_headers;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const BODY: &[u8] = br#"{"resCd":"0000","notiType":"99"}"#;

    #[test]
    fn the_timestamp_must_be_within_the_tolerance_either_way() {
        let now = Utc::now();
        let verifier = WebhookVerifier::new(SECRET).unwrap();
        let sent = now - chrono::Duration::seconds(301);
        let headers = webhook_headers(SECRET, BODY, sent);
        assert_eq!(
            verifier.verify_at(&headers, BODY, now),
            Err(WebhookError::OutsideTolerance { age_seconds: 301 })
        );
        let future = webhook_headers(SECRET, BODY, now + chrono::Duration::seconds(400));
        assert!(verifier.verify_at(&future, BODY, now).is_err());
        let relaxed = verifier.tolerance(Duration::from_secs(600));
        assert!(relaxed.verify_at(&headers, BODY, now).is_ok());
    }

    #[test]
    fn headers_are_found_in_any_container_and_any_case() {
        let headers = webhook_headers(SECRET, BODY, Utc::now());
        let pairs: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_uppercase(),
                    value.to_str().unwrap().to_owned(),
                )
            })
            .collect();
        let map: HashMap<String, String> = pairs.iter().cloned().collect();
        let verifier = WebhookVerifier::new(SECRET).unwrap();
        assert!(verifier.verify(&pairs, BODY).is_ok());
        assert!(verifier.verify(&map, BODY).is_ok());
        let without: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(name, _)| name != "WEBHOOK-SIGNATURE")
            .collect();
        assert_eq!(
            verifier.verify(&without, BODY),
            Err(WebhookError::MissingHeader("webhook-signature"))
        );
    }

    #[test]
    fn another_secret_or_id_is_refused() {
        let headers = webhook_headers(SECRET, BODY, Utc::now());
        let other = WebhookVerifier::new("whsec_YW5vdGhlci1tZXJjaGFudHMta2V5LTI0").unwrap();
        assert_eq!(
            other.verify(&headers, BODY),
            Err(WebhookError::BadSignature)
        );
        let mut renamed = headers.clone();
        renamed.insert(ID_HEADER, "msg_other".parse().unwrap());
        let verifier = WebhookVerifier::new(SECRET).unwrap();
        assert_eq!(
            verifier.verify(&renamed, BODY),
            Err(WebhookError::BadSignature)
        );
        for weak in ["not-a-secret", "whsec_", "whsec_YQ=="] {
            assert_eq!(
                WebhookVerifier::new(weak).unwrap_err(),
                WebhookError::BadSecret,
                "{weak}"
            );
        }
    }
}
