//! Notifications the gateway POSTs to merchants, and the acknowledgement it expects back.

use serde::{Deserialize, Serialize};

use crate::codes::ResCode;

/// `amountInfo` of a WeChat notification (kicc-api §2.2): the approved amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationAmountInfo {
    pub currency: String,
    pub amount: u64,
}

/// WeChat Pay approval notification, POSTed to the order's `notifyUrl` (kicc-api §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WechatApprovalNotification {
    pub res_cd: String,
    pub res_msg: String,
    pub mall_id: String,
    pub shop_order_no: String,
    pub pg_cno: String,
    pub approval_date: String,
    pub amount_info: NotificationAmountInfo,
}

/// Card approval notification (`notiType` `10`), POSTed to the URL registered for the merchant
/// (kicc-api §1.6): KICC's flat body, every value a string, with the fields a card charge has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CardApprovalNotification {
    pub res_cd: String,
    pub res_msg: String,
    pub mall_id: String,
    pub noti_type: String,
    pub pg_cno: String,
    pub shop_order_no: String,
    pub amount: String,
    pub approval_no: String,
    pub transaction_date: String,
    /// The masked card number, as in `cardMaskNo`.
    pub card_no: String,
    pub issuer_code: String,
    pub issuer_name: String,
    pub acquirer_code: String,
    pub acquirer_name: String,
    pub installment_month: String,
    pub free_installment_type_code: String,
    pub status_code: String,
    pub status_message: String,
    pub pay_method_type_code: String,
    pub part_cancel_used: String,
    pub card_gubun: String,
    pub card_biz_gubun: String,
    pub card_mask_no: String,
    pub sub_card_cd: String,
    pub van_sno: String,
    pub customer_id: String,
    pub customer_name: String,
    pub escrow_used: String,
}

/// Card cancel notification (`notiType` `20`), POSTed to the merchant's registered URL
/// (kicc-api §1.6, §3.8): the original charge, this cancel, and what remains, every value a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CardCancelNotification {
    pub res_cd: String,
    pub res_msg: String,
    pub mall_id: String,
    pub noti_type: String,
    pub pg_cno: String,
    pub shop_order_no: String,
    pub amount: String,
    pub approval_no: String,
    pub transaction_date: String,
    pub cancel_pg_cno: String,
    pub cancel_amount: String,
    pub cancel_date: String,
    pub cancel_remain_amount: String,
    pub status_code: String,
    pub status_message: String,
    pub pay_method_type_code: String,
    /// The masked card number, as in `cardMaskNo`.
    pub card_no: String,
    pub card_mask_no: String,
    pub customer_id: String,
    pub customer_name: String,
}

/// WeChat Pay cancel notification, POSTed to the cancel's `notifyUrl` or else the order's
/// (kicc-api §2.5). `amountInfo.amount` is the amount this cancel took back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WechatCancelNotification {
    pub res_cd: String,
    pub res_msg: String,
    pub mall_id: String,
    pub shop_order_no: String,
    pub pg_cno: String,
    pub cancel_pg_cno: String,
    pub cancel_date: String,
    pub amount_info: NotificationAmountInfo,
}

/// What a merchant answers to a notification: `{"resCd": "0000", …}` means processed; anything
/// else (including KICC's `5001`, "resend") asks for another try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationAck {
    pub res_cd: String,
    #[serde(default)]
    pub res_msg: String,
}

impl NotificationAck {
    pub fn processed() -> Self {
        NotificationAck {
            res_cd: ResCode::Success.as_str().into(),
            res_msg: "Success".into(),
        }
    }

    pub fn is_processed(&self) -> bool {
        self.res_cd == ResCode::Success.as_str()
    }
}
