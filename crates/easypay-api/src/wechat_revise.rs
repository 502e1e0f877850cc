//! WeChat Pay cancel (`POST /api/trades/wechatpay/revise`, kicc-api §2.4) and the cancel status
//! query (`find` with `cancelPgCno`, §2.6).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::reader::ObjectReader;
use crate::rules::{FieldError, Rule};
use crate::values::{Amount, HttpUrl, MallId, PgCnoInput, RequestDate, ShopTransactionId, Text};
use crate::wechat::{Currency, ResponseAmountInfo};

/// `reviseTypeCode`: WeChat accepts a full (`40`) or a partial (`32`) cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
// Variant docs stay out of the `schema` build: documented variants would turn the OpenAPI
// document's `enum` list into a `oneOf`, which the gateway's reference page does not list.
#[cfg_attr(feature = "schema", allow(missing_docs))]
pub enum ReviseType {
    #[cfg_attr(
        not(feature = "schema"),
        doc = "`40`: a full cancel: whatever remains of the payment is cancelled."
    )]
    #[serde(rename = "40")]
    Full,
    #[cfg_attr(
        not(feature = "schema"),
        doc = "`32`: a partial cancel of the amount the request states."
    )]
    #[serde(rename = "32")]
    Partial,
}

impl ReviseType {
    /// The wire values: `40`, `32`.
    pub const ALLOWED: &'static [&'static str] = &["40", "32"];

    /// The wire value: `40` or `32`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviseType::Full => "40",
            ReviseType::Partial => "32",
        }
    }

    /// `reviseTypeCode`: `40` or `32` (`V009`); KICC's other codes (refunds, escrow) do not apply.
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        match raw {
            "40" => Ok(ReviseType::Full),
            "32" => Ok(ReviseType::Partial),
            _ => Err(FieldError::new(
                path,
                Rule::NotOneOf {
                    allowed: Self::ALLOWED,
                    got: raw.chars().take(40).collect(),
                },
            )),
        }
    }
}

/// `amountInfo` of a cancel, in the payment's currency: what to take back (a partial cancel must
/// say; a full cancel may, and must then state what remains).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CancelAmountInfo {
    /// `currency`: `KRW` or `USD` (`V009`), required; it must be the payment's (`C010`).
    pub currency: Currency,
    /// `totAmount`: the amount to take back in the currency's minor unit, 1 … 999 999 999 999
    /// (`V010`); required for a partial cancel (`32`). With `40` it must be what remains (`C008`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tot_amount: Option<Amount>,
}

/// A parsed WeChat cancel request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviseWechatRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this cancel's idempotency key; at most 60 bytes, required. A retry
    /// with the same key replays the first answer and never cancels twice.
    pub shop_transaction_id: ShopTransactionId,
    /// `pgCno`: the payment to cancel; at most 60 bytes, required; an unknown one is `F001`.
    pub pg_cno: PgCnoInput,
    /// `reviseTypeCode`: `40` cancels whatever remains, `32` cancels `amountInfo.totAmount`;
    /// required (`V009`).
    pub revise_type_code: ReviseType,
    /// `cancelReqDate`: today in Seoul, `yyyyMMdd` (`V014`; another day is `V015`, yesterday's
    /// accepted until 00:10), required. A retry keeps the first request's date.
    pub cancel_req_date: RequestDate,
    /// `msgAuthValue`: hex HMAC-SHA256 of `pgCno|shopTransactionId` keyed with the merchant's
    /// secret key, either case; at most 200 bytes, required; a wrong one is `C009`.
    #[cfg_attr(feature = "schema", schemars(length(max = 200)))]
    pub msg_auth_value: Text,
    /// `notifyUrl`: where this cancel's notification goes instead of the order's `notifyUrl`;
    /// absolute http(s) URL (`V011`), at most 1000 bytes, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 1000)))]
    pub notify_url: Option<HttpUrl>,
    /// `memo`: the reason for the cancel; free text, at most 400 bytes, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 400)))]
    pub memo: Option<Text>,
    /// `regId`: the ID of whoever asked for the cancel; free text, at most 40 bytes, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 40)))]
    pub reg_id: Option<Text>,
    /// `amountInfo`: required for a partial cancel (`32`); optional for a full cancel (`40`),
    /// which cancels what remains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_info: Option<CancelAmountInfo>,
}

