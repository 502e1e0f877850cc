//! What can go wrong with a call, as one enum: the request broke a field rule, EasyPay could not
//! be reached, it answered with an HTTP error, it refused the request (`resCd` other than
//! `"0000"`), or its answer failed an integrity check.

use std::fmt;

use easypay_api::{FieldError, ResCode};

/// A failed call.
///
/// Whether the payment happened is *unknown* after [`Error::Transport`], [`Error::InProgress`],
/// [`Error::DuplicateOnRetry`],
/// [`Error::HttpStatus`] with a 5xx status, an unreadable answer ([`Error::Decode`]) and an answer
/// that failed its integrity check (except an [`Integrity::AmountMismatch`] that the SDK settled by
/// cancelling; one whose cancel failed is charged and not settled): [`Error::outcome_unknown`]
/// says so. Never treat those as a decline. Send the call
/// again later with the same `shopTransactionId` ([`Error::shop_transaction_id`]) to get its
/// answer without doing anything twice, or look it up (`find`, `retrieveTransaction`).
///
/// ```
/// use easypay_client::ResCode;
/// use easypay_client::{Error, Refusal};
///
/// fn explain(error: &Error) -> String {
///     match error {
///         Error::Refused(refusal) if refusal.is(ResCode::DuplicateOrder) => {
///             "that order number was already used".into()
///         }
///         Error::Refused(refusal) => format!("EasyPay said {}: {}", refusal.res_cd, refusal.res_msg),
///         other => other.to_string(),
///     }
/// }
/// # let refusal = Refusal { res_cd: "D001".into(), res_msg: "shopOrderNo: used".into(), body: serde_json::json!({}) };
/// # assert_eq!(explain(&Error::Refused(refusal)), "that order number was already used");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request value broke one of KICC's field rules; nothing was sent. The message is the one
    /// the gateway would have answered, e.g. `goodsName: at most 100 bytes (got 131)`.
    #[error("invalid request: {0}")]
    InvalidRequest(#[from] FieldError),
    /// The client is misconfigured (e.g. the base URL is not a URL); nothing was sent.
    #[error("client configuration: {0}")]
    Config(String),
    /// No answer after every attempt (connection refused or reset, timeout). The outcome of the
    /// last attempt is unknown: resend with `shop_transaction_id` to learn it.
    #[error(
        "EasyPay did not answer after {attempts} attempt(s): {}",
        with_causes(source)
    )]
    Transport {
        /// Attempts made, the first included.
        attempts: u32,
        /// The idempotency key every attempt carried (none for calls KICC gives no key).
        shop_transaction_id: Option<String>,
        /// The last attempt's failure.
        #[source]
        source: reqwest::Error,
    },
    /// An HTTP status other than 200: 5xx after every attempt, or a 4xx at once.
    #[error(
        "EasyPay answered HTTP {status} after {attempts} attempt(s){}",
        describe(res_cd, res_msg)
    )]
    HttpStatus {
        /// The last attempt's HTTP status.
        status: u16,
        /// Attempts made, the first included.
        attempts: u32,
        /// The idempotency key every attempt carried.
        shop_transaction_id: Option<String>,
        /// The envelope's `resCd`, when the body had one.
        res_cd: Option<String>,
        /// The envelope's `resMsg`, when the body had one.
        res_msg: Option<String>,
    },
    /// EasyPay is still processing an earlier request under the same key (`D003`) after every
    /// attempt: its outcome is unknown yet. Send the same call again shortly (same key) to get
    /// its answer; never treat this as a decline.
    #[error("still being processed after {attempts} attempt(s): D003 {res_msg}")]
    InProgress {
        /// Attempts made, the first included.
        attempts: u32,
        /// The idempotency key every attempt carried.
        shop_transaction_id: Option<String>,
        /// EasyPay's `resMsg`.
        res_msg: String,
    },
    /// A retry was refused as a duplicate (`D002`): the gateway refuses every reuse of a key
    /// (KICC's strict reading of idempotency), so an earlier attempt reached it, and what that
    /// attempt did is unknown. Look the call up (`find`, `retrieveTransaction`) by
    /// `shop_transaction_id`; never treat this as a decline.
    #[error("a retry after {attempts} attempt(s) was refused as a duplicate: the first attempt's outcome is unknown (D002 {res_msg})")]
    DuplicateOnRetry {
        /// Attempts made, the first included.
        attempts: u32,
        /// The idempotency key every attempt carried.
        shop_transaction_id: Option<String>,
        /// EasyPay's `resMsg`.
        res_msg: String,
    },
    /// EasyPay understood the request and said no: a definitive answer, never retried.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// The answer cannot be trusted: a forged or altered `msgAuthValue` (or a secret key that is
    /// not the one EasyPay has), an echo that is not what was sent, a missing field, or an amount
    /// other than the one requested.
    #[error("integrity check failed: {problem}")]
    Integrity {
        /// What is wrong with the answer.
        problem: Integrity,
        /// The key the call was sent under (to look the call up), when it had one.
        shop_transaction_id: Option<String>,
        /// The transaction the answer named, when it named one (to cancel it if need be).
        pg_cno: Option<String>,
    },
    /// The answer is not the JSON the endpoint documents.
    #[error("unreadable answer (HTTP {status}): {message}")]
    Decode {
        /// The HTTP status of the answer.
        status: u16,
        /// What is wrong with it, and its beginning.
        message: String,
        /// The key the call was sent under, when it had one.
        shop_transaction_id: Option<String>,
    },
}

