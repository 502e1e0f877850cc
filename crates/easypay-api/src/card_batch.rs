//! Recurring charge with a billing key, `POST /api/trades/approval/batch` (kicc-api §3.4).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::billing::CardCurrency;
use crate::billing_key::BatchKey;
use crate::reader::ObjectReader;
use crate::rules::{FieldError, Rule};
use crate::values::{Amount, MallId, RequestDate, ShopOrderNo, ShopTransactionId, Text};
use crate::wechat::CustomerInfo;

/// Installment months a charge may ask for: 0 (lump sum) or 2 to 12.
const INSTALLMENT_MONTHS: &[u32] = &[0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/// `taxInfo` (complex taxation): each part 0 … 999 999 999 999, required once the object is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TaxInfo {
    /// `taxAmount`: the taxable part, in won.
    pub tax_amount: u64,
    /// `freeAmount`: the tax-free part, in won.
    pub free_amount: u64,
    /// `vatAmount`: the VAT, in won.
    pub vat_amount: u64,
}

impl TaxInfo {
    fn read(object: &ObjectReader<'_>) -> Result<Self, FieldError> {
        Ok(TaxInfo {
            tax_amount: tax_part(object, "taxAmount")?,
            free_amount: tax_part(object, "freeAmount")?,
            vat_amount: tax_part(object, "vatAmount")?,
        })
    }
}

/// One part of a `taxInfo` object: required, 0 … 999 999 999 999.
pub(crate) fn tax_part(object: &ObjectReader<'_>, name: &str) -> Result<u64, FieldError> {
    let (path, value) = object.required_integer(name)?;
    u64::try_from(value)
        .ok()
        .filter(|amount| *amount <= Amount::MAX)
        .ok_or_else(|| {
            FieldError::new(
                path,
                Rule::OutOfRange {
                    min: 0,
                    max: Amount::MAX,
                },
            )
        })
}

/// A parsed recurring-charge request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchApprovalRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this charge's idempotency key; at most 60 bytes, required. A retry
    /// with the same key replays the first answer, approval or decline, and never charges twice.
    pub shop_transaction_id: ShopTransactionId,
    /// `shopOrderNo`: unique among the merchant's payments, WeChat included (`D001`); a declined
    /// charge does not use it up. Letters, digits, `_` and `-` (`V014`), at most 40 bytes,
    /// required.
    pub shop_order_no: ShopOrderNo,
    /// `approvalReqDate`: today in Seoul, `yyyyMMdd` (`V014`; another day is `V015`, yesterday's
    /// accepted until 00:10), required.
    pub approval_req_date: RequestDate,
    /// `amount`: won to charge, 1 … 999 999 999 999 (`V010`), required.
    pub amount: Amount,
    /// `orderInfo.goodsName`: the product name; free text, at most 50 bytes, required.
    pub goods_name: Text,
    /// `orderInfo.customerInfo`: the customer, optional (`None` when every field is absent or
    /// empty); its `customerId` and `customerName` go into the approval notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_info: Option<CustomerInfo>,
    /// `payMethodInfo.billKeyMethodInfo.batchKey`: the billing key (the issuance's `cardNo`); at
    /// most 60 bytes, required. Unknown: `B005`; removed: `B006`.
    pub batch_key: BatchKey,
    /// `payMethodInfo.cardMethodInfo.installmentMonth`: `0` (lump sum) or `2` to `12` months,
    /// required (`V009`).
    pub installment_month: u32,
    /// `payMethodInfo.cardMethodInfo.freeInstallmentUsed`: `true` makes an installment charge
    /// interest-free at the merchant's cost (`freeInstallmentTypeCode` `02`); a JSON boolean
    /// (`V003`), optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_installment_used: Option<bool>,
    /// `payMethodInfo.cardMethodInfo.joinCd`: KICC's affiliate code; free text, at most 4 bytes,
    /// optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_cd: Option<Text>,
    /// `taxInfo`: the amount's parts under complex taxation, optional; not compared with `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_info: Option<TaxInfo>,
}

