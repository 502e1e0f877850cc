//! WeChat Pay: Create Transaction (`POST /api/trades/wechatpay`) and Check Payment Status
//! (`POST /api/trades/wechatpay/find`), field for field as KICC documents them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::reader::ObjectReader;
use crate::rules::{FieldError, Rule};
use crate::values::{
    Amount, Digits, Email, EnglishText, HttpUrl, MallId, PgCnoInput, ShopOrderNo,
    ShopTransactionId, Text,
};

/// `tradeType`: `native` answers a code URL for a QR code, `mweb` a mobile-web cashier URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
// Variant docs stay out of the `schema` build: documented variants would turn the OpenAPI
// document's `enum` list into a `oneOf`, which the gateway's reference page does not list.
#[cfg_attr(feature = "schema", allow(missing_docs))]
pub enum TradeType {
    #[cfg_attr(
        not(feature = "schema"),
        doc = "`native`: a QR-code payment: `paymentPageUrl` is a code URL \
               (`weixin://wxpay/bizpayurl?pr=…`) to show as a QR code for the customer to scan."
    )]
    Native,
    #[cfg_attr(
        not(feature = "schema"),
        doc = "`mweb`: a mobile-web payment: `paymentPageUrl` is the cashier page to send the \
               customer's mobile browser to."
    )]
    Mweb,
}

impl TradeType {
    /// The wire values: `native`, `mweb`.
    pub const ALLOWED: &'static [&'static str] = &["native", "mweb"];

    /// The wire value: `native` or `mweb`.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeType::Native => "native",
            TradeType::Mweb => "mweb",
        }
    }

    /// `tradeType`: `native` or `mweb`, case-sensitive (`V009`).
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        match raw {
            "native" => Ok(TradeType::Native),
            "mweb" => Ok(TradeType::Mweb),
            _ => Err(not_one_of(path, Self::ALLOWED, raw)),
        }
    }
}

/// `amountInfo.currency` of WeChat requests; amounts are in the minor unit (USD cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
// Variant docs stay out of the `schema` build: documented variants would turn the OpenAPI
// document's `enum` list into a `oneOf`, which the gateway's reference page does not list.
#[cfg_attr(feature = "schema", allow(missing_docs))]
pub enum Currency {
    #[cfg_attr(
        not(feature = "schema"),
        doc = "`KRW`: Korean won; amounts are in won (no minor unit)."
    )]
    Krw,
    #[cfg_attr(
        not(feature = "schema"),
        doc = "`USD`: US dollars; amounts are in cents ($12.03 is `1203`)."
    )]
    Usd,
}

impl Currency {
    /// The wire values: `KRW`, `USD`.
    pub const ALLOWED: &'static [&'static str] = &["KRW", "USD"];

    /// The wire value: `KRW` or `USD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Currency::Krw => "KRW",
            Currency::Usd => "USD",
        }
    }

    /// Digits after the decimal point: the amount is `major * 10^minor_digits`.
    pub fn minor_digits(self) -> u32 {
        match self {
            Currency::Krw => 0,
            Currency::Usd => 2,
        }
    }

    /// `amountInfo.currency`: `KRW` or `USD`, case-sensitive (`V009`).
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        match raw {
            "KRW" => Ok(Currency::Krw),
            "USD" => Ok(Currency::Usd),
            _ => Err(not_one_of(path, Self::ALLOWED, raw)),
        }
    }
}

fn not_one_of(path: &str, allowed: &'static [&'static str], got: &str) -> FieldError {
    FieldError::new(
        path,
        Rule::NotOneOf {
            allowed,
            got: got.chars().take(40).collect(),
        },
    )
}

/// `amountInfo` of a create request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestAmountInfo {
    /// `currency`: `KRW` or `USD`, required (`V009`).
    pub currency: Currency,
    /// `totalAmount`: the amount to pay in the currency's minor unit (won, or USD cents: $12.03 is
    /// `1203`); an integer 1 … 999 999 999 999, a JSON number or a digit string, required (`V010`).
    pub total_amount: Amount,
}

/// `customerInfo`: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CustomerInfo {
    /// `customerId`: the merchant's ID for the customer; free text, at most 20 bytes, optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 20)))]
    pub customer_id: Option<Text>,
    /// `customerName`: the customer's name; free text, at most 20 bytes (a Hangul syllable counts
    /// 2), optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 20)))]
    pub customer_name: Option<Text>,
    /// `customerMail`: the customer's e-mail address (`V012`); at most 50 bytes, optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 50)))]
    pub customer_mail: Option<Email>,
    /// `customerContactNo`: the customer's phone number, digits only (`V008`), e.g.
    /// `01012345678`; at most 11 bytes, optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 11)))]
    pub customer_contact_no: Option<Digits>,
    /// `customerAddr`: the customer's address; free text, at most 200 bytes, optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(max = 200)))]
    pub customer_addr: Option<Text>,
}

