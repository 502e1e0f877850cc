//! Every `resCd` the gateway answers. The README's *Response codes* table lists the same codes; a
//! test in the gateway keeps the two identical.

use std::fmt;

/// A stable four-character response code. `V…` request validation, `M…` merchant, `D…` duplicates
/// and idempotency, `F…` lookups, `A…` authentication, `C…` cancels, `W…` WeChat order state, `B…` card registrations
/// and billing keys, `8…` KICC's card-issuer declines, `S…` sandbox actions, `E…` transport and
/// system faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResCode {
    /// `0000`: Success.
    Success,
    /// `V001`: The body is not a JSON object (broken JSON, an array, a string…, or a member named twice). HTTP 400.
    MalformedBody,
    /// `V002`: A required field is absent, null, an empty string or only spaces.
    FieldMissing,
    /// `V003`: A field has the wrong JSON type (e.g. an object where a string is expected).
    FieldWrongType,
    /// `V004`: A field is longer than its limit, counted in EUC-KR bytes (a Hangul syllable counts
    /// 2).
    FieldTooLong,
    /// `V005`: A field has a character EUC-KR (KS X 1001) cannot represent, such as an emoji.
    FieldNotEucKr,
    /// `V006`: A text field has one of ' " < > \ ; | or a control character (KICC's
    /// special-character rule).
    FieldForbiddenChar,
    /// `V007`: A field that must be English only (WeChat goodsName) has a non-ASCII or
    /// non-printable character.
    FieldNotEnglish,
    /// `V008`: A numbers-only field (customerContactNo) has something other than digits.
    FieldNotDigits,
    /// `V009`: A coded field has a value outside its list (tradeType, currency…).
    FieldNotAllowedValue,
    /// `V010`: A number is not an integer (JSON number or digit string) in its range: amounts 1 …
    /// 999999999999, the registration amount exactly 0, tax parts 0 … 999999999999.
    FieldBadAmount,
    /// `V011`: A URL is not an absolute http or https URL.
    FieldBadUrl,
    /// `V012`: customerMail is not an e-mail address.
    FieldBadEmail,
    /// `V013`: The body is larger than the gateway accepts (64 KiB). HTTP 413.
    BodyTooLarge,
    /// `V014`: A field does not have its documented shape (shopOrderNo: letters, digits, _ and -
    /// only).
    FieldBadFormat,
    /// `V015`: A request date (approvalReqDate, cancelReqDate, removeReqDate) is not today in Seoul
    /// (yesterday is accepted until 00:10).
    RequestDateNotToday,
    /// `M001`: No merchant has this mallId.
    UnknownMerchant,
    /// `M002`: The merchant exists but is deactivated.
    MerchantInactive,
    /// `D001`: This merchant already used this shopOrderNo under another shopTransactionId.
    DuplicateOrder,
    /// `D002`: This shopTransactionId was already used today for a different request (or for any
    /// request, with --idempotency strict).
    DuplicateRequest,
    /// `D003`: A request with this shopTransactionId is still being processed; retry with the same
    /// key to get its answer (retrieveTransaction: look it up again shortly).
    RequestInProgress,
    /// `F001`: No transaction of this merchant has this pgCno.
    TransactionNotFound,
    /// `F002`: No notification of this merchant has this id.
    NotificationNotFound,
    /// `A001`: The notification API needs HTTP Basic authentication with the mallId and its secret
    /// key. HTTP 401.
    AuthenticationFailed,
    /// `W001`: The WeChat order exists and is waiting for the customer to pay.
    NotPaidYet,
    /// `W002`: The WeChat wallet declined the payment (on the return to returnUrl also: voided it
    /// after approving it).
    DeclinedByWallet,
    /// `W003`: The WeChat order expired before it was paid (2 hours by default).
    OrderExpired,
    /// `W004`: The customer cancelled the payment in the WeChat cashier.
    CancelledByCustomer,
    /// `S001`: A sandbox action does not apply to the order's current state (e.g. approving a
    /// declined order).
    TransitionNotAllowed,
    /// `S002`: This approval notification is not sent again: its payment was voided (TS12) since,
    /// so the approval it tells of no longer stands (one not delivered by then was withdrawn).
    NotificationWithdrawn,
    /// `C001`: The payment is not approved yet (still pending): there is nothing to cancel.
    CancelNotPaid,
    /// `C002`: The payment was declined: there is nothing to cancel.
    CancelDeclined,
    /// `C003`: The payment expired unpaid: there is nothing to cancel.
    CancelExpired,
    /// `C004`: The customer cancelled the payment before paying: there is nothing to cancel.
    CancelAbandoned,
    /// `C005`: The payment was voided by the wallet (TS12): there is nothing to cancel.
    CancelVoided,
    /// `C006`: The payment is already cancelled in full (TS02).
    AlreadyCancelled,
    /// `C007`: The cancel amount is more than what remains approved.
    CancelExceedsRemaining,
    /// `C008`: remainAmount is not what would remain after this cancel (KICC's partial-cancel
    /// check), or a WeChat full cancel's amountInfo.totAmount is not what remains.
    RemainAmountMismatch,
    /// `C009`: msgAuthValue is not the HMAC-SHA256 of the documented fields with the merchant's
    /// secret key.
    MsgAuthValueMismatch,
    /// `C010`: amountInfo.currency is not the payment's currency.
    CancelCurrencyMismatch,
    /// `F004`: No cancel of this payment has this cancelPgCno.
    CancelNotFound,
    /// `V016`: retrieveTransaction's transactionDate is neither today nor yesterday in Seoul (older
    /// transactions cannot be queried).
    RetrieveDateOutOfRange,
    /// `B001`: No completed card registration of this merchant has this authorizationId.
    UnknownAuthorization,
    /// `B002`: This authorizationId already issued a billing key; an authorizationId is single-use.
    AuthorizationUsed,
    /// `B003`: This authorizationId expired: a billing key must be issued within 30 minutes of the
    /// card registration.
    AuthorizationExpired,
    /// `B004`: The shopOrderNo is not the one the card registration (webpay) was opened with.
    AuthorizationOrderMismatch,
    /// `B005`: No billing key of this merchant has this batchKey.
    UnknownBatchKey,
    /// `B006`: This billing key was removed (removeBatchKey) and can no longer be charged or
    /// removed.
    BatchKeyRemoved,
    /// `B007`: Return to returnUrl: the customer cancelled the card registration window.
    RegistrationCancelled,
    /// `B008`: Return to returnUrl: the card registration window expired (30 minutes) before the
    /// card was registered.
    RegistrationExpired,
    /// `F003`: retrieveTransaction: no billing-key issuance, recurring charge or card cancel of
    /// this merchant used this shopTransactionId on transactionDate.
    RetrieveNotFound,
    /// `8521`: Card declined by the issuer: the credit limit is exceeded (KICC code).
    CardLimitExceeded,
    /// `8035`: Card declined by the issuer: the check card's balance is insufficient (KICC code).
    CardInsufficientBalance,
    /// `8314`: Card declined by the issuer: the card has expired (KICC code).
    CardExpired,
    /// `8311`: Card declined by the issuer: the card password is wrong (KICC code).
    CardWrongPassword,
    /// `8350`: Card declined by the issuer: the card was reported lost or stolen (KICC code).
    CardLostOrStolen,
    /// `8373`: Card declined by the issuer: refused, the customer should contact the card issuer
    /// (KICC code).
    CardIssuerRefused,
    /// `E404`: No endpoint at this path. HTTP 404.
    UnknownPath,
    /// `E405`: The endpoint exists but not for this HTTP method (the API takes POST). HTTP 405.
    MethodNotAllowed,
    /// `E500`: The gateway failed internally (e.g. the database is unreachable). Nothing was
    /// committed; retry with the same shopTransactionId. HTTP 500.
    InternalError,
}

