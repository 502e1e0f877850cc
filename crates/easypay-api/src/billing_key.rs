//! Billing keys: issuance from a registration's `authorizationId`
//! (`POST /api/ep9/trades/approval`, kicc-api §3.3) and removal (`POST /api/trades/removeBatchKey`,
//! §3.5).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::reader::ObjectReader;
use crate::rules::FieldError;
use crate::values::{free_text, MallId, RequestDate, ShopOrderNo, ShopTransactionId};

/// The `authorizationId` the registration window posted to `returnUrl` (60 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuthorizationId(String);

impl AuthorizationId {
    /// A request's `authorizationId`: free text (`V005`, `V006`) of at most 60 bytes (`V004`).
    /// Whether a completed registration has it (`B001`…`B003`) is checked later.
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        free_text(path, raw, 60).map(AuthorizationId)
    }

    /// The value as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A billing key (`batchKey`) as a merchant sends it: the gateway issues at most 20 characters
/// and accepts up to 60 (decision 6).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BatchKey(String);

impl BatchKey {
    /// A request's `batchKey`: free text (`V005`, `V006`) of at most 60 bytes (`V004`). Whether
    /// the merchant has that key (`B005`) and it is not removed (`B006`) is checked later.
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        free_text(path, raw, 60).map(BatchKey)
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "schema")]
crate::values::schema_of!(AuthorizationId, {
    "type": "string", "maxLength": 60, "pattern": crate::values::FREE_TEXT_PATTERN,
    "description": "The authorizationId the registration window posted to returnUrl (32 hex characters; up to 60 bytes accepted); single-use, valid 30 minutes (B001-B003).",
    "examples": ["0123456789abcdef0123456789abcdef"]
});
#[cfg(feature = "schema")]
crate::values::schema_of!(BatchKey, {
    "type": "string", "maxLength": 60, "pattern": crate::values::FREE_TEXT_PATTERN,
    "description": "A billing key (20 characters from an 85-symbol alphabet; up to 60 bytes accepted). Unknown: B005; removed: B006.",
    "examples": ["Ab3#x9Kq(2)*mZ@1p~Q_"]
});

/// A parsed billing-key issuance request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct IssueKeyRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this request's idempotency key; at most 60 bytes, required. A retry
    /// with the same key replays the first answer, billing key included.
    pub shop_transaction_id: ShopTransactionId,
    /// `authorizationId`: what the window posted to `returnUrl`; at most 60 bytes, required.
    /// Single-use (`B002`), valid 30 minutes after the card was registered (`B003`); unknown:
    /// `B001`.
    pub authorization_id: AuthorizationId,
    /// `shopOrderNo`: the registration's order number (`B004` otherwise); at most 40 bytes,
    /// required.
    pub shop_order_no: ShopOrderNo,
    /// `approvalReqDate`: today in Seoul, `yyyyMMdd` (`V014`; another day is `V015`, yesterday's
    /// accepted until 00:10), required.
    pub approval_req_date: RequestDate,
}

impl IssueKeyRequest {
    /// Fields in KICC's order; `approvalReqDate` must be today in Seoul at `now` (decision 5).
    pub fn parse(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let authorization_id = root.required("authorizationId", AuthorizationId::parse)?;
        let shop_order_no = root.required("shopOrderNo", ShopOrderNo::parse)?;
        let approval_req_date =
            root.required("approvalReqDate", |p, r| RequestDate::parse(p, r, now))?;
        Ok(IssueKeyRequest {
            mall_id,
            shop_transaction_id,
            authorization_id,
            shop_order_no,
            approval_req_date,
        })
    }
}

// Read leniently (kicc-api §1.2, §1.8, §3.3): `cardNo`, the billing key, is required; every other
// text may be absent (empty), and `installmentMonth` may be a number or a digit string (absent: 0).
/// `paymentInfo.cardInfo` of an issuance: `cardNo` is the billing key, which its `Debug` leaves
/// out (it charges the card with no other secret: no log line should hold it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct IssuedCardInfo {
    /// `cardNo`: **the billing key** (`batchKey` of later charges): at most 20 characters. Store
    /// it; it is not a card number.
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
    /// `installmentMonth`: 0, as an issuance charges nothing.
    #[serde(default, deserialize_with = "crate::lenient::u32")]
    pub installment_month: u32,
    /// `cardGubun`: `N` credit, `Y` check, `G` gift card.
    #[serde(default)]
    pub card_gubun: String,
    /// `cardBizGubun`: `P` personal, `C` corporate, `N` other.
    #[serde(default)]
    pub card_biz_gubun: String,
    /// `partCancelUsed`: `Y` when charges on this card can be cancelled in part.
    #[serde(default)]
    pub part_cancel_used: String,
    /// `subCardCd`: BC cards' affiliate code; empty for other issuers.
    #[serde(default)]
    pub sub_card_cd: String,
    /// `cardMaskNo`: the masked card number to show the customer, e.g. `546465********41`.
    #[serde(default)]
    pub card_mask_no: String,
}