impl CustomerInfo {
    pub(crate) fn read(object: &ObjectReader<'_>) -> Result<Self, FieldError> {
        Ok(CustomerInfo {
            customer_id: object.optional("customerId", |p, r| Text::parse(p, r, 20))?,
            customer_name: object.optional("customerName", |p, r| Text::parse(p, r, 20))?,
            customer_mail: object.optional("customerMail", |p, r| Email::parse(p, r, 50))?,
            customer_contact_no: object
                .optional("customerContactNo", |p, r| Digits::parse(p, r, 11))?,
            customer_addr: object.optional("customerAddr", |p, r| Text::parse(p, r, 200))?,
        })
    }
}

/// A parsed `POST /api/trades/wechatpay` request. Serializing it gives the canonical form used to
/// recognise a retried request (field order, whitespace and unknown fields do not matter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateWechatRequest {
    /// `mallId`: the merchant ID KICC assigned, e.g. `T5102001`; at most 8 bytes, required; must
    /// name an active merchant (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this request's idempotency key (a UUID will do); at most 60 bytes,
    /// required. Sent again with the same request it replays the first answer; with another
    /// request it is `D002`.
    pub shop_transaction_id: ShopTransactionId,
    /// `shopOrderNo`: the merchant's order number, unique per merchant (`D001`); letters, digits,
    /// `_` and `-` (`V014`), at most 40 bytes, required.
    pub shop_order_no: ShopOrderNo,
    /// `goodsName`: the product name shown to the customer; English only (printable ASCII,
    /// `V007`), free text, at most 100 bytes, required.
    #[cfg_attr(feature = "schema", schemars(length(max = 100)))]
    pub goods_name: EnglishText,
    /// `returnUrl`: where the customer's browser returns after an `mweb` payment (a form POST of
    /// `resCd`, `resMsg`, `shopOrderNo`, `pgCno`); absolute http(s) URL (`V011`), at most 256
    /// bytes, required.
    #[cfg_attr(feature = "schema", schemars(length(max = 256)))]
    pub return_url: HttpUrl,
    /// `tradeType`: `native` (QR code) or `mweb` (mobile web), required (`V009`).
    pub trade_type: TradeType,
    /// `notifyUrl`: where the approval notification is POSTed, and a cancel's unless the cancel
    /// names another; absolute http(s) URL (`V011`), at most 256 bytes, required.
    #[cfg_attr(feature = "schema", schemars(length(max = 256)))]
    pub notify_url: HttpUrl,
    /// `amountInfo`: the currency and the amount to pay, required.
    pub amount_info: RequestAmountInfo,
    /// `customerInfo`: the customer, optional (`None` when every field is absent or empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_info: Option<CustomerInfo>,
}

impl CreateWechatRequest {
    /// Checks every field in the order KICC's table lists them; the first broken rule is reported.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let shop_order_no = root.required("shopOrderNo", ShopOrderNo::parse)?;
        let goods_name = root.required("goodsName", |p, r| EnglishText::parse(p, r, 100))?;
        let return_url = root.required("returnUrl", |p, r| HttpUrl::parse(p, r, 256))?;
        let trade_type = root.required("tradeType", TradeType::parse)?;
        let notify_url = root.required("notifyUrl", |p, r| HttpUrl::parse(p, r, 256))?;
        let amount = root.required_object("amountInfo")?;
        let currency = amount.required("currency", Currency::parse)?;
        let (path, value) = amount.required_integer("totalAmount")?;
        let total_amount = Amount::parse(&path, value)?;
        let customer_info = root
            .optional_object("customerInfo")?
            .map(|customer| CustomerInfo::read(&customer))
            .transpose()?
            .filter(|info| *info != CustomerInfo::default());
        Ok(CreateWechatRequest {
            mall_id,
            shop_transaction_id,
            shop_order_no,
            goods_name,
            return_url,
            trade_type,
            notify_url,
            amount_info: RequestAmountInfo {
                currency,
                total_amount,
            },
            customer_info,
        })
    }
}