impl ResCode {
    /// Every code, in the order of the README's *Response codes* table.
    pub const ALL: [ResCode; 60] = [
        ResCode::Success,
        ResCode::MalformedBody,
        ResCode::FieldMissing,
        ResCode::FieldWrongType,
        ResCode::FieldTooLong,
        ResCode::FieldNotEucKr,
        ResCode::FieldForbiddenChar,
        ResCode::FieldNotEnglish,
        ResCode::FieldNotDigits,
        ResCode::FieldNotAllowedValue,
        ResCode::FieldBadAmount,
        ResCode::FieldBadUrl,
        ResCode::FieldBadEmail,
        ResCode::BodyTooLarge,
        ResCode::FieldBadFormat,
        ResCode::RequestDateNotToday,
        ResCode::RetrieveDateOutOfRange,
        ResCode::UnknownMerchant,
        ResCode::MerchantInactive,
        ResCode::DuplicateOrder,
        ResCode::DuplicateRequest,
        ResCode::RequestInProgress,
        ResCode::TransactionNotFound,
        ResCode::NotificationNotFound,
        ResCode::RetrieveNotFound,
        ResCode::AuthenticationFailed,
        ResCode::NotPaidYet,
        ResCode::DeclinedByWallet,
        ResCode::OrderExpired,
        ResCode::CancelledByCustomer,
        ResCode::TransitionNotAllowed,
        ResCode::NotificationWithdrawn,
        ResCode::CancelNotPaid,
        ResCode::CancelDeclined,
        ResCode::CancelExpired,
        ResCode::CancelAbandoned,
        ResCode::CancelVoided,
        ResCode::AlreadyCancelled,
        ResCode::CancelExceedsRemaining,
        ResCode::RemainAmountMismatch,
        ResCode::MsgAuthValueMismatch,
        ResCode::CancelCurrencyMismatch,
        ResCode::CancelNotFound,
        ResCode::UnknownAuthorization,
        ResCode::AuthorizationUsed,
        ResCode::AuthorizationExpired,
        ResCode::AuthorizationOrderMismatch,
        ResCode::UnknownBatchKey,
        ResCode::BatchKeyRemoved,
        ResCode::RegistrationCancelled,
        ResCode::RegistrationExpired,
        ResCode::CardLimitExceeded,
        ResCode::CardInsufficientBalance,
        ResCode::CardExpired,
        ResCode::CardWrongPassword,
        ResCode::CardLostOrStolen,
        ResCode::CardIssuerRefused,
        ResCode::UnknownPath,
        ResCode::MethodNotAllowed,
        ResCode::InternalError,
    ];

