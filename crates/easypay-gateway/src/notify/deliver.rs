//! One delivery attempt: POST KICC's body with Standard Webhooks headers, then judge the answer
//! (decision 23: acknowledged = HTTP 2xx within the timeout and JSON with `resCd` `"0000"`).

use std::error::Error as _;
use std::time::Duration;

use easypay_api::{webhook_signature, ResCode};

use super::target::TargetPolicy;
use crate::store::notifications::Claimed;

/// How much of an answer is kept with the attempt.
const EXCERPT_BYTES: usize = 1024;
/// Answers are read up to this size; a merchant's ack is tiny.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// The `resCd` of an acknowledgement.
const PROCESSED: &str = ResCode::Success.as_str();

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Acknowledged,
    /// HTTP status outside 2xx.
    HttpStatus,
    NotJson,
    /// JSON whose `resCd` is not `"0000"` (KICC's `5001` asks for a resend).
    NotAcknowledged,
    Timeout,
    ConnectionRefused,
    /// Reset, closed early, TLS failure, unresolvable host…
    ConnectionError,
    /// The target is an internal address and the policy does not permit it.
    TargetRefused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Acknowledged => "acknowledged",
            Outcome::HttpStatus => "http_status",
            Outcome::NotJson => "not_json",
            Outcome::NotAcknowledged => "not_acknowledged",
            Outcome::Timeout => "timeout",
            Outcome::ConnectionRefused => "connection_refused",
            Outcome::ConnectionError => "connection_error",
            Outcome::TargetRefused => "target_refused",
        }
    }
}

pub struct Delivery {
    pub outcome: Outcome,
    pub http_status: Option<u16>,
    pub excerpt: Option<String>,
    /// Why no answer came, for the log: the error text without the URL (which may carry a
    /// merchant's token), never a body or a secret. `None` when the merchant answered.
    pub cause: Option<String>,
}

impl Delivery {
    /// An attempt that got no answer: `detail` is recorded with it, `cause` logged.
    fn failed(outcome: Outcome, detail: String, cause: String) -> Self {
        Delivery {
            outcome,
            http_status: None,
            excerpt: Some(cut(detail.as_bytes())),
            cause: Some(cause),
        }
    }

    /// An attempt whose detail holds no URL: recorded and logged alike.
    fn failed_alike(outcome: Outcome, detail: String) -> Self {
        Delivery::failed(outcome, detail.clone(), detail)
    }
}

pub async fn send(
    http: &reqwest::Client,
    policy: &TargetPolicy,
    notification: &Claimed,
    timeout: Duration,
) -> Delivery {
    let url = match reqwest::Url::parse(&notification.target_url) {
        Ok(url) => url,
        Err(error) => {
            return Delivery::failed_alike(Outcome::ConnectionError, format!("bad URL: {error}"))
        }
    };
    if let Some(ip) = policy.refuses_literal(&url) {
        return Delivery::failed_alike(
            Outcome::TargetRefused,
            format!("target refused: internal address {ip}"),
        );
    }
    let timestamp = chrono::Utc::now().timestamp();
    let body = notification.body.as_bytes();
    let mut request = http
        .post(url)
        .timeout(timeout)
        .header("content-type", "application/json; charset=utf-8")
        .header(webhook_signature::ID_HEADER, &notification.id)
        .header(webhook_signature::TIMESTAMP_HEADER, timestamp.to_string());
    if let Some(signature) = webhook_signature::sign(
        &notification.webhook_secret,
        &notification.id,
        timestamp,
        body,
    ) {
        request = request.header(webhook_signature::SIGNATURE_HEADER, signature);
    }
    let response = match request.body(notification.body.clone()).send().await {
        Ok(response) => response,
        Err(error) => return classify_error(&error),
    };
    let status = response.status();
    let answer = match read_limited(response).await {
        Ok(answer) => answer,
        Err(error) => {
            let mut delivery = classify_error(&error);
            delivery.http_status = Some(status.as_u16());
            return delivery;
        }
    };
    let outcome = if status.is_success() {
        read_acknowledgement(&answer)
    } else {
        Outcome::HttpStatus
    };
    Delivery {
        outcome,
        http_status: Some(status.as_u16()),
        excerpt: Some(cut(&answer)),
        cause: None,
    }
}