impl ReviseWechatRequest {
    /// Checks every field in the order of KICC's table; `cancelReqDate` must be today in Seoul at
    /// `now`. The first broken rule is reported; `msgAuthValue` is verified later, with the key.
    pub fn parse(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let pg_cno = root.required("pgCno", PgCnoInput::parse)?;
        let revise_type_code = root.required("reviseTypeCode", ReviseType::parse)?;
        let cancel_req_date =
            root.required("cancelReqDate", |p, r| RequestDate::parse(p, r, now))?;
        let msg_auth_value = root.required("msgAuthValue", Text::parse_signature)?;
        let notify_url = root.optional("notifyUrl", |p, r| HttpUrl::parse(p, r, 1000))?;
        let memo = root.optional("memo", |p, r| Text::parse(p, r, 400))?;
        let reg_id = root.optional("regId", |p, r| Text::parse(p, r, 40))?;
        let amount_info = match root.optional_object("amountInfo")? {
            Some(amount) => {
                let currency = amount.required("currency", Currency::parse)?;
                let tot_amount = match amount.optional_integer("totAmount")? {
                    Some((path, value)) => Some(Amount::parse(&path, value)?),
                    None if revise_type_code == ReviseType::Partial => {
                        return Err(FieldError::new(amount.path("totAmount"), Rule::Missing));
                    }
                    None => None,
                };
                Some(CancelAmountInfo {
                    currency,
                    tot_amount,
                })
            }
            None if revise_type_code == ReviseType::Partial => {
                return Err(FieldError::new(root.path("amountInfo"), Rule::Missing));
            }
            None => None,
        };
        Ok(ReviseWechatRequest {
            mall_id,
            shop_transaction_id,
            pg_cno,
            revise_type_code,
            cancel_req_date,
            msg_auth_value,
            notify_url,
            memo,
            reg_id,
            amount_info,
        })
    }
}

// KICC's table of this answer is unknown (kicc-api §2.4): only `resCd` is required when read, an
// absent echo reads as empty.
/// Answer of a WeChat cancel: accepted with its `cancelPgCno`; the result follows as the cancel
/// notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviseWechatResponse {
    /// `resCd`: `0000` when the cancel was accepted; otherwise why not, e.g. `C007` (more than
    /// remains), `C009` (`msgAuthValue`), `F001` (unknown `pgCno`).
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words.
    #[serde(default)]
    pub res_msg: String,
    /// `shopTransactionId`: this request's key, echoed.
    #[serde(default)]
    pub shop_transaction_id: String,
    /// `mallId`: the merchant, echoed.
    #[serde(default)]
    pub mall_id: String,
    /// `pgCno`: the payment, echoed.
    #[serde(default)]
    pub pg_cno: String,
    /// `cancelPgCno`: the cancel's own transaction number (20 digits), on success always; `find`
    /// takes it, and the cancel notification carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_pg_cno: Option<String>,
    /// `reviseTypeCode`: `40` or `32`, echoed; on success always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revise_type_code: Option<String>,
    /// `amountInfo`, on success always: what this cancel took back, in the payment's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_info: Option<ResponseAmountInfo>,
}

