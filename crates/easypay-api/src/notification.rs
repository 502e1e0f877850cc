//! Notifications the gateway POSTs to merchants, and the acknowledgement it expects back.

use serde::{Deserialize, Serialize};

use crate::codes::ResCode;

/// `amountInfo` of a WeChat notification (kicc-api §2.2): the approved amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationAmountInfo {
    pub currency: String,
    pub amount: u64,
}

/// WeChat Pay approval notification, POSTed to the order's `notifyUrl` (kicc-api §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What a merchant answers to a notification: `{"resCd": "0000", …}` means processed; anything
/// else (including KICC's `5001`, "resend") asks for another try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationAck {
    pub res_cd: String,
    #[serde(default)]
    pub res_msg: String,
}

impl NotificationAck {
    pub fn processed() -> Self {
        NotificationAck { res_cd: ResCode::Success.as_str().into(), res_msg: "Success".into() }
    }

    pub fn is_processed(&self) -> bool {
        self.res_cd == ResCode::Success.as_str()
    }
}