impl BatchApprovalRequest {
    /// Fields in KICC's order; `approvalReqDate` must be today in Seoul at `now` (decision 5).
    pub fn parse(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let shop_order_no = root.required("shopOrderNo", ShopOrderNo::parse)?;
        let approval_req_date =
            root.required("approvalReqDate", |p, r| RequestDate::parse(p, r, now))?;
        let (path, value) = root.required_integer("amount")?;
        let amount = Amount::parse(&path, value)?;
        let (path, raw) = root.required_str("currency")?;
        CardCurrency::parse(&path, raw)?;
        let order = root.required_object("orderInfo")?;
        let goods_name = order.required("goodsName", |p, r| Text::parse(p, r, 50))?;
        let customer_info = order
            .optional_object("customerInfo")?
            .map(|customer| CustomerInfo::read(&customer))
            .transpose()?
            .filter(|info| *info != CustomerInfo::default());
        let method = root.required_object("payMethodInfo")?;
        let (path, raw) = method
            .required_object("billKeyMethodInfo")?
            .required_str("batchKey")?;
        let batch_key = BatchKey::parse(&path, raw)?;
        let card = method.required_object("cardMethodInfo")?;
        let (path, months) = card.required_integer("installmentMonth")?;
        let installment_month = u32::try_from(months)
            .ok()
            .filter(|months| INSTALLMENT_MONTHS.contains(months))
            .ok_or_else(|| {
                FieldError::new(
                    path,
                    Rule::NotOneOfNumbers {
                        allowed: INSTALLMENT_MONTHS,
                        got: months,
                    },
                )
            })?;
        let free_installment_used = card.optional_bool("freeInstallmentUsed")?;
        let join_cd = card.optional("joinCd", |p, r| Text::parse(p, r, 4))?;
        let tax_info = root
            .optional_object("taxInfo")?
            .map(|tax| TaxInfo::read(&tax))
            .transpose()?;
        Ok(BatchApprovalRequest {
            mall_id,
            shop_transaction_id,
            shop_order_no,
            approval_req_date,
            amount,
            goods_name,
            customer_info,
            batch_key,
            installment_month,
            free_installment_used,
            join_cd,
            tax_info,
        })
    }

    /// `freeInstallmentTypeCode`: `02` when the merchant pays the installment interest, else `00`.
    pub fn free_installment_type_code(&self) -> &'static str {
        match (self.installment_month, self.free_installment_used) {
            (2.., Some(true)) => "02",
            _ => "00",
        }
    }
}

// Read leniently (kicc-api §1.2, §1.8, §3.4): every text may be absent (empty), `subCardCd` and
// `cardMaskNo` are not in KICC's table at all, and `installmentMonth` may be a number or a digit
// string (absent: 0, a lump sum). Written as before.
/// `paymentInfo.cardInfo` of a charge: `cardNo` is the masked card number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChargedCardInfo {
    /// `cardNo`: the masked card number (a charge never answers the real one).
    #[serde(default)]
    pub card_no: String,
    /// `issuerCode`: the issuer's KICC code, 3 characters (kicc-api §4.7), e.g. `029`.
    #[serde(default)]
    pub issuer_code: String,
    /// `issuerName`: the issuer's name as on the slip, e.g. `신한카드`.
    #[serde(default)]
    pub issuer_name: String,
    /// `acquirerCode`: the acquirer's KICC code, 3 characters.
    #[serde(default)]
    pub acquirer_code: String,
    /// `acquirerName`: the acquirer's name.
    #[serde(default)]
    pub acquirer_name: String,
    /// `installmentMonth`: months of installments; 0 is a lump sum.
    #[serde(default, deserialize_with = "crate::lenient::u32")]
    pub installment_month: u32,
    /// `freeInstallmentTypeCode`: `00` normal, `02` interest-free paid by the merchant, `03` by the
    /// issuer.
    #[serde(default)]
    pub free_installment_type_code: String,
    /// `cardGubun`: `N` credit, `Y` check, `G` gift card.
    #[serde(default)]
    pub card_gubun: String,
    /// `cardBizGubun`: `P` personal, `C` corporate, `N` other.
    #[serde(default)]
    pub card_biz_gubun: String,
    /// `partCancelUsed`: `Y` when the charge can be cancelled in part.
    #[serde(default)]
    pub part_cancel_used: String,
    /// `subCardCd`: BC cards' affiliate code; empty for other issuers.
    #[serde(default)]
    pub sub_card_cd: String,
    /// `vanSno`: the VAN's transaction number.
    #[serde(default)]
    pub van_sno: String,
    /// `cardMaskNo`: the masked card number, e.g. `546465********41`.
    #[serde(default)]
    pub card_mask_no: String,
}