/// What a 2xx answer says (decision 23): delivered when it is a JSON object whose `resCd` is
/// `"0000"`, whatever else it holds (`resMsg` may be absent, `null` or a number). A UTF-8 byte-order
/// mark before it is ignored; an answer longer than [`MAX_ANSWER_BYTES`] is not read at all.
fn read_acknowledgement(answer: &[u8]) -> Outcome {
    if answer.len() > MAX_ANSWER_BYTES {
        return Outcome::NotJson;
    }
    let json = answer.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(answer);
    match serde_json::from_slice::<serde_json::Value>(json) {
        Err(_) => Outcome::NotJson,
        Ok(ack) if ack.get("resCd") == Some(&serde_json::Value::from(PROCESSED)) => {
            Outcome::Acknowledged
        }
        Ok(_) => Outcome::NotAcknowledged,
    }
}

/// Reads at most one byte more than [`MAX_ANSWER_BYTES`], so that a longer answer is told apart
/// whatever the sizes of its chunks.
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES + 1 - answer.len();
        answer.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if answer.len() > MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(answer)
}

fn classify_error(error: &reqwest::Error) -> Delivery {
    let chain = error_chain(error);
    let outcome = if error.is_timeout() {
        Outcome::Timeout
    } else if chain.contains("target refused") {
        Outcome::TargetRefused
    } else if io_kind(error) == Some(std::io::ErrorKind::ConnectionRefused) {
        Outcome::ConnectionRefused
    } else {
        Outcome::ConnectionError
    };
    Delivery::failed(outcome, chain, cause(error))
}

/// The error's causes, without reqwest's own message (which names the URL).
fn cause(error: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    match (causes.is_empty(), error.is_timeout()) {
        (false, _) => causes.join(": "),
        (true, true) => "timed out".into(),
        (true, false) => "the request failed".into(),
    }
}

fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn io_kind(error: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}

/// The first KiB, cut at a character boundary.
fn cut(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]).into_owned();
    text.trim_end_matches('\u{FFFD}').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acknowledgement_is_an_object_whose_res_cd_is_0000() {
        let read = |text: &[u8]| read_acknowledgement(text);
        assert_eq!(
            read(br#"{"resCd":"0000","resMsg":"OK"}"#),
            Outcome::Acknowledged
        );
        assert_eq!(read(br#"{"resCd":"0000"}"#), Outcome::Acknowledged);
        assert_eq!(
            read(br#"{"resCd":"0000","resMsg":null}"#),
            Outcome::Acknowledged
        );
        assert_eq!(
            read(br#"{"resCd":"0000","resMsg":0}"#),
            Outcome::Acknowledged
        );
        assert_eq!(
            read(b"\xEF\xBB\xBF{\"resCd\":\"0000\"}"),
            Outcome::Acknowledged
        );
        assert_eq!(
            read(br#"{"resCd":"5001","resMsg":"again"}"#),
            Outcome::NotAcknowledged
        );
        assert_eq!(
            read(br#"{"resCd":0,"resMsg":"OK"}"#),
            Outcome::NotAcknowledged
        );
        assert_eq!(read(br#"["0000"]"#), Outcome::NotAcknowledged);
        assert_eq!(read(b"OK"), Outcome::NotJson);
        let long = format!(
            r#"{{"resCd":"0000","resMsg":"{}"}}"#,
            "x".repeat(MAX_ANSWER_BYTES)
        );
        assert_eq!(read(long.as_bytes()), Outcome::NotJson);
    }
}
