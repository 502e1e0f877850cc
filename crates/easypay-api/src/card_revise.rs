//! Card cancel (`POST /api/trades/revise`, kicc-api §3.6): full (`40`) or partial (`32`) cancel of
//! a card charge, signed with `msgAuthValue` over `pgCno|shopTransactionId`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::card_batch::tax_part;
use crate::reader::ObjectReader;
use crate::rules::{FieldError, Rule};
use crate::values::{Amount, MallId, RequestDate, ShopTransactionId, Text};
use crate::wechat_revise::ReviseType;

/// Values of `refundQueryFlag`.
const REFUND_QUERY_FLAGS: &[&str] = &["Y", "N"];

/// `taxInfo` of a cancel (complex taxation): the cancelled amount's parts, each 0 …
/// 999 999 999 999, required once the object is sent. KICC names them otherwise than a charge's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CancelTaxInfo {
    /// `taxationAmount`: the cancelled taxable part, in won.
    pub taxation_amount: u64,
    /// `taxFreeAmount`: the cancelled tax-free part, in won.
    pub tax_free_amount: u64,
    /// `vatAmount`: the cancelled VAT, in won.
    pub vat_amount: u64,
}

impl CancelTaxInfo {
    fn read(object: &ObjectReader<'_>) -> Result<Self, FieldError> {
        Ok(CancelTaxInfo {
            taxation_amount: tax_part(object, "taxationAmount")?,
            tax_free_amount: tax_part(object, "taxFreeAmount")?,
            vat_amount: tax_part(object, "vatAmount")?,
        })
    }
}

/// A parsed card cancel request. Refund-only fields (`refundInfo`, `reviseSubTypeCode`) and split
/// settlement (`basketInfo`) do not apply to card charges and are ignored like unknown fields;
/// `refundQueryFlag` and `taxInfo` are checked, and change nothing for a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviseCardRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this cancel's idempotency key; at most 60 bytes, required. A retry
    /// with the same key replays the first answer and never cancels twice.
    pub shop_transaction_id: ShopTransactionId,
    /// `pgCno`: the charge to cancel (its answer's `pgCno`); free text, at most 20 bytes,
    /// required; unknown, or another merchant's: `F001`.
    #[cfg_attr(feature = "schema", schemars(length(max = 20)))]
    pub pg_cno: Text,
    /// `reviseTypeCode`: `40` cancels whatever remains, `32` cancels `amount`; required (`V009`).
    pub revise_type_code: ReviseType,
    /// `amount`: won to cancel, 1 … 999 999 999 999 (`V010`) and no more than remains (`C007`);
    /// required for `32`. Optional for `40`, and then it must be what remains (`C008`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// `remainAmount`: what the merchant expects to remain after this cancel, 0 …
    /// 999 999 999 999 (`V010`); optional, `C008` if it differs (KICC's partial-cancel check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "remain_amount_schema"))]
    pub remain_amount: Option<u64>,
    /// `clientIp`: the IP address of whoever asked for the cancel; free text, at most 20 bytes,
    /// optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 20)))]
    pub client_ip: Option<Text>,
    /// `clientId`: the login ID of whoever asked for the cancel (e.g. an administrator's); free
    /// text, at most 32 bytes, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 32)))]
    pub client_id: Option<Text>,
    /// `cancelReqDate`: today in Seoul, `yyyyMMdd` (`V014`; another day is `V015`, yesterday's
    /// accepted until 00:10), required.
    pub cancel_req_date: RequestDate,
    /// `msgAuthValue`: hex HMAC-SHA256 of `pgCno|shopTransactionId` keyed with the merchant's
    /// secret key, either case; at most 200 bytes, required; a wrong one is `C009`.
    #[cfg_attr(feature = "schema", schemars(length(max = 200)))]
    pub msg_auth_value: Text,
    /// `reviseMessage`: the reason for the cancel; free text, at most 100 bytes, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 100)))]
    pub revise_message: Option<Text>,
    /// `refundQueryFlag`: `Y` or `N` (`V009`), optional. `Y` asks for a refund's result after a
    /// timeout (refunds only), so it changes nothing for a card cancel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^[YN]$")))]
    pub refund_query_flag: Option<String>,
    /// `taxInfo`: the cancelled amount's parts under complex taxation, each required once it is
    /// sent (`V010`); optional, not compared with `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_info: Option<CancelTaxInfo>,
}

#[cfg(feature = "schema")]
fn remain_amount_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": Amount::MAX},
            {"type": "string", "pattern": "^[0-9]{1,30}$"},
            {"type": "null"}
        ],
        "description": "What should remain after this cancel, 0 … 999999999999, as a JSON number or a digit string (V010); C008 if it differs."
    })
}