/// An error and its causes, `: `-joined: reqwest's own text names only the URL, its causes say
/// what happened ("connection refused", "operation timed out").
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

fn cancel_outcome(pg_cno: &str, cancel: &Result<String, String>) -> String {
    match cancel {
        Ok(cancel_pg_cno) => format!("cancelled (cancelPgCno {cancel_pg_cno})"),
        Err(failure) => {
            format!("the cancel FAILED ({failure}): pgCno {pg_cno} is charged, cancel it again")
        }
    }
}

fn describe(res_cd: &Option<String>, res_msg: &Option<String>) -> String {
    match (res_cd, res_msg) {
        (Some(code), Some(message)) => format!(": {code} {message}"),
        (Some(code), None) => format!(": {code}"),
        _ => String::new(),
    }
}

impl Error {
    /// The refusal, if EasyPay refused the request.
    ///
    /// ```
    /// # use easypay_client::{Error, Refusal};
    /// let error = Error::Refused(Refusal { res_cd: "W002".into(), res_msg: "declined".into(), body: serde_json::json!({}) });
    /// assert_eq!(error.refusal().map(|r| r.res_cd.as_str()), Some("W002"));
    /// ```
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(refusal) => Some(refusal),
            _ => None,
        }
    }

    /// Whether the outcome of the call is unknown (no answer, a 5xx after every attempt, still
    /// in progress, an unreadable or untrustworthy answer): resend it with the same
    /// `shopTransactionId`, or ask for its status. Never treat it as a decline.
    ///
    /// ```
    /// # use easypay_client::Error;
    /// let error = Error::HttpStatus { status: 502, attempts: 4, shop_transaction_id: None, res_cd: None, res_msg: None };
    /// assert!(error.outcome_unknown());
    /// assert!(!Error::Config("bad URL".into()).outcome_unknown());
    /// ```
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::InProgress { .. } | Error::DuplicateOnRetry { .. } => {
                true
            }
            Error::HttpStatus { status, .. } => *status >= 500,
            Error::Decode { status, .. } => *status == 200,
            Error::Integrity { problem, .. } => {
                !matches!(problem, Integrity::AmountMismatch { cancel: Ok(_), .. })
            }
            Error::InvalidRequest(_) | Error::Config(_) | Error::Refused(_) => false,
        }
    }

    /// The `shopTransactionId` the call was sent under, when the error carries it: the key to
    /// resend the call with, or to look it up by.
    pub fn shop_transaction_id(&self) -> Option<&str> {
        match self {
            Error::Transport {
                shop_transaction_id,
                ..
            }
            | Error::HttpStatus {
                shop_transaction_id,
                ..
            }
            | Error::InProgress {
                shop_transaction_id,
                ..
            }
            | Error::DuplicateOnRetry {
                shop_transaction_id,
                ..
            }
            | Error::Integrity {
                shop_transaction_id,
                ..
            }
            | Error::Decode {
                shop_transaction_id,
                ..
            } => shop_transaction_id.as_deref(),
            Error::Refused(refusal) => refusal
                .body
                .get("shopTransactionId")
                .and_then(serde_json::Value::as_str),
            Error::InvalidRequest(_) | Error::Config(_) => None,
        }
    }

    /// The transaction the failed call's answer named, when it named one: after an
    /// [`Error::Integrity`] failure, the payment to look at (and cancel if need be).
    pub fn pg_cno(&self) -> Option<&str> {
        match self {
            Error::Integrity { pg_cno, .. } => pg_cno.as_deref(),
            Error::InvalidRequest(_)
            | Error::Config(_)
            | Error::Transport { .. }
            | Error::HttpStatus { .. }
            | Error::InProgress { .. }
            | Error::DuplicateOnRetry { .. }
            | Error::Refused(_)
            | Error::Decode { .. } => None,
        }
    }

    /// An answer that failed its check.
    pub(crate) fn untrusted(problem: Integrity) -> Error {
        Error::Integrity {
            problem,
            shop_transaction_id: None,
            pg_cno: None,
        }
    }

    /// The error with the call's key, and the transaction its answer named, filled in where it
    /// has room for them and they are missing.
    pub(crate) fn in_call(mut self, key: &str, answered_pg_cno: Option<&str>) -> Error {
        match &mut self {
            Error::Integrity {
                shop_transaction_id,
                pg_cno,
                ..
            } => {
                shop_transaction_id.get_or_insert_with(|| key.to_owned());
                if pg_cno.is_none() {
                    *pg_cno = answered_pg_cno.map(str::to_owned);
                }
            }
            Error::Decode {
                shop_transaction_id,
                ..
            }
            | Error::Transport {
                shop_transaction_id,
                ..
            }
            | Error::HttpStatus {
                shop_transaction_id,
                ..
            }
            | Error::InProgress {
                shop_transaction_id,
                ..
            }
            | Error::DuplicateOnRetry {
                shop_transaction_id,
                ..
            } => {
                shop_transaction_id.get_or_insert_with(|| key.to_owned());
            }
            Error::InvalidRequest(_) | Error::Config(_) | Error::Refused(_) => {}
        }
        self
    }
}