impl std::fmt::Debug for IssuedCardInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCardInfo")
            .field("card_no", &"<billing key>")
            .field("issuer_code", &self.issuer_code)
            .field("issuer_name", &self.issuer_name)
            .field("acquirer_code", &self.acquirer_code)
            .field("acquirer_name", &self.acquirer_name)
            .field("installment_month", &self.installment_month)
            .field("card_gubun", &self.card_gubun)
            .field("card_biz_gubun", &self.card_biz_gubun)
            .field("part_cancel_used", &self.part_cancel_used)
            .field("sub_card_cd", &self.sub_card_cd)
            .field("card_mask_no", &self.card_mask_no)
            .finish()
    }
}

// Read leniently: its texts may be absent (empty).
/// `paymentInfo` of an issuance: the approval, the card and its billing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct IssuedPaymentInfo {
    /// `payMethodTypeCode`: `11`, a card (`81` is the window's code only).
    #[serde(default)]
    pub pay_method_type_code: String,
    /// `approvalNo`: the approval number of the issuance.
    #[serde(default)]
    pub approval_no: String,
    /// `approvalDate`: the approval's time, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub approval_date: String,
    /// `cardInfo`: the card and its billing key.
    pub card_info: IssuedCardInfo,
}

// Read leniently (kicc-api §1.2, §1.8): only `resCd` is required (an absent echo reads as empty),
// `amount` may be a number or a digit string, and unknown fields are ignored.
/// Answer of billing-key issuance. A refusal carries the echoes and no transaction fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct IssueKeyResponse {
    /// `resCd`: `0000` when the key was issued; otherwise why not (e.g. `B002` authorization used).
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words.
    #[serde(default)]
    pub res_msg: String,
    /// `mallId`: the merchant, echoed.
    #[serde(default)]
    pub mall_id: String,
    /// `shopTransactionId`: the request's key, echoed.
    #[serde(default)]
    pub shop_transaction_id: String,
    /// `shopOrderNo`: the registration's order number, echoed.
    #[serde(default)]
    pub shop_order_no: String,
    /// `pgCno`: KICC's transaction number of the issuance (20 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_cno: Option<String>,
    /// `amount`: 0, as an issuance charges nothing.
    #[serde(
        default,
        deserialize_with = "crate::lenient::option_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<u64>,
    /// `transactionDate`: the transaction's time, `yyyyMMddHHmmss` Seoul time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_date: Option<String>,
    /// `msgAuthValue`: HMAC-SHA256 of `pgCno|amount|transactionDate` with the secret key; absent
    /// from `retrieveTransaction` answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_auth_value: Option<String>,
    /// `escrowUsed`: `N`, no escrow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_used: Option<String>,
    /// `paymentInfo`: the approval, the card and the billing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_info: Option<IssuedPaymentInfo>,
}

/// A parsed `removeBatchKey` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RemoveKeyRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: this request's idempotency key; at most 60 bytes, required.
    pub shop_transaction_id: ShopTransactionId,
    /// `batchKey`: the billing key to remove (the issuance's `cardNo`); at most 60 bytes,
    /// required. Unknown: `B005`; already removed: `B006`.
    pub batch_key: BatchKey,
    /// `removeReqDate`: today in Seoul, `yyyyMMdd` (`V014`; another day is `V015`, yesterday's
    /// accepted until 00:10), required.
    pub remove_req_date: RequestDate,
}

impl RemoveKeyRequest {
    /// Fields in KICC's order; `removeReqDate` must be today in Seoul at `now`. The first broken
    /// rule is reported.
    pub fn parse(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let batch_key = root.required("batchKey", BatchKey::parse)?;
        let remove_req_date =
            root.required("removeReqDate", |p, r| RequestDate::parse(p, r, now))?;
        Ok(RemoveKeyRequest {
            mall_id,
            shop_transaction_id,
            batch_key,
            remove_req_date,
        })
    }
}