impl ReviseCardRequest {
    /// Checks every field in the order of KICC's table; `cancelReqDate` must be today in Seoul at
    /// `now`. The first broken rule is reported; `msgAuthValue` is verified later, with the key.
    pub fn parse(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let pg_cno = root.required("pgCno", |p, r| Text::parse(p, r, 20))?;
        let revise_type_code = root.required("reviseTypeCode", ReviseType::parse)?;
        let amount = match (root.optional_integer("amount")?, revise_type_code) {
            (Some((path, value)), _) => Some(Amount::parse(&path, value)?),
            (None, ReviseType::Partial) => {
                return Err(FieldError::new(root.path("amount"), Rule::Missing));
            }
            (None, ReviseType::Full) => None,
        };
        let remain_amount = match root.optional_integer("remainAmount")? {
            Some((path, value)) if !(0..=i128::from(Amount::MAX)).contains(&value) => {
                return Err(FieldError::new(
                    path,
                    Rule::OutOfRange {
                        min: 0,
                        max: Amount::MAX,
                    },
                ));
            }
            Some((_, value)) => Some(value as u64),
            None => None,
        };
        Ok(ReviseCardRequest {
            mall_id,
            shop_transaction_id,
            pg_cno,
            revise_type_code,
            amount,
            remain_amount,
            client_ip: root.optional("clientIp", |p, r| Text::parse(p, r, 20))?,
            client_id: root.optional("clientId", |p, r| Text::parse(p, r, 32))?,
            cancel_req_date: root
                .required("cancelReqDate", |p, r| RequestDate::parse(p, r, now))?,
            msg_auth_value: root.required("msgAuthValue", Text::parse_signature)?,
            revise_message: root.optional("reviseMessage", |p, r| Text::parse(p, r, 100))?,
            refund_query_flag: root.optional("refundQueryFlag", |path, raw| {
                if REFUND_QUERY_FLAGS.contains(&raw) {
                    Ok(raw.to_owned())
                } else {
                    Err(FieldError::new(
                        path,
                        Rule::NotOneOf {
                            allowed: REFUND_QUERY_FLAGS,
                            got: raw.to_owned(),
                        },
                    ))
                }
            })?,
            tax_info: root
                .optional_object("taxInfo")?
                .map(|tax| CancelTaxInfo::read(&tax))
                .transpose()?,
        })
    }
}

// Read leniently: `couponAmount` may be a number or a digit string, or absent (0); so may the
// whole object.
/// `reviseInfo.cardInfo` of a card cancel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviseCardInfo {
    /// `couponAmount`: the coupon part of the cancel, in won; 0 from this gateway.
    #[serde(default, deserialize_with = "crate::lenient::u64")]
    pub coupon_amount: u64,
}

// Read leniently: its texts may be absent (empty), and so may `cardInfo`.
/// `reviseInfo`: the cancel's own approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviseInfo {
    /// `payMethodTypeCode`: `11`, a card.
    #[serde(default)]
    pub pay_method_type_code: String,
    /// `approvalNo`: the cancel's own approval number.
    #[serde(default)]
    pub approval_no: String,
    /// `approvalDate`: when the cancel was approved, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub approval_date: String,
    /// `cardInfo`: the card's part of the cancel.
    #[serde(default)]
    pub card_info: ReviseCardInfo,
}