// Read leniently: only `resCd` is required (an absent echo reads as empty).
/// Answer of `find` with `cancelPgCno` (§2.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FindWechatCancelResponse {
    /// `resCd`: `0000` for a cancel of this payment; `F004` when none has this `cancelPgCno`,
    /// `F001` when the payment is unknown.
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words.
    #[serde(default)]
    pub res_msg: String,
    /// `shopTransactionId`: this request's key, echoed.
    #[serde(default)]
    pub shop_transaction_id: String,
    /// `mallId`: the merchant, echoed.
    #[serde(default)]
    pub mall_id: String,
    /// `shopOrderNo`: the payment's order number, when the payment is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_order_no: Option<String>,
    /// `pgCno`: the payment, echoed.
    #[serde(default)]
    pub pg_cno: String,
    /// `cancelPgCno`: the cancel, echoed.
    #[serde(default)]
    pub cancel_pg_cno: String,
    /// `transactionDate`: when the cancel was made, `yyyyMMddHHmmss` Seoul time; with `0000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_date: Option<String>,
    /// `cancelStatus`, with `0000`: `TS02` when this cancel left nothing approved, `TS06` when
    /// part remains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_status: Option<String>,
    /// `resDetailMsg`: WeChat's detailed message, URL-encoded; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub res_detail_msg: Option<String>,
    /// `amountInfo`, with `0000`: what this cancel took back (`totAmount`), in the payment's
    /// currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_info: Option<ResponseAmountInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(now: DateTime<Utc>) -> Value {
        json!({
            "mallId": "T5102001",
            "shopTransactionId": "cancel-1",
            "pgCno": "23031200051212345678",
            "reviseTypeCode": "32",
            "cancelReqDate": crate::seoul_time::date(now),
            "msgAuthValue": "ab",
            "amountInfo": {"currency": "KRW", "totAmount": 300}
        })
    }

    #[test]
    fn a_partial_cancel_needs_its_amount() {
        let now = Utc::now();
        let parsed = ReviseWechatRequest::parse(body(now).as_object().unwrap(), now).unwrap();
        assert_eq!(parsed.amount_info.unwrap().tot_amount.unwrap().get(), 300);
        let mut without = body(now);
        without.as_object_mut().unwrap().remove("amountInfo");
        let err = ReviseWechatRequest::parse(without.as_object().unwrap(), now).unwrap_err();
        assert_eq!(err.to_string(), "amountInfo: is required");
        without["reviseTypeCode"] = json!("40");
        assert!(ReviseWechatRequest::parse(without.as_object().unwrap(), now).is_ok());
        let mut no_total = body(now);
        no_total["amountInfo"] = json!({"currency": "USD"});
        let err = ReviseWechatRequest::parse(no_total.as_object().unwrap(), now).unwrap_err();
        assert_eq!(err.to_string(), "amountInfo.totAmount: is required");
        no_total["reviseTypeCode"] = json!("40");
        let full = ReviseWechatRequest::parse(no_total.as_object().unwrap(), now).unwrap();
        assert_eq!(
            full.amount_info.unwrap().tot_amount,
            None,
            "a full cancel may leave it out"
        );
    }

    #[test]
    fn cancel_answers_need_only_their_code() {
        let answer: ReviseWechatResponse = serde_json::from_value(json!({
            "resCd": "0000", "cancelPgCno": "2", "amountInfo": {"currency": "KR", "totAmount": "300"}
        }))
        .unwrap();
        assert_eq!(answer.amount_info.unwrap().tot_amount, 300);
        assert_eq!(answer.pg_cno, "");
        let found: FindWechatCancelResponse = serde_json::from_value(json!({
            "resCd": "0000", "resMsg": "Success", "shopTransactionId": "k", "mallId": "T5102001",
            "pgCno": "1", "cancelPgCno": "2", "transactionDate": "20260312130000",
            "cancelStatus": "TS06", "resDetailMsg": "",
            "amountInfo": {"currency": "KR", "totAmount": 300}
        }))
        .unwrap();
        assert_eq!(found.cancel_status.as_deref(), Some("TS06"));
    }

    #[test]
    fn the_cancel_date_must_be_today() {
        let now = Utc::now();
        let mut stale = body(now);
        stale["cancelReqDate"] = json!("20200101");
        let err = ReviseWechatRequest::parse(stale.as_object().unwrap(), now).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cancelReqDate: must be today in Seoul"),
            "{err}"
        );
        stale["reviseTypeCode"] = json!("20");
        let err = ReviseWechatRequest::parse(stale.as_object().unwrap(), now).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("reviseTypeCode: must be one of"));
    }
}