/// A parsed `POST /api/trades/wechatpay/find` request: the payment's status, or with
/// `cancelPgCno` the status of one of its cancels (kicc-api §2.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FindWechatRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this request's idempotency key; at most 60 bytes, required. Use a new
    /// one for every poll: a repeated key replays the status as it was at its first call.
    pub shop_transaction_id: ShopTransactionId,
    /// `pgCno`: the payment's `pgCno` from the create answer; at most 60 bytes, required; an
    /// unknown one, or another merchant's, is `F001`.
    pub pg_cno: PgCnoInput,
    /// `cancelPgCno`: asks for that cancel's status instead (the cancel answer's `cancelPgCno`);
    /// at most 60 bytes, optional; an unknown one is `F004`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_pg_cno: Option<PgCnoInput>,
}

impl FindWechatRequest {
    /// Checks `mallId`, `shopTransactionId`, `pgCno` and `cancelPgCno` in that order; the first
    /// broken rule is reported.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let pg_cno = root.required("pgCno", PgCnoInput::parse)?;
        let cancel_pg_cno = root.optional("cancelPgCno", PgCnoInput::parse)?;
        Ok(FindWechatRequest {
            mall_id,
            shop_transaction_id,
            pg_cno,
            cancel_pg_cno,
        })
    }
}

// Read leniently: only `resCd` is required.
/// Answer of Create Transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateWechatResponse {
    /// `resCd`: `0000` when the order was created; otherwise why not (e.g. `V004`, `D001`).
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words (`Success`, or the field and the rule it broke).
    #[serde(default)]
    pub res_msg: String,
    /// `shopTransactionId`: the request's key, echoed; on success always, on a refusal when it
    /// was readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_transaction_id: Option<String>,
    /// `mallId`: the merchant, echoed; on success always, on a refusal when it was readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mall_id: Option<String>,
    /// `pgCno`: KICC's transaction number of the order (20 digits), on success always: keep it to
    /// `find` or cancel the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_cno: Option<String>,
    /// `paymentPageUrl`, on success always: for `native` a code URL to show as a QR code, for
    /// `mweb` the cashier page to redirect the mobile browser to (KICC: at most 2048 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_page_url: Option<String>,
    /// `resDetailMsg`: WeChat's detailed error message, URL-encoded; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub res_detail_msg: Option<String>,
}

// Read leniently: `currency` may be absent (empty); `totAmount` is required, as a number or a digit
// string, and is also read under the name `amount` (KICC's payment-status table is cut off before
// naming it, kicc-api §2.3, §5.5). Written as `totAmount`.
/// `amountInfo` of a find answer: the amount the wallet approved, in the order's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResponseAmountInfo {
    /// `currency`: the order's currency, `KRW` or `USD`.
    #[serde(default)]
    pub currency: String,
    /// `totAmount`: in the currency's minor unit (won, USD cents): in a payment's status what the
    /// wallet approved, in a cancel's what the cancel took back. Also read as `amount`.
    #[serde(alias = "amount", deserialize_with = "crate::lenient::u64")]
    pub tot_amount: u64,
}