// Read leniently (kicc-api §1.2, §1.8): only `resCd` is required (an absent echo reads as empty),
// the amounts may be numbers or digit strings, and unknown fields are ignored.
/// Answer of a card cancel (kicc-api §3.6, with the example's `shopOrderNo`, `cancelAmount`,
/// `remainAmount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviseCardResponse {
    /// `resCd`: `0000` when the cancel was made (at once, final); otherwise why not, e.g. `C006`
    /// (already cancelled in full), `C007` (more than remains), `C009` (`msgAuthValue`), `F001`.
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
    /// `shopOrderNo`: the charge's order number; on success always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_order_no: Option<String>,
    /// `oriPgCno`: the charge's `pgCno`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ori_pg_cno: Option<String>,
    /// `cancelPgCno`: the cancel's own transaction number (20 digits); on success always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_pg_cno: Option<String>,
    /// `transactionDate`: when the cancel was made, `yyyyMMddHHmmss` Seoul time; on success always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_date: Option<String>,
    /// `statusCode`, on success always: `TS06` while part of the charge remains, `TS02` when
    /// nothing does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    /// `statusMessage`: what `statusCode` means, in Korean (`부분매입취소`, `승인취소`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// `escrowUsed`: `N`, no escrow; on success always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_used: Option<String>,
    /// `cancelAmount`: won this cancel took back; on success always.
    #[serde(
        default,
        deserialize_with = "crate::lenient::option_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub cancel_amount: Option<u64>,
    /// `remainAmount`: won of the charge that remain after this cancel; on success always.
    #[serde(
        default,
        deserialize_with = "crate::lenient::option_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub remain_amount: Option<u64>,
    /// `reviseInfo`: the cancel's own approval; on success always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revise_info: Option<ReviseInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(now: DateTime<Utc>) -> Value {
        json!({
            "mallId": "T5102001", "shopTransactionId": "c-1", "pgCno": "26112200000012345678",
            "reviseTypeCode": "32", "amount": 300, "remainAmount": 700,
            "cancelReqDate": crate::seoul_time::date(now), "msgAuthValue": "ab"
        })
    }

    #[test]
    fn the_documented_answer_reads_with_string_amounts() {
        // kicc-api §3.6: the table's fields, with the example's amounts written as strings.
        let answer: ReviseCardResponse = serde_json::from_value(json!({
            "resCd": "0000", "resMsg": "정상", "shopTransactionId": "c-1", "mallId": "T5102001",
            "oriPgCno": "26031212000012345678", "cancelPgCno": "26031213000012345679",
            "transactionDate": "20260312130000", "statusCode": "TS06",
            "statusMessage": "부분매입취소", "escrowUsed": "N", "multiCardAmount": "",
            "cancelAmount": "300", "remainAmount": "700",
            "reviseInfo": {"payMethodTypeCode": "11", "approvalNo": "1",
                "approvalDate": "20260312130000", "cardInfo": {"couponAmount": "0"},
                "cashReceiptInfo": {}}
        }))
        .unwrap();
        assert_eq!(
            (answer.cancel_amount, answer.remain_amount),
            (Some(300), Some(700))
        );
        assert_eq!(answer.shop_order_no, None);
        let written = serde_json::to_value(&answer).unwrap();
        assert_eq!(written["cancelAmount"], json!(300));
        assert_eq!(written["reviseInfo"]["cardInfo"]["couponAmount"], json!(0));
        // reviseInfo without cardInfo, amounts as numbers.
        let answer: ReviseCardResponse = serde_json::from_value(json!({
            "resCd": "0000", "cancelAmount": 300, "remainAmount": 0,
            "reviseInfo": {"approvalNo": "1"}
        }))
        .unwrap();
        assert_eq!(answer.revise_info.unwrap().card_info.coupon_amount, 0);
        assert_eq!(answer.remain_amount, Some(0));
        for bad in [json!("12a"), json!(-1)] {
            let error = serde_json::from_value::<ReviseCardResponse>(
                json!({"resCd": "0000", "remainAmount": bad}),
            )
            .unwrap_err()
            .to_string();
            assert!(error.contains("a non-negative integer"), "{error}");
        }
    }

    #[test]
    fn a_partial_cancel_needs_its_amount_and_remain_amount_is_checked_for_range() {
        let now = Utc::now();
        let parsed = ReviseCardRequest::parse(body(now).as_object().unwrap(), now).unwrap();
        assert_eq!(
            (parsed.amount.map(Amount::get), parsed.remain_amount),
            (Some(300), Some(700))
        );
        let mut zero = body(now);
        zero["remainAmount"] = json!(0);
        assert_eq!(
            ReviseCardRequest::parse(zero.as_object().unwrap(), now)
                .unwrap()
                .remain_amount,
            Some(0)
        );
        let mut negative = body(now);
        negative["remainAmount"] = json!(-1);
        let err = ReviseCardRequest::parse(negative.as_object().unwrap(), now).unwrap_err();
        assert_eq!(
            err.to_string(),
            "remainAmount: must be between 0 and 999999999999"
        );
        let mut missing = body(now);
        missing.as_object_mut().unwrap().remove("amount");
        let err = ReviseCardRequest::parse(missing.as_object().unwrap(), now).unwrap_err();
        assert_eq!(err.to_string(), "amount: is required");
        missing["reviseTypeCode"] = json!("40");
        assert!(ReviseCardRequest::parse(missing.as_object().unwrap(), now).is_ok());
        missing["reviseTypeCode"] = json!("60");
        let err = ReviseCardRequest::parse(missing.as_object().unwrap(), now).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"reviseTypeCode: must be one of "40", "32" (got "60")"#
        );
    }

    #[test]
    fn tax_info_and_refund_query_flag_are_checked() {
        let now = Utc::now();
        let mut with_tax = body(now);
        with_tax["taxInfo"] =
            json!({"taxationAmount": 200, "taxFreeAmount": "80", "vatAmount": 20});
        with_tax["refundQueryFlag"] = json!("Y");
        let parsed = ReviseCardRequest::parse(with_tax.as_object().unwrap(), now).unwrap();
        assert_eq!(
            parsed.tax_info,
            Some(CancelTaxInfo {
                taxation_amount: 200,
                tax_free_amount: 80,
                vat_amount: 20
            })
        );
        assert_eq!(parsed.refund_query_flag.as_deref(), Some("Y"));
        let refused = |field: &str, value: Value| {
            let mut bad = body(now);
            bad[field] = value;
            ReviseCardRequest::parse(bad.as_object().unwrap(), now)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused("taxInfo", json!("not-an-object")),
            "taxInfo: must be an object"
        );
        assert_eq!(
            refused("taxInfo", json!({"taxationAmount": 1})),
            "taxInfo.taxFreeAmount: is required"
        );
        assert_eq!(
            refused("refundQueryFlag", json!("YES")),
            r#"refundQueryFlag: must be one of "Y", "N" (got "YES")"#
        );
    }
}