// Read leniently: only `resCd` is required.
/// Answer of `removeBatchKey`: the echoes only (no `msgAuthValue`, kicc-api §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RemoveKeyResponse {
    /// `resCd`: `0000` when the key was removed; `B005` unknown key, `B006` already removed, or
    /// a refusal of the request.
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
    /// `removeReqDate`: the request's date, echoed (`yyyyMMdd`).
    #[serde(default)]
    pub remove_req_date: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seoul_time;
    use serde_json::json;

    #[test]
    fn issuance_needs_todays_request_date() {
        let now = Utc::now();
        let mut body = json!({
            "mallId": "T5102001",
            "shopTransactionId": "key-1",
            "authorizationId": "a".repeat(60),
            "shopOrderNo": "REG-1",
            "approvalReqDate": seoul_time::date(now),
        });
        assert!(IssueKeyRequest::parse(body.as_object().unwrap(), now).is_ok());
        body["authorizationId"] = json!("a".repeat(61));
        assert_eq!(
            IssueKeyRequest::parse(body.as_object().unwrap(), now)
                .unwrap_err()
                .to_string(),
            "authorizationId: at most 60 bytes (got 61)"
        );
        body["authorizationId"] = json!("a");
        body["approvalReqDate"] = json!("2020-01-01");
        assert_eq!(
            IssueKeyRequest::parse(body.as_object().unwrap(), now)
                .unwrap_err()
                .to_string(),
            "approvalReqDate: must be a date as yyyyMMdd"
        );
    }

    /// KICC's documented issuance answer (kicc-api §3.3), the amount as a string.
    fn documented_issuance() -> Value {
        json!({
            "resCd": "0000", "resMsg": "정상", "mallId": "T5102001",
            "shopTransactionId": "key-1", "shopOrderNo": "REG-1",
            "pgCno": "26031212000012345678", "amount": "0",
            "transactionDate": "20260312120000", "msgAuthValue": "ab".repeat(32),
            "escrowUsed": "N",
            "paymentInfo": {
                "payMethodTypeCode": "11", "approvalNo": "12345678",
                "approvalDate": "20260312120000",
                "cardInfo": {
                    "cardNo": "T00019972103BA260900", "issuerCode": "026", "issuerName": "BC",
                    "acquirerCode": "026", "acquirerName": "BC", "installmentMonth": "0",
                    "cardGubun": "N", "cardBizGubun": "P", "partCancelUsed": "Y",
                    "subCardCd": "", "cardMaskNo": "54646500******01"
                }
            }
        })
    }

    #[test]
    fn the_documented_issuance_reads_and_the_key_is_required() {
        let answer: IssueKeyResponse = serde_json::from_value(documented_issuance()).unwrap();
        assert_eq!(answer.amount, Some(0));
        // The key charges the card: no Debug output (a log line) holds it.
        assert!(!format!("{answer:?}").contains("T00019972103BA260900"));
        let card = answer.payment_info.unwrap().card_info;
        assert_eq!(card.card_no, "T00019972103BA260900");
        // Only the key matters in cardInfo: anything else may be missing.
        let mut sparse = documented_issuance();
        sparse["paymentInfo"] = json!({"cardInfo": {"cardNo": "key"}});
        let answer: IssueKeyResponse = serde_json::from_value(sparse).unwrap();
        assert_eq!(answer.payment_info.unwrap().card_info.installment_month, 0);
        let mut keyless = documented_issuance();
        keyless["paymentInfo"]["cardInfo"]
            .as_object_mut()
            .unwrap()
            .remove("cardNo");
        let error = serde_json::from_value::<IssueKeyResponse>(keyless)
            .unwrap_err()
            .to_string();
        assert_eq!(error, "missing field `cardNo`");
        for bad in [json!("12a"), json!(-1)] {
            let mut body = documented_issuance();
            body["amount"] = bad.clone();
            assert!(
                serde_json::from_value::<IssueKeyResponse>(body).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn removal_accepts_keys_up_to_sixty_bytes() {
        let now = Utc::now();
        let mut body = json!({
            "mallId": "T5102001",
            "shopTransactionId": "key-1",
            "batchKey": "k".repeat(60),
            "removeReqDate": seoul_time::date(now),
        });
        assert!(RemoveKeyRequest::parse(body.as_object().unwrap(), now).is_ok());
        body["batchKey"] = json!("k".repeat(61));
        assert!(RemoveKeyRequest::parse(body.as_object().unwrap(), now).is_err());
    }
}