    /// The four characters sent as `resCd`, e.g. `"V002"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResCode::Success => "0000",
            ResCode::MalformedBody => "V001",
            ResCode::FieldMissing => "V002",
            ResCode::FieldWrongType => "V003",
            ResCode::FieldTooLong => "V004",
            ResCode::FieldNotEucKr => "V005",
            ResCode::FieldForbiddenChar => "V006",
            ResCode::FieldNotEnglish => "V007",
            ResCode::FieldNotDigits => "V008",
            ResCode::FieldNotAllowedValue => "V009",
            ResCode::FieldBadAmount => "V010",
            ResCode::FieldBadUrl => "V011",
            ResCode::FieldBadEmail => "V012",
            ResCode::BodyTooLarge => "V013",
            ResCode::FieldBadFormat => "V014",
            ResCode::RequestDateNotToday => "V015",
            ResCode::UnknownMerchant => "M001",
            ResCode::MerchantInactive => "M002",
            ResCode::DuplicateOrder => "D001",
            ResCode::DuplicateRequest => "D002",
            ResCode::RequestInProgress => "D003",
            ResCode::TransactionNotFound => "F001",
            ResCode::NotificationNotFound => "F002",
            ResCode::AuthenticationFailed => "A001",
            ResCode::NotPaidYet => "W001",
            ResCode::DeclinedByWallet => "W002",
            ResCode::OrderExpired => "W003",
            ResCode::CancelledByCustomer => "W004",
            ResCode::TransitionNotAllowed => "S001",
            ResCode::NotificationWithdrawn => "S002",
            ResCode::CancelNotPaid => "C001",
            ResCode::CancelDeclined => "C002",
            ResCode::CancelExpired => "C003",
            ResCode::CancelAbandoned => "C004",
            ResCode::CancelVoided => "C005",
            ResCode::AlreadyCancelled => "C006",
            ResCode::CancelExceedsRemaining => "C007",
            ResCode::RemainAmountMismatch => "C008",
            ResCode::MsgAuthValueMismatch => "C009",
            ResCode::CancelCurrencyMismatch => "C010",
            ResCode::CancelNotFound => "F004",
            ResCode::RetrieveDateOutOfRange => "V016",
            ResCode::UnknownAuthorization => "B001",
            ResCode::AuthorizationUsed => "B002",
            ResCode::AuthorizationExpired => "B003",
            ResCode::AuthorizationOrderMismatch => "B004",
            ResCode::UnknownBatchKey => "B005",
            ResCode::BatchKeyRemoved => "B006",
            ResCode::RegistrationCancelled => "B007",
            ResCode::RegistrationExpired => "B008",
            ResCode::RetrieveNotFound => "F003",
            ResCode::CardLimitExceeded => "8521",
            ResCode::CardInsufficientBalance => "8035",
            ResCode::CardExpired => "8314",
            ResCode::CardWrongPassword => "8311",
            ResCode::CardLostOrStolen => "8350",
            ResCode::CardIssuerRefused => "8373",
            ResCode::UnknownPath => "E404",
            ResCode::MethodNotAllowed => "E405",
            ResCode::InternalError => "E500",
        }
    }

    /// HTTP status of an answer with this code (decision 1: 200 whenever the request was understood).
    pub const fn http_status(self) -> u16 {
        match self {
            ResCode::MalformedBody => 400,
            ResCode::BodyTooLarge => 413,
            ResCode::UnknownPath => 404,
            ResCode::MethodNotAllowed => 405,
            ResCode::InternalError => 500,
            ResCode::AuthenticationFailed => 401,
            ResCode::Success
            | ResCode::FieldMissing
            | ResCode::FieldWrongType
            | ResCode::FieldTooLong
            | ResCode::FieldNotEucKr
            | ResCode::FieldForbiddenChar
            | ResCode::FieldNotEnglish
            | ResCode::FieldNotDigits
            | ResCode::FieldNotAllowedValue
            | ResCode::FieldBadAmount
            | ResCode::FieldBadUrl
            | ResCode::FieldBadEmail
            | ResCode::FieldBadFormat
            | ResCode::RequestDateNotToday
            | ResCode::UnknownMerchant
            | ResCode::MerchantInactive
            | ResCode::DuplicateOrder
            | ResCode::DuplicateRequest
            | ResCode::RequestInProgress
            | ResCode::TransactionNotFound
            | ResCode::NotificationNotFound
            | ResCode::NotPaidYet
            | ResCode::DeclinedByWallet
            | ResCode::OrderExpired
            | ResCode::CancelledByCustomer
            | ResCode::TransitionNotAllowed
            | ResCode::NotificationWithdrawn
            | ResCode::CancelNotPaid
            | ResCode::CancelDeclined
            | ResCode::CancelExpired
            | ResCode::CancelAbandoned
            | ResCode::CancelVoided
            | ResCode::AlreadyCancelled
            | ResCode::CancelExceedsRemaining
            | ResCode::RemainAmountMismatch
            | ResCode::MsgAuthValueMismatch
            | ResCode::CancelCurrencyMismatch
            | ResCode::CancelNotFound
            | ResCode::RetrieveDateOutOfRange
            | ResCode::UnknownAuthorization
            | ResCode::AuthorizationUsed
            | ResCode::AuthorizationExpired
            | ResCode::AuthorizationOrderMismatch
            | ResCode::UnknownBatchKey
            | ResCode::BatchKeyRemoved
            | ResCode::RegistrationCancelled
            | ResCode::RegistrationExpired
            | ResCode::RetrieveNotFound
            | ResCode::CardLimitExceeded
            | ResCode::CardInsufficientBalance
            | ResCode::CardExpired
            | ResCode::CardWrongPassword
            | ResCode::CardLostOrStolen
            | ResCode::CardIssuerRefused => 200,
        }
    }

    /// What the code means, for the docs table and for merchants reading `resMsg`.
    pub const fn meaning(self) -> &'static str {
        match self {
            ResCode::Success => "Success.",
            ResCode::MalformedBody => "The body is not a JSON object (broken JSON, an array, a string…, or a member named twice). HTTP 400.",
            ResCode::FieldMissing => "A required field is absent, null, an empty string or only spaces.",
            ResCode::FieldWrongType => "A field has the wrong JSON type (e.g. an object where a string is expected).",
            ResCode::FieldTooLong => "A field is longer than its limit, counted in EUC-KR bytes (a Hangul syllable counts 2).",
            ResCode::FieldNotEucKr => "A field has a character EUC-KR (KS X 1001) cannot represent, such as an emoji.",
            ResCode::FieldForbiddenChar => "A text field has one of ' \" < > \\ ; | or a control character (KICC's special-character rule).",
            ResCode::FieldNotEnglish => "A field that must be English only (WeChat goodsName) has a non-ASCII or non-printable character.",
            ResCode::FieldNotDigits => "A numbers-only field (customerContactNo) has something other than digits.",
            ResCode::FieldNotAllowedValue => "A coded field has a value outside its list (tradeType, currency…).",
            ResCode::FieldBadAmount => "A number is not an integer (JSON number or digit string) in its range: amounts 1 … 999999999999, the registration amount exactly 0, tax parts 0 … 999999999999.",
            ResCode::FieldBadUrl => "A URL is not an absolute http or https URL.",
            ResCode::FieldBadEmail => "customerMail is not an e-mail address.",
            ResCode::BodyTooLarge => "The body is larger than the gateway accepts (64 KiB). HTTP 413.",
            ResCode::FieldBadFormat => "A field does not have its documented shape (shopOrderNo: letters, digits, _ and - only).",
            ResCode::RequestDateNotToday => "A request date (approvalReqDate, cancelReqDate, removeReqDate) is not today in Seoul (yesterday is accepted until 00:10).",
            ResCode::UnknownMerchant => "No merchant has this mallId.",
            ResCode::MerchantInactive => "The merchant exists but is deactivated.",
            ResCode::DuplicateOrder => "This merchant already used this shopOrderNo under another shopTransactionId.",
            ResCode::DuplicateRequest => "This shopTransactionId was already used today for a different request (or for any request, with --idempotency strict).",
            ResCode::RequestInProgress => "A request with this shopTransactionId is still being processed; retry with the same key to get its answer (retrieveTransaction: look it up again shortly).",
            ResCode::TransactionNotFound => "No transaction of this merchant has this pgCno.",
            ResCode::NotificationNotFound => "No notification of this merchant has this id.",
            ResCode::AuthenticationFailed => "The notification API needs HTTP Basic authentication with the mallId and its secret key. HTTP 401.",
            ResCode::NotPaidYet => "The WeChat order exists and is waiting for the customer to pay.",
            ResCode::DeclinedByWallet => "The WeChat wallet declined the payment (on the return to returnUrl also: voided it after approving it).",
            ResCode::OrderExpired => "The WeChat order expired before it was paid (2 hours by default).",
            ResCode::CancelledByCustomer => "The customer cancelled the payment in the WeChat cashier.",
            ResCode::TransitionNotAllowed => "A sandbox action does not apply to the order's current state (e.g. approving a declined order).",
            ResCode::NotificationWithdrawn => "This approval notification is not sent again: its payment was voided (TS12) since, so the approval it tells of no longer stands (one not delivered by then was withdrawn).",
            ResCode::CancelNotPaid => "The payment is not approved yet (still pending): there is nothing to cancel.",
            ResCode::CancelDeclined => "The payment was declined: there is nothing to cancel.",
            ResCode::CancelExpired => "The payment expired unpaid: there is nothing to cancel.",
            ResCode::CancelAbandoned => "The customer cancelled the payment before paying: there is nothing to cancel.",
            ResCode::CancelVoided => "The payment was voided by the wallet (TS12): there is nothing to cancel.",
            ResCode::AlreadyCancelled => "The payment is already cancelled in full (TS02).",
            ResCode::CancelExceedsRemaining => "The cancel amount is more than what remains approved.",
            ResCode::RemainAmountMismatch => "remainAmount is not what would remain after this cancel (KICC's partial-cancel check), or a WeChat full cancel's amountInfo.totAmount is not what remains.",
            ResCode::MsgAuthValueMismatch => "msgAuthValue is not the HMAC-SHA256 of the documented fields with the merchant's secret key.",
            ResCode::CancelCurrencyMismatch => "amountInfo.currency is not the payment's currency.",
            ResCode::CancelNotFound => "No cancel of this payment has this cancelPgCno.",
            ResCode::RetrieveDateOutOfRange => "retrieveTransaction's transactionDate is neither today nor yesterday in Seoul (older transactions cannot be queried).",
            ResCode::UnknownAuthorization => "No completed card registration of this merchant has this authorizationId.",
            ResCode::AuthorizationUsed => "This authorizationId already issued a billing key; an authorizationId is single-use.",
            ResCode::AuthorizationExpired => "This authorizationId expired: a billing key must be issued within 30 minutes of the card registration.",
            ResCode::AuthorizationOrderMismatch => "The shopOrderNo is not the one the card registration (webpay) was opened with.",
            ResCode::UnknownBatchKey => "No billing key of this merchant has this batchKey.",
            ResCode::BatchKeyRemoved => "This billing key was removed (removeBatchKey) and can no longer be charged or removed.",
            ResCode::RegistrationCancelled => "Return to returnUrl: the customer cancelled the card registration window.",
            ResCode::RegistrationExpired => "Return to returnUrl: the card registration window expired (30 minutes) before the card was registered.",
            ResCode::RetrieveNotFound => "retrieveTransaction: no billing-key issuance, recurring charge or card cancel of this merchant used this shopTransactionId on transactionDate.",
            ResCode::CardLimitExceeded => "Card declined by the issuer: the credit limit is exceeded (KICC code).",
            ResCode::CardInsufficientBalance => "Card declined by the issuer: the check card's balance is insufficient (KICC code).",
            ResCode::CardExpired => "Card declined by the issuer: the card has expired (KICC code).",
            ResCode::CardWrongPassword => "Card declined by the issuer: the card password is wrong (KICC code).",
            ResCode::CardLostOrStolen => "Card declined by the issuer: the card was reported lost or stolen (KICC code).",
            ResCode::CardIssuerRefused => "Card declined by the issuer: refused, the customer should contact the card issuer (KICC code).",
            ResCode::UnknownPath => "No endpoint at this path. HTTP 404.",
            ResCode::MethodNotAllowed => "The endpoint exists but not for this HTTP method (the API takes POST). HTTP 405.",
            ResCode::InternalError => "The gateway failed internally (e.g. the database is unreachable). Nothing was committed; retry with the same shopTransactionId. HTTP 500.",
        }
    }
}

