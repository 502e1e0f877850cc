//! Notifications the gateway POSTs to merchants, and the acknowledgement it expects back.
//!
//! The same types read KICC's own notifications, leniently (kicc-api §1.2, §1.8): only `resCd`
//! (and a WeChat notification's `amountInfo.amount`) is required, any other field may be absent
//! (empty), amounts may be JSON numbers or digit strings, and unknown fields are ignored. What the
//! gateway writes is unchanged.

use serde::{Deserialize, Serialize};

use crate::codes::ResCode;

/// `amountInfo` of a WeChat notification (kicc-api §2.2, §2.5): the approved amount in an approval,
/// the amount this cancel took back in a cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationAmountInfo {
    /// `currency`: the order's currency, `KRW` or `USD`.
    #[serde(default)]
    pub currency: String,
    /// `amount`: in the currency's minor unit (won, USD cents): in an approval what the wallet
    /// approved, in a cancel what this cancel took back.
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub amount: u64,
}

/// WeChat Pay approval notification, POSTed to the order's `notifyUrl` (kicc-api §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WechatApprovalNotification {
    /// `resCd`: `0000`: the payment is approved.
    pub res_cd: String,
    /// `resMsg`: `Success`.
    #[serde(default)]
    pub res_msg: String,
    /// `mallId`: the merchant.
    #[serde(default)]
    pub mall_id: String,
    /// `shopOrderNo`: the order's number.
    #[serde(default)]
    pub shop_order_no: String,
    /// `pgCno`: the payment's transaction number (20 digits): update your records by it.
    #[serde(default)]
    pub pg_cno: String,
    /// `approvalDate`: when the wallet approved, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub approval_date: String,
    /// `amountInfo`: the approved amount. If it is not the order's, cancel the payment (KICC's
    /// integrity rule).
    pub amount_info: NotificationAmountInfo,
}

/// Card approval notification (`notiType` `10`), POSTed to the URL registered for the merchant
/// (kicc-api §1.6): KICC's flat body, every value a string, with the fields a card charge has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CardApprovalNotification {
    /// `resCd`: `0000`, the charge's answer code.
    pub res_cd: String,
    /// `resMsg`: the charge's answer message.
    #[serde(default)]
    pub res_msg: String,
    /// `mallId`: the merchant.
    #[serde(default)]
    pub mall_id: String,
    /// `notiType`: `10`, an approval.
    #[serde(default)]
    pub noti_type: String,
    /// `pgCno`: the charge's transaction number (20 digits): update your records by it.
    #[serde(default)]
    pub pg_cno: String,
    /// `shopOrderNo`: the charge's order number.
    #[serde(default)]
    pub shop_order_no: String,
    /// `amount`: won charged (a digit string; a JSON number is read too).
    #[serde(default, deserialize_with = "crate::lenient::number_text")]
    pub amount: String,
    /// `approvalNo`: the card company's approval number.
    #[serde(default)]
    pub approval_no: String,
    /// `transactionDate`: when the charge was approved, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub transaction_date: String,
    /// `cardNo`: the masked card number, as in `cardMaskNo`.
    #[serde(default)]
    pub card_no: String,
    /// `issuerCode`: the issuer's KICC code, 3 characters, e.g. `029`.
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
    /// `installmentMonth`: months of installments as two digits; `00` is a lump sum.
    #[serde(default, deserialize_with = "crate::lenient::number_text")]
    pub installment_month: String,
    /// `freeInstallmentTypeCode`: `00` normal, `02` interest-free paid by the merchant, `03` by
    /// the issuer.
    #[serde(default)]
    pub free_installment_type_code: String,
    /// `statusCode`: `TS03` (purchase requested) right after the approval.
    #[serde(default)]
    pub status_code: String,
    /// `statusMessage`: what `statusCode` means, in Korean (`매입요청`).
    #[serde(default)]
    pub status_message: String,
    /// `payMethodTypeCode`: `11`, a card.
    #[serde(default)]
    pub pay_method_type_code: String,
    /// `partCancelUsed`: `Y` when the charge can be cancelled in part.
    #[serde(default)]
    pub part_cancel_used: String,
    /// `cardGubun`: `N` credit, `Y` check, `G` gift card.
    #[serde(default)]
    pub card_gubun: String,
    /// `cardBizGubun`: `P` personal, `C` corporate, `N` other.
    #[serde(default)]
    pub card_biz_gubun: String,
    /// `cardMaskNo`: the masked card number, first 6 and last 2 digits, e.g. `546465********41`.
    #[serde(default)]
    pub card_mask_no: String,
    /// `subCardCd`: BC cards' affiliate code; empty for other issuers.
    #[serde(default)]
    pub sub_card_cd: String,
    /// `cardnoHash`: the same card number gives the same value (44 characters, base64), so one
    /// card behind several billing keys can be told; the number cannot be read back from it.
    #[serde(default)]
    pub cardno_hash: String,
    /// `vanTid`: the VAN terminal; empty in the sandbox, whose issuer has none.
    #[serde(default)]
    pub van_tid: String,
    /// `vanSno`: the VAN's transaction number.
    #[serde(default)]
    pub van_sno: String,
    /// `customerId`: from the charge's `customerInfo`; empty when it had none.
    #[serde(default)]
    pub customer_id: String,
    /// `customerName`: from the charge's `customerInfo`; empty when it had none.
    #[serde(default)]
    pub customer_name: String,
    /// `escrowUsed`: `N`, no escrow.
    #[serde(default)]
    pub escrow_used: String,
    /// `complexUsed`: `N`, one means of payment (no card and points together).
    #[serde(default)]
    pub complex_used: String,
    /// `basketUsed`: `N`, no basket of several sellers' products.
    #[serde(default)]
    pub basket_used: String,
}