// Read leniently: only `resCd` is required (an absent echo reads as empty).
/// Answer of Check Payment Status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FindWechatResponse {
    /// `resCd`: `0000` once the wallet approved (see `statusCd` for what happened since); `W001`
    /// not paid yet, `W002` declined by the wallet, `W003` expired, `W004` cancelled by the
    /// customer in the cashier; or a refusal of the request (`V…`, `M…`, `F001`).
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words.
    #[serde(default)]
    pub res_msg: String,
    /// `shopTransactionId`: this request's key, echoed.
    #[serde(default)]
    pub shop_transaction_id: String,
    /// `mallId`: the merchant, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mall_id: Option<String>,
    /// `shopOrderNo`: the order's number, for a known order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_order_no: Option<String>,
    /// `pgCno`: the payment's transaction number, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_cno: Option<String>,
    /// `approvalDate`: when the wallet approved, `yyyyMMddHHmmss` Seoul time; with `0000` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_date: Option<String>,
    /// `statusCd`, with `0000` only: `TS01` approved, `TS02` cancelled in full, `TS06` cancelled
    /// in part, `TS12` voided by the wallet (network cancel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_cd: Option<String>,
    /// `resDetailMsg`: WeChat's detailed message, URL-encoded (with `W002`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub res_detail_msg: Option<String>,
    /// `amountInfo`, with `0000` only: the amount the wallet approved. If it is not the order's,
    /// cancel the payment (KICC's integrity rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_info: Option<ResponseAmountInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_example() -> Value {
        json!({
            "mallId": "T5102001",
            "shopTransactionId": "2f0e6c1e-8b0b-4f5e-9d3e-0b1c2d3e4f50",
            "shopOrderNo": "ORDER-0001",
            "goodsName": "Sample Product",
            "returnUrl": "https://shop.example/return",
            "tradeType": "native",
            "notifyUrl": "https://shop.example/notify",
            "amountInfo": {"currency": "KRW", "totalAmount": 1000},
            "customerInfo": {
                "customerId": "User123",
                "customerName": "John Doe",
                "customerMail": "test@email.com",
                "customerContactNo": "01012345678",
                "customerAddr": "Seoul, Korea"
            }
        })
    }

    fn parse(value: Value) -> Result<CreateWechatRequest, FieldError> {
        CreateWechatRequest::parse(value.as_object().unwrap())
    }

    #[test]
    fn parses_the_seed_example() {
        let request = parse(seed_example()).unwrap();
        assert_eq!(request.trade_type, TradeType::Native);
        assert_eq!(request.amount_info.total_amount.get(), 1000);
        assert_eq!(
            request
                .customer_info
                .unwrap()
                .customer_name
                .unwrap()
                .as_str(),
            "John Doe"
        );
    }

    #[test]
    fn canonical_form_ignores_key_order_unknown_fields_and_amount_spelling() {
        let mut other = seed_example();
        other["amountInfo"]["totalAmount"] = json!("1000");
        other["somethingNew"] = json!({"ignored": true});
        assert_eq!(
            serde_json::to_string(&parse(seed_example()).unwrap()).unwrap(),
            serde_json::to_string(&parse(other).unwrap()).unwrap()
        );
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/mallId", Value::Null, "mallId: is required"),
            (
                "/tradeType",
                json!("app"),
                r#"tradeType: must be one of "native", "mweb" (got "app")"#,
            ),
            (
                "/amountInfo/currency",
                json!("CNY"),
                r#"amountInfo.currency: must be one of "KRW", "USD" (got "CNY")"#,
            ),
            (
                "/amountInfo/totalAmount",
                json!(0),
                "amountInfo.totalAmount: must be greater than 0",
            ),
            (
                "/amountInfo/totalAmount",
                json!(12.5),
                "amountInfo.totalAmount: must be an integer (a JSON number or a digit string)",
            ),
            (
                "/amountInfo/totalAmount",
                serde_json::from_str("100000000000000000000").unwrap(),
                "amountInfo.totalAmount: must be at most 999999999999",
            ),
            (
                "/amountInfo/totalAmount",
                json!("1".repeat(40)),
                "amountInfo.totalAmount: must be at most 999999999999",
            ),
            (
                "/customerInfo/customerContactNo",
                json!("010-1234"),
                "customerInfo.customerContactNo: must contain digits only",
            ),
            (
                "/goodsName",
                json!("상품"),
                "goodsName: must be English only (printable ASCII), got '상'",
            ),
            (
                "/notifyUrl",
                json!("notify"),
                "notifyUrl: must be an absolute http or https URL (not a valid absolute URL)",
            ),
        ];
        for (pointer, value, message) in cases {
            let mut body = seed_example();
            *body.pointer_mut(pointer).unwrap() = value;
            assert_eq!(parse(body).unwrap_err().to_string(), message, "{pointer}");
        }
    }

    #[test]
    fn a_status_answer_reads_its_amount_as_number_or_string_under_either_name() {
        for amount_info in [
            json!({"currency": "KR", "totAmount": 1000}),
            json!({"currency": "KR", "totAmount": "1000"}),
            json!({"currency": "KR", "amount": "1000"}),
            json!({"amount": 1000}),
        ] {
            let answer: FindWechatResponse = serde_json::from_value(json!({
                "resCd": "0000", "resMsg": "Success", "mallId": "T5102001",
                "shopOrderNo": "ORDER-1", "pgCno": "1", "approvalDate": "20260312120000",
                "statusCd": "TS01", "amountInfo": amount_info
            }))
            .unwrap();
            let info = answer.amount_info.unwrap();
            assert_eq!(info.tot_amount, 1000, "{amount_info}");
            // The echo of the request is not in KICC's example: absent reads as empty.
            assert_eq!(answer.shop_transaction_id, "");
            assert_eq!(
                serde_json::to_value(&info).unwrap()["totAmount"],
                json!(1000)
            );
        }
        for bad in [json!("12a"), json!(-1)] {
            let answer = serde_json::from_value::<FindWechatResponse>(json!({
                "resCd": "0000", "amountInfo": {"currency": "KR", "totAmount": bad}
            }));
            assert!(answer.is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_customer_info_is_dropped() {
        let mut body = seed_example();
        body["customerInfo"] = json!({"customerId": ""});
        assert_eq!(parse(body).unwrap().customer_info, None);
    }
}
