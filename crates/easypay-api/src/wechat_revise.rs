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
pub enum ReviseType {
    #[serde(rename = "40")]
    Full,
    #[serde(rename = "32")]
    Partial,
}

impl ReviseType {
    pub const ALLOWED: &'static [&'static str] = &["40", "32"];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviseType::Full => "40",
            ReviseType::Partial => "32",
        }
    }

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
    pub currency: Currency,
    /// Required for a partial cancel (`32`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tot_amount: Option<Amount>,
}

/// A parsed WeChat cancel request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviseWechatRequest {
    pub mall_id: MallId,
    pub shop_transaction_id: ShopTransactionId,
    pub pg_cno: PgCnoInput,
    pub revise_type_code: ReviseType,
    pub cancel_req_date: RequestDate,
    /// HMAC-SHA256 of `pgCno|shopTransactionId` (decision 7).
    #[cfg_attr(feature = "schema", schemars(length(max = 200)))]
    pub msg_auth_value: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 1000)))]
    pub notify_url: Option<HttpUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 400)))]
    pub memo: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 40)))]
    pub reg_id: Option<Text>,
    /// Required for a partial cancel; for a full cancel, what remains is cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_info: Option<CancelAmountInfo>,
}

impl ReviseWechatRequest {
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
    pub res_cd: String,
    #[serde(default)]
    pub res_msg: String,
    #[serde(default)]
    pub shop_transaction_id: String,
    #[serde(default)]
    pub mall_id: String,
    #[serde(default)]
    pub pg_cno: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_pg_cno: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revise_type_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_info: Option<ResponseAmountInfo>,
}

// Read leniently: only `resCd` is required (an absent echo reads as empty).
/// Answer of `find` with `cancelPgCno` (§2.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FindWechatCancelResponse {
    pub res_cd: String,
    #[serde(default)]
    pub res_msg: String,
    #[serde(default)]
    pub shop_transaction_id: String,
    #[serde(default)]
    pub mall_id: String,
    /// The payment's order number, when the payment is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_order_no: Option<String>,
    #[serde(default)]
    pub pg_cno: String,
    #[serde(default)]
    pub cancel_pg_cno: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_date: Option<String>,
    /// `TS02` when this cancel left nothing approved, `TS06` when part remains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub res_detail_msg: Option<String>,
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