/// Card cancel notification (`notiType` `20`), POSTed to the merchant's registered URL
/// (kicc-api §1.6, §3.8): the original charge, this cancel, and what remains, every value a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CardCancelNotification {
    /// `resCd`: `0000`, the cancel's answer code.
    pub res_cd: String,
    /// `resMsg`: the cancel's answer message.
    #[serde(default)]
    pub res_msg: String,
    /// `mallId`: the merchant.
    #[serde(default)]
    pub mall_id: String,
    /// `notiType`: `20`, a cancel.
    #[serde(default)]
    pub noti_type: String,
    /// `pgCno`: the cancelled charge's transaction number: update your records by it.
    #[serde(default)]
    pub pg_cno: String,
    /// `shopOrderNo`: the charge's order number.
    #[serde(default)]
    pub shop_order_no: String,
    /// `amount`: won of the original charge (a digit string; a JSON number is read too).
    #[serde(default, deserialize_with = "crate::lenient::number_text")]
    pub amount: String,
    /// `approvalNo`: the cancel's own approval number.
    #[serde(default)]
    pub approval_no: String,
    /// `transactionDate`: when the cancel was made, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub transaction_date: String,
    /// `cancelPgCno`: the cancel's own transaction number (20 digits).
    #[serde(default)]
    pub cancel_pg_cno: String,
    /// `cancelAmount`: won this cancel took back.
    #[serde(default, deserialize_with = "crate::lenient::number_text")]
    pub cancel_amount: String,
    /// `cancelDate`: when the cancel was made, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub cancel_date: String,
    /// `cancelRemainAmount`: won of the charge that remain after this cancel.
    #[serde(default, deserialize_with = "crate::lenient::number_text")]
    pub cancel_remain_amount: String,
    /// `statusCode`: `TS06` while part of the charge remains, `TS02` when nothing does.
    #[serde(default)]
    pub status_code: String,
    /// `statusMessage`: what `statusCode` means, in Korean (`부분매입취소`, `승인취소`).
    #[serde(default)]
    pub status_message: String,
    /// `payMethodTypeCode`: `11`, a card.
    #[serde(default)]
    pub pay_method_type_code: String,
    /// `cardNo`: the masked card number, as in `cardMaskNo`.
    #[serde(default)]
    pub card_no: String,
    /// `cardMaskNo`: the masked card number, first 6 and last 2 digits, e.g. `546465********41`.
    #[serde(default)]
    pub card_mask_no: String,
    /// `customerId`: from the charge's `customerInfo`; empty when it had none.
    #[serde(default)]
    pub customer_id: String,
    /// `customerName`: from the charge's `customerInfo`; empty when it had none.
    #[serde(default)]
    pub customer_name: String,
}