// Read leniently: its texts may be absent (empty).
/// `paymentInfo` of a charge: the approval and the card charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChargedPaymentInfo {
    /// `payMethodTypeCode`: `11`, a card (kicc-api §4.2).
    #[serde(default)]
    pub pay_method_type_code: String,
    /// `approvalNo`: the card company's approval number.
    #[serde(default)]
    pub approval_no: String,
    /// `approvalDate`: the approval's time, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub approval_date: String,
    /// `cpCode`: the wallet or carrier that paid (`KKO`, `NPAY`, `SKT`…): empty for a billing-key
    /// charge, which goes through no wallet. Absent from answers stored before it was sent.
    #[serde(default)]
    pub cp_code: String,
    /// `cardInfo`: the card that was charged.
    pub card_info: ChargedCardInfo,
}

// Read leniently (kicc-api §1.2, §1.8): only `resCd` is required (an absent echo reads as empty),
// `amount` may be a number or a digit string, and unknown fields are ignored.
/// Answer of a recurring charge. A decline or refusal carries the echoes and no transaction fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchApprovalResponse {
    /// `resCd`: `0000` for an approval; a decline is the issuer's code (e.g. `8521`), a refusal the
    /// gateway's.
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words.
    #[serde(default)]
    pub res_msg: String,
    /// `shopTransactionId`: the request's key, echoed.
    #[serde(default)]
    pub shop_transaction_id: String,
    /// `mallId`: the merchant, echoed.
    #[serde(default)]
    pub mall_id: String,
    /// `shopOrderNo`: the order number, echoed.
    #[serde(default)]
    pub shop_order_no: String,
    /// `pgCno`: KICC's transaction number (20 digits): keep it to cancel or look the charge up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_cno: Option<String>,
    /// `amount`: won charged, the requested amount.
    #[serde(
        default,
        deserialize_with = "crate::lenient::option_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<u64>,
    /// `transactionDate`: the transaction's time, `yyyyMMddHHmmss` Seoul time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_date: Option<String>,
    /// `statusCode`: `TS03` (purchase requested) right after the approval (kicc-api §4.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    /// `statusMessage`: what `statusCode` means, in Korean (`매입요청`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// `msgAuthValue`: HMAC-SHA256 of `pgCno|amount|transactionDate` with the secret key; absent
    /// from `retrieveTransaction` answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_auth_value: Option<String>,
    /// `escrowUsed`: `N`, no escrow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_used: Option<String>,
    /// `paymentInfo`: the approval and the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_info: Option<ChargedPaymentInfo>,
}

/// The wire shape of `POST /api/trades/approval/batch`, for the OpenAPI document:
/// [`BatchApprovalRequest`] is the parsed, flattened form.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "BatchApprovalRequest")]
#[serde(rename_all = "camelCase")]
pub struct BatchApprovalWire {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required; must name an active
    /// merchant (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this charge's idempotency key; at most 60 bytes, required. A retry with
    /// the same key replays the first answer, approval or decline, and never charges twice.
    pub shop_transaction_id: ShopTransactionId,
    /// Unique among the merchant's payments, WeChat included (D001); a declined charge does not use
    /// it up.
    pub shop_order_no: ShopOrderNo,
    /// `approvalReqDate`: today in Seoul, `yyyyMMdd` (`V014`; another day is `V015`, yesterday's
    /// accepted until 00:10), required.
    pub approval_req_date: RequestDate,
    /// Won (V010); more than 10 000 000 is declined 8521 by the sandbox issuer.
    pub amount: Amount,
    /// `00`: KRW.
    pub currency: CardCurrency,
    /// `orderInfo`: the product and the customer, required.
    pub order_info: BatchOrderInfoWire,
    /// `payMethodInfo`: the billing key and the installments, required.
    pub pay_method_info: BatchPayMethodInfoWire,
    /// Each part required once taxInfo is sent; not compared with amount.
    pub tax_info: Option<TaxInfo>,
}

