//! One API call: POST the JSON body, retry what is safe to retry with the same body (so the same
//! `shopTransactionId`), and read KICC's envelope (`resCd`, `resMsg`) out of the answer.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Refusal};

/// `resCd` of a request still being processed under the same key: retry to get its answer.
const IN_PROGRESS: &str = "D003";
/// `resCd` of a key reused for another request, or for any request where every reuse is refused.
const DUPLICATE_REQUEST: &str = "D002";
const SUCCESS: &str = "0000";

/// Whether a call carries an idempotency key, which decides what may be retried.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'a> {
    /// Every attempt carries this `shopTransactionId`: the gateway acts at most once.
    Idempotent(&'a str),
    /// No key: only an attempt that certainly sent nothing may be retried.
    None,
}

impl Key<'_> {
    fn owned(self) -> Option<String> {
        match self {
            Key::Idempotent(key) => Some(key.to_owned()),
            Key::None => None,
        }
    }
}

/// An answer with HTTP 200 and KICC's envelope.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) res_cd: String,
    pub(crate) res_msg: String,
    pub(crate) body: Value,
}

impl Envelope {
    fn read(status: u16, text: &str) -> Result<Envelope, Error> {
        let decode = |message: String| Error::Decode {
            status,
            message,
            shop_transaction_id: None,
        };
        let body: Value = serde_json::from_str(text)
            .map_err(|error| decode(format!("not JSON ({error}): {}", excerpt(text))))?;
        let res_cd = body
            .get("resCd")
            .and_then(Value::as_str)
            .ok_or_else(|| decode(format!("no resCd: {}", excerpt(text))))?
            .to_owned();
        let res_msg = body
            .get("resMsg")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok(Envelope {
            res_cd,
            res_msg,
            body,
        })
    }

    pub(crate) fn is_success(&self) -> bool {
        self.res_cd == SUCCESS
    }

    /// The answer as the endpoint's typed response.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.body).map_err(|error| Error::Decode {
            status: 200,
            message: format!("{error}: {}", excerpt(&self.body.to_string())),
            shop_transaction_id: self
                .body
                .get("shopTransactionId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The typed response of a success; any other `resCd` is [`Error::Refused`].
    pub(crate) fn success<T: DeserializeOwned>(self) -> Result<T, Error> {
        if self.is_success() {
            self.decode()
        } else {
            Err(self.refused())
        }
    }

    pub(crate) fn refused(self) -> Error {
        Error::Refused(Refusal {
            res_cd: self.res_cd,
            res_msg: self.res_msg,
            body: self.body,
        })
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(200).collect()
}

/// What one attempt got.
enum Attempt {
    NoAnswer(reqwest::Error),
    Answer { status: u16, text: String },
}

impl Client {
    /// POSTs `body` to `path`, retrying as [`crate::RetryPolicy`] describes.
    pub(crate) async fn post(
        &self,
        path: &str,
        body: &Map<String, Value>,
        key: Key<'_>,
    ) -> Result<Envelope, Error> {
        let url = format!("{}{path}", self.base_url);
        let text = Value::Object(body.clone()).to_string();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let attempt = self.attempt(&url, &text).await;
            let keyed = matches!(key, Key::Idempotent(_));
            let retry = match &attempt {
                Attempt::NoAnswer(error) => keyed || error.is_connect(),
                Attempt::Answer { status, .. } if *status >= 500 => keyed,
                Attempt::Answer { status: 200, text } => keyed && in_progress(text),
                Attempt::Answer { .. } => false,
            };
            if retry && attempts < self.retry.max_attempts {
                tokio::time::sleep(self.retry.backoff(attempts)).await;
                continue;
            }
            return match attempt {
                Attempt::NoAnswer(source) => Err(Error::Transport {
                    attempts,
                    shop_transaction_id: key.owned(),
                    source,
                }),
                Attempt::Answer { status: 200, text } => {
                    let envelope = Envelope::read(200, &text).map_err(|error| match key {
                        Key::Idempotent(key) => error.in_call(key, None),
                        Key::None => error,
                    })?;
                    if attempts > 1 && envelope.res_cd == DUPLICATE_REQUEST {
                        // The same request under the same key: a gateway that replays answers
                        // never says this, one that refuses every reuse does, because an earlier
                        // attempt got through.
                        return Err(Error::DuplicateOnRetry {
                            attempts,
                            shop_transaction_id: key.owned(),
                            res_msg: envelope.res_msg,
                        });
                    }
                    if envelope.res_cd == IN_PROGRESS {
                        // Not a refusal: the first request under this key is still running.
                        return Err(Error::InProgress {
                            attempts,
                            shop_transaction_id: key.owned(),
                            res_msg: envelope.res_msg,
                        });
                    }
                    Ok(envelope)
                }
                Attempt::Answer { status, text } => {
                    let envelope = Envelope::read(status, &text).ok();
                    Err(Error::HttpStatus {
                        status,
                        attempts,
                        shop_transaction_id: key.owned(),
                        res_cd: envelope.as_ref().map(|e| e.res_cd.clone()),
                        res_msg: envelope.map(|e| e.res_msg),
                    })
                }
            };
        }
    }

    async fn attempt(&self, url: &str, body: &str) -> Attempt {
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_owned())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => return Attempt::NoAnswer(error),
        };
        let status = response.status().as_u16();
        match response.text().await {
            Ok(text) => Attempt::Answer { status, text },
            Err(error) => Attempt::NoAnswer(error),
        }
    }
}

fn in_progress(text: &str) -> bool {
    Envelope::read(200, text).is_ok_and(|envelope| envelope.res_cd == IN_PROGRESS)
}

/// The JSON object of a request, without the `null`s of absent optional fields (and without
/// objects left empty by that), as KICC's examples send it.
pub(crate) fn wire_body(value: Value) -> Map<String, Value> {
    match prune(value) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn prune(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter_map(|(name, value)| prune(value).map(|value| (name, value)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_optionals_are_left_out() {
        let body = wire_body(json!({
            "mallId": "T5102001",
            "memo": null,
            "customerInfo": {"customerId": null},
            "amountInfo": {"currency": "KRW", "totAmount": 10}
        }));
        assert_eq!(
            Value::Object(body),
            json!({"mallId": "T5102001", "amountInfo": {"currency": "KRW", "totAmount": 10}})
        );
    }

    #[test]
    fn envelopes_need_a_res_cd() {
        assert!(Envelope::read(200, r#"{"resCd":"0000"}"#)
            .unwrap()
            .is_success());
        assert!(matches!(
            Envelope::read(200, r#"{"resMsg":"x"}"#),
            Err(Error::Decode { status: 200, .. })
        ));
        assert!(matches!(
            Envelope::read(200, "<html>"),
            Err(Error::Decode { .. })
        ));
        assert!(in_progress(r#"{"resCd":"D003","resMsg":"wait"}"#));
        assert!(!in_progress(r#"{"resCd":"D002","resMsg":"other request"}"#));
    }
}