/// WeChat Pay cancel notification, POSTed to the cancel's `notifyUrl` or else the order's
/// (kicc-api §2.5). `amountInfo.amount` is the amount this cancel took back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WechatCancelNotification {
    /// `resCd`: `0000`: the cancel is done.
    pub res_cd: String,
    /// `resMsg`: `Success`.
    #[serde(default)]
    pub res_msg: String,
    /// `mallId`: the merchant.
    #[serde(default)]
    pub mall_id: String,
    /// `shopOrderNo`: the payment's order number.
    #[serde(default)]
    pub shop_order_no: String,
    /// `pgCno`: the cancelled payment's transaction number: update your records by it.
    #[serde(default)]
    pub pg_cno: String,
    /// `cancelPgCno`: the cancel's own transaction number, as its answer gave it.
    #[serde(default)]
    pub cancel_pg_cno: String,
    /// `cancelDate`: when the cancel was made, `yyyyMMddHHmmss` Seoul time.
    #[serde(default)]
    pub cancel_date: String,
    /// `amountInfo`: what this cancel took back, in the payment's currency.
    pub amount_info: NotificationAmountInfo,
}

/// What a merchant answers to a notification: `{"resCd": "0000", …}` means processed; anything
/// else (including KICC's `5001`, "resend") asks for another try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationAck {
    /// `resCd`: `0000` when the merchant processed the notification; anything else (KICC's
    /// `5001`: resend) asks for another try.
    pub res_cd: String,
    /// `resMsg`: any words, or none; not checked.
    #[serde(default)]
    pub res_msg: String,
}

impl NotificationAck {
    /// The acknowledgement of a processed notification: `resCd` `0000`, `resMsg` `Success`.
    pub fn processed() -> Self {
        NotificationAck {
            res_cd: ResCode::Success.as_str().into(),
            res_msg: "Success".into(),
        }
    }