/// `orderInfo` of a charge.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "BatchOrderInfo")]
#[serde(rename_all = "camelCase")]
pub struct BatchOrderInfoWire {
    /// The product name; free text, required.
    #[schemars(length(max = 50))]
    pub goods_name: Text,
    /// The customer; optional.
    pub customer_info: Option<CustomerInfo>,
}

/// `payMethodInfo` of a charge.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "BatchPayMethodInfo")]
#[serde(rename_all = "camelCase")]
pub struct BatchPayMethodInfoWire {
    /// The billing key, required.
    pub bill_key_method_info: BatchKeyMethodInfoWire,
    /// The installments, required.
    pub card_method_info: CardMethodInfoWire,
}

/// `payMethodInfo.billKeyMethodInfo` of a charge.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "BatchKeyMethodInfo")]
#[serde(rename_all = "camelCase")]
pub struct BatchKeyMethodInfoWire {
    /// The billing key (the issuance's `cardNo`), required. Unknown: `B005`; removed: `B006`.
    pub batch_key: BatchKey,
}

/// `payMethodInfo.cardMethodInfo` of a charge.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "CardMethodInfo")]
#[serde(rename_all = "camelCase")]
pub struct CardMethodInfoWire {
    /// 0 (lump sum) or 2-12 (V009), a JSON number or a digit string.
    #[schemars(schema_with = "installment_months")]
    pub installment_month: u32,
    /// With 2 or more months, true answers freeInstallmentTypeCode 02 (V003 if not a boolean).
    pub free_installment_used: Option<bool>,
    /// KICC's affiliate code; free text, optional.
    #[schemars(length(max = 4))]
    pub join_cd: Option<Text>,
}