impl fmt::Display for ResCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_four_characters() {
        let mut seen = HashSet::new();
        for code in ResCode::ALL {
            assert_eq!(code.as_str().len(), 4, "{code:?}");
            assert!(seen.insert(code.as_str()), "duplicate {code}");
        }
    }

    /// Each variant's rustdoc is its code and meaning, so that a merchant reading the SDK's docs
    /// sees what `CardLimitExceeded` answers; this keeps the two from drifting apart.
    #[test]
    fn every_variant_is_documented_with_its_code_and_meaning() {
        let source = include_str!("codes.rs");
        let enum_start = source.find("pub enum ResCode {").unwrap();
        let lines: Vec<&str> = source[enum_start..].lines().collect();
        for code in ResCode::ALL {
            let declaration = format!("    {code:?},");
            let at = lines
                .iter()
                .position(|line| *line == declaration)
                .unwrap_or_else(|| panic!("{code:?} is declared"));
            let doc: Vec<&str> = lines[..at]
                .iter()
                .rev()
                .take_while(|line| line.trim_start().starts_with("///"))
                .map(|line| line.trim_start().trim_start_matches("///").trim())
                .collect();
            let doc = doc.into_iter().rev().collect::<Vec<_>>().join(" ");
            assert_eq!(
                doc,
                format!("`{}`: {}", code.as_str(), code.meaning()),
                "{code:?}"
            );
        }
    }
}