    /// Whether `resCd` is `0000`: with HTTP 2xx within the timeout, the notification is delivered.
    pub fn is_processed(&self) -> bool {
        self.res_cd == ResCode::Success.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A card approval as KICC's table describes it (kicc-api §1.6): flat, every value a string,
    /// only documented fields, several of this type's absent and some it does not know.
    fn documented_card_approval() -> Value {
        json!({
            "resCd": "0000",
            "resMsg": "정상",
            "mallId": "T5102001",
            "notiType": "10",
            "pgCno": "26031212000012345678",
            "shopOrderNo": "CHARGE-1",
            "amount": "9900",
            "approvalNo": "12345678",
            "transactionDate": "20260312120000",
            "cardNo": "41918700****383*",
            "issuerCode": "029",
            "issuerName": "신한",
            "acquirerCode": "029",
            "acquirerName": "신한",
            "installmentMonth": "00",
            "freeInstallmentTypeCode": "00",
            "statusCode": "TS03",
            "statusMessage": "매입요청",
            "payMethodTypeCode": "11",
            "partCancelUsed": "Y",
            "cardGubun": "N",
            "cardBizGubun": "P",
            "cardnoHash": "h".repeat(44),
            "vanTid": "1234567890",
            "shopValue1": "",
            "escrowUsed": "N",
            "complexUsed": "N",
            "basketUsed": "N"
        })
    }

    #[test]
    fn a_documented_card_approval_reads() {
        let notification: CardApprovalNotification =
            serde_json::from_value(documented_card_approval()).unwrap();
        assert_eq!(notification.amount, "9900");
        assert_eq!(notification.installment_month, "00");
        assert_eq!(notification.card_no, "41918700****383*");
        // Absent from the body: subCardCd, cardMaskNo, vanSno, customerId, customerName.
        assert_eq!(notification.card_mask_no, "");
        assert_eq!(notification.customer_name, "");
    }

    #[test]
    fn card_amounts_may_be_numbers_and_are_written_as_strings() {
        let mut body = documented_card_approval();
        body["amount"] = json!(9900);
        body["installmentMonth"] = json!(0);
        let notification: CardApprovalNotification = serde_json::from_value(body).unwrap();
        assert_eq!(
            (
                notification.amount.as_str(),
                notification.installment_month.as_str()
            ),
            ("9900", "0")
        );
        let written = serde_json::to_value(&notification).unwrap();
        assert_eq!(written["amount"], json!("9900"));
        for bad in [json!(-1), json!(9.5), json!(true)] {
            let mut body = documented_card_approval();
            body["amount"] = bad.clone();
            assert!(
                serde_json::from_value::<CardApprovalNotification>(body).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_card_cancel_with_only_some_fields_reads() {
        let notification: CardCancelNotification = serde_json::from_value(json!({
            "resCd": "0000", "resMsg": "정상", "mallId": "T5102001", "notiType": "20",
            "pgCno": "26031212000012345678", "shopOrderNo": "CHARGE-1", "amount": "9900",
            "cancelPgCno": "26031213000012345679", "cancelAmount": 300, "cancelDate": "20260312130000",
            "cancelRemainAmount": "9600", "statusCode": "TS06", "payMethodTypeCode": "11"
        }))
        .unwrap();
        assert_eq!(notification.cancel_amount, "300");
        assert_eq!(notification.cancel_remain_amount, "9600");
        assert_eq!(notification.card_mask_no, "");
    }

    #[test]
    fn wechat_amounts_read_from_numbers_or_digit_strings_only() {
        let body = |amount: Value| {
            json!({
                "resCd": "0000", "resMsg": "Success", "mallId": "T5102001",
                "shopOrderNo": "ORDER-1", "pgCno": "26031212000012345678",
                "approvalDate": "20260312120000",
                "amountInfo": {"currency": "KRW", "amount": amount}
            })
        };
        for amount in [json!(1000), json!("1000")] {
            let approval: WechatApprovalNotification =
                serde_json::from_value(body(amount)).unwrap();
            assert_eq!(approval.amount_info.amount, 1000);
            assert_eq!(
                serde_json::to_value(&approval).unwrap()["amountInfo"]["amount"],
                json!(1000)
            );
        }
        for bad in [json!("12a"), json!(-1), json!(""), Value::Null] {
            let error = serde_json::from_value::<WechatApprovalNotification>(body(bad.clone()))
                .unwrap_err()
                .to_string();
            assert!(error.contains("a non-negative integer"), "{bad}: {error}");
        }
        let mut without = body(json!(1000));
        without["amountInfo"]
            .as_object_mut()
            .unwrap()
            .remove("amount");
        assert!(serde_json::from_value::<WechatApprovalNotification>(without).is_err());
        let cancel: WechatCancelNotification = serde_json::from_value(json!({
            "resCd": "0000", "pgCno": "1", "cancelPgCno": "2",
            "amountInfo": {"currency": "KR", "amount": "300"}
        }))
        .unwrap();
        assert_eq!(
            (cancel.amount_info.amount, cancel.cancel_date.as_str()),
            (300, "")
        );
    }
}