#[cfg(feature = "schema")]
fn installment_months(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            {"type": "integer", "enum": [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]},
            // A digit string of the same value: "00", "02" and "12" alike.
            {"type": "string", "pattern": "^0*(0|[2-9]|1[0-2])$"}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seoul_time;
    use serde_json::json;

    fn example(now: DateTime<Utc>) -> Value {
        json!({
            "mallId": "T5102001",
            "shopTransactionId": "key-1",
            "shopOrderNo": "CHARGE-1",
            "approvalReqDate": seoul_time::date(now),
            "amount": 9900,
            "currency": "00",
            "orderInfo": {"goodsName": "월 구독"},
            "payMethodInfo": {
                "billKeyMethodInfo": {"batchKey": "key"},
                "cardMethodInfo": {"installmentMonth": 0}
            }
        })
    }

    fn parse(body: Value, now: DateTime<Utc>) -> Result<BatchApprovalRequest, FieldError> {
        BatchApprovalRequest::parse(body.as_object().unwrap(), now)
    }

    #[test]
    fn parses_a_lump_sum_charge() {
        let now = Utc::now();
        let request = parse(example(now), now).unwrap();
        assert_eq!(request.amount.get(), 9900);
        assert_eq!(request.installment_month, 0);
        assert_eq!(request.free_installment_type_code(), "00");
    }

    #[test]
    fn each_rule_names_its_field() {
        let now = Utc::now();
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/amount", json!(0), "amount: must be greater than 0"),
            (
                "/currency",
                json!("KRW"),
                r#"currency: must be one of "00" (got "KRW")"#,
            ),
            (
                "/payMethodInfo/cardMethodInfo/installmentMonth",
                json!(1),
                r#"payMethodInfo.cardMethodInfo.installmentMonth: must be one of 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 (got 1)"#,
            ),
            (
                "/payMethodInfo/billKeyMethodInfo/batchKey",
                json!(""),
                "payMethodInfo.billKeyMethodInfo.batchKey: is required (got an empty string)",
            ),
            (
                "/orderInfo/goodsName",
                json!("a".repeat(51)),
                "orderInfo.goodsName: at most 50 bytes (got 51)",
            ),
        ];
        for (pointer, value, message) in cases {
            let mut body = example(now);
            *body.pointer_mut(pointer).unwrap() = value;
            assert_eq!(
                parse(body, now).unwrap_err().to_string(),
                message,
                "{pointer}"
            );
        }
    }

    #[test]
    fn tax_parts_are_required_once_the_object_is_sent() {
        let now = Utc::now();
        let mut body = example(now);
        body["taxInfo"] = json!({"taxAmount": 9000, "freeAmount": 0});
        assert_eq!(
            parse(body.clone(), now).unwrap_err().to_string(),
            "taxInfo.vatAmount: is required"
        );
        body["taxInfo"]["vatAmount"] = json!(-1);
        assert_eq!(
            parse(body.clone(), now).unwrap_err().to_string(),
            "taxInfo.vatAmount: must be between 0 and 999999999999"
        );
        body["taxInfo"]["vatAmount"] = json!("900");
        assert_eq!(parse(body, now).unwrap().tax_info.unwrap().vat_amount, 900);
    }

    /// KICC's documented answer (kicc-api §3.4), field for field, with the amount as a string the
    /// way KICC's examples write it: no `subCardCd`, no `cardMaskNo`.
    fn documented_answer() -> Value {
        json!({
            "resCd": "0000",
            "resMsg": "단독승인 정상",
            "shopTransactionId": "key-1",
            "mallId": "T5102001",
            "shopOrderNo": "CHARGE-1",
            "pgCno": "26031212000012345678",
            "amount": "9900",
            "transactionDate": "20260312120000",
            "statusCode": "TS03",
            "statusMessage": "매입요청",
            "msgAuthValue": "ab".repeat(32),
            "escrowUsed": "N",
            "paymentInfo": {
                "payMethodTypeCode": "11",
                "approvalNo": "12345678",
                "approvalDate": "20260312120000",
                "cpCode": "",
                "cardInfo": {
                    "cardNo": "41918700****383*",
                    "issuerCode": "029",
                    "issuerName": "신한",
                    "acquirerCode": "029",
                    "acquirerName": "신한",
                    "installmentMonth": 0,
                    "freeInstallmentTypeCode": "00",
                    "cardGubun": "N",
                    "cardBizGubun": "P",
                    "partCancelUsed": "Y",
                    "vanSno": "123456789012"
                }
            }
        })
    }

    #[test]
    fn the_documented_answer_reads_with_a_string_amount() {
        let answer: BatchApprovalResponse = serde_json::from_value(documented_answer()).unwrap();
        assert_eq!(answer.amount, Some(9900));
        let card = &answer.payment_info.as_ref().unwrap().card_info;
        assert_eq!(card.issuer_code, "029");
        assert_eq!(
            (card.sub_card_cd.as_str(), card.card_mask_no.as_str()),
            ("", "")
        );
        // What a merchant's answer reads is written back with the amount as a number.
        let written = serde_json::to_value(&answer).unwrap();
        assert_eq!(written["amount"], json!(9900));
        assert_eq!(written["paymentInfo"]["cardInfo"]["subCardCd"], json!(""));
    }

    #[test]
    fn a_captured_production_answer_reads() {
        // kicc-api §3.4 [3P]: extra fields, empty objects, amounts as numbers or "".
        let mut body = documented_answer();
        body["amount"] = json!(9900);
        body["multiCardAmount"] = json!("");
        body["bankInfo"] = json!({});
        body["basketInfoList"] = json!([]);
        let card = &mut body["paymentInfo"]["cardInfo"];
        card["subCardCd"] = json!("");
        card["cardMaskNo"] = json!("");
        card["couponAmount"] = json!(0);
        card["installmentMonth"] = json!("00");
        let answer: BatchApprovalResponse = serde_json::from_value(body).unwrap();
        assert_eq!(answer.amount, Some(9900));
        assert_eq!(answer.payment_info.unwrap().card_info.installment_month, 0);
    }

    #[test]
    fn a_refusal_needs_only_its_code() {
        let answer: BatchApprovalResponse =
            serde_json::from_value(json!({"resCd": "8521", "amount": null})).unwrap();
        assert_eq!(
            (answer.res_cd.as_str(), answer.res_msg.as_str()),
            ("8521", "")
        );
        assert_eq!((answer.mall_id.as_str(), answer.amount), ("", None));
        let error = serde_json::from_value::<BatchApprovalResponse>(json!({"resMsg": "x"}))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "missing field `resCd`");
    }

    #[test]
    fn amounts_that_are_not_digits_are_refused() {
        for (pointer, bad) in [
            ("/amount", json!("12a")),
            ("/amount", json!(-1)),
            ("/paymentInfo/cardInfo/installmentMonth", json!("12a")),
            ("/paymentInfo/cardInfo/installmentMonth", json!(-1)),
        ] {
            let mut body = documented_answer();
            *body.pointer_mut(pointer).unwrap() = bad.clone();
            let error = serde_json::from_value::<BatchApprovalResponse>(body)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("invalid value") && error.contains("a non-negative integer"),
                "{pointer} = {bad}: {error}"
            );
        }
    }

    #[test]
    fn what_the_gateway_writes_is_unchanged() {
        let answer = BatchApprovalResponse {
            res_cd: "0000".into(),
            res_msg: "Success".into(),
            shop_transaction_id: "key-1".into(),
            mall_id: "T5102001".into(),
            shop_order_no: "CHARGE-1".into(),
            pg_cno: Some("26031212000012345678".into()),
            amount: Some(9900),
            transaction_date: Some("20260312120000".into()),
            status_code: Some("TS03".into()),
            status_message: Some("매입요청".into()),
            msg_auth_value: None,
            escrow_used: Some("N".into()),
            payment_info: Some(ChargedPaymentInfo {
                pay_method_type_code: "11".into(),
                approval_no: "1".into(),
                approval_date: "20260312120000".into(),
                cp_code: String::new(),
                card_info: ChargedCardInfo {
                    card_no: "4191870000003830".into(),
                    issuer_code: "029".into(),
                    issuer_name: "신한".into(),
                    acquirer_code: "029".into(),
                    acquirer_name: "신한".into(),
                    installment_month: 3,
                    free_installment_type_code: "02".into(),
                    card_gubun: "N".into(),
                    card_biz_gubun: "P".into(),
                    part_cancel_used: "Y".into(),
                    sub_card_cd: String::new(),
                    van_sno: "1".into(),
                    card_mask_no: "41918700****383*".into(),
                },
            }),
        };
        let text = serde_json::to_string(&answer).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"resCd":"0000","resMsg":"Success","shopTransactionId":"key-1","mallId":"T5102001","#,
                r#""shopOrderNo":"CHARGE-1","pgCno":"26031212000012345678","amount":9900,"#,
                r#""transactionDate":"20260312120000","statusCode":"TS03","statusMessage":"매입요청","#,
                r#""escrowUsed":"N","paymentInfo":{"payMethodTypeCode":"11","approvalNo":"1","#,
                r#""approvalDate":"20260312120000","cpCode":"","cardInfo":{"cardNo":"4191870000003830","#,
                r#""issuerCode":"029","issuerName":"신한","acquirerCode":"029","acquirerName":"신한","#,
                r#""installmentMonth":3,"freeInstallmentTypeCode":"02","cardGubun":"N","#,
                r#""cardBizGubun":"P","partCancelUsed":"Y","subCardCd":"","vanSno":"1","#,
                r#""cardMaskNo":"41918700****383*"}}}"#
            )
        );
        assert_eq!(
            serde_json::from_str::<BatchApprovalResponse>(&text).unwrap(),
            answer
        );
    }

    #[test]
    fn merchant_paid_installments_are_type_02() {
        let now = Utc::now();
        let mut body = example(now);
        body["payMethodInfo"]["cardMethodInfo"] =
            json!({"installmentMonth": "3", "freeInstallmentUsed": true});
        assert_eq!(parse(body, now).unwrap().free_installment_type_code(), "02");
    }
}