/// A definitive "no" from EasyPay: its `resCd` and `resMsg`, and the whole answer (card declines
/// carry more fields).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// KICC's four-character code, e.g. `D001` or `8521`.
    pub res_cd: String,
    /// The reason, in words (the gateway names the field and the rule).
    pub res_msg: String,
    /// The whole answer.
    pub body: serde_json::Value,
}

impl Refusal {
    /// Whether the refusal has this code.
    ///
    /// ```
    /// # use easypay_client::Refusal;
    /// use easypay_client::ResCode;
    /// let refusal = Refusal { res_cd: "8521".into(), res_msg: "limit".into(), body: serde_json::json!({}) };
    /// assert!(refusal.is(ResCode::CardLimitExceeded));
    /// ```
    pub fn is(&self, code: ResCode) -> bool {
        self.res_cd == code.as_str()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.res_cd, self.res_msg)
    }
}

/// Why an answer failed its integrity check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Integrity {
    /// A success answer that must be signed carries no `msgAuthValue`.
    #[error("the answer carries no msgAuthValue")]
    MissingMsgAuthValue,
    /// `msgAuthValue` is not the HMAC of `pgCno|amount|transactionDate` with the secret key.
    #[error("msgAuthValue does not match pgCno|amount|transactionDate: forged or altered answer")]
    BadMsgAuthValue,
    /// A field the answer must echo is not what was sent.
    #[error("{field} is {got:?}, but {sent:?} was sent")]
    EchoMismatch {
        /// The field's wire name.
        field: &'static str,
        /// What the request carried.
        sent: String,
        /// What the answer echoed.
        got: String,
    },
    /// A success answer lacks a field it must have.
    #[error("a success answer has no {0}")]
    MissingField(&'static str),
    /// A charge was approved for another amount than requested. KICC requires such a payment
    /// to be cancelled at once, and the SDK did: `cancel` is that cancel's `cancelPgCno`, or why
    /// it failed. On `Err` the card **is charged**: the error's [`Error::outcome_unknown`] is
    /// true, and `pg_cno` must be cancelled again ([`Client::cancel_card`]) until a cancel is
    /// answered.
    ///
    /// [`Client::cancel_card`]: crate::Client::cancel_card
    #[error(
        "{approved} was approved, but {requested} was requested; {}",
        cancel_outcome(pg_cno, cancel)
    )]
    AmountMismatch {
        /// The amount of the request.
        requested: u64,
        /// The amount of the answer.
        approved: u64,
        /// The charge that was approved.
        pg_cno: String,
        /// The SDK's cancel of it: its `cancelPgCno`, or why it failed.
        cancel: Result<String, String>,
    },
}
