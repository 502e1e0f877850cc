//! Answers and bodies the gateway defines itself (the sandbox control plane, the notification API,
//! health), typed so that the handlers serialise exactly what the OpenAPI document describes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The envelope of every answer that is not the operation's own success shape: validation errors,
/// business refusals, unknown paths, internal faults. Identifiers the request carried are echoed
/// when they were readable.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ErrorAnswer")]
pub struct ErrorAnswer {
    pub res_cd: String,
    /// `field.path: rule`, e.g. `goodsName: at most 100 bytes (got 131)`.
    pub res_msg: String,
    pub shop_transaction_id: Option<String>,
    pub mall_id: Option<String>,
    pub shop_order_no: Option<String>,
    pub pg_cno: Option<String>,
    /// The charge a refused card cancel named (`/api/trades/revise`, where answers call it so).
    pub ori_pg_cno: Option<String>,
}

/// `POST /_sandbox/wechat/{pgCno}/approve`: optional body.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "SandboxApproveRequest")]
pub struct SandboxApproveRequest {
    /// Approve this amount instead of the order's (to test the merchant's amount check).
    pub amount: Option<easypay_api::values::Amount>,
}

/// The answer of a sandbox wallet action.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SandboxActionAnswer")]
pub struct SandboxActionAnswer {
    pub res_cd: String,
    pub res_msg: String,
    pub pg_cno: String,
    /// The order's state after the action: pending, approved, declined, cancelled_by_customer,
    /// expired, voided, partially_cancelled, cancelled.
    pub state: String,
    /// What the wallet approved, once approved.
    pub approved_amount: Option<u64>,
}

/// `PUT /_sandbox/merchants/{mallId}`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SandboxMerchantRequest")]
pub struct SandboxMerchantRequest {
    /// Required for a new merchant; absent: kept.
    #[schemars(length(max = 200))]
    pub secret_key: Option<easypay_api::values::Text>,
    /// Where this merchant's card notifications go; absent: kept; `null` or `""`: removed.
    #[schemars(length(max = 256))]
    pub noti_url: Option<easypay_api::values::HttpUrl>,
    /// `whsec_` + base64; absent: kept (or generated for a new merchant).
    #[schemars(regex(pattern = r"^whsec_[A-Za-z0-9+/=]+$"))]
    pub webhook_secret: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SandboxMerchantAnswer")]
pub struct SandboxMerchantAnswer {
    pub res_cd: String,
    pub res_msg: String,
    pub mall_id: String,
    pub noti_url: Option<String>,
    pub webhook_secret: String,
}

/// `POST /_sandbox/notifications/flush`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "FlushAnswer")]
pub struct FlushAnswer {
    pub res_cd: String,
    pub res_msg: String,
    /// Notifications the merchant acknowledged in this flush.
    pub delivered: usize,
    /// Notifications whose attempt failed in this flush.
    pub failed: usize,
}

/// One notification as the notification API shows it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Notification")]
pub struct NotificationView {
    /// `msg_…`, also the `webhook-id` header of every attempt.
    pub id: String,
    /// wechat.approval, wechat.cancel, card.approval, card.cancel.
    pub kind: String,
    pub pg_cno: String,
    pub target_url: String,
    /// pending, delivered, failed or withdrawn (its payment voided before it was delivered).
    pub status: String,
    pub attempt_count: i64,
    /// RFC 3339.
    pub created_at: String,
    /// When pending: the next attempt (RFC 3339).
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    /// KICC's notification body, byte for byte as sent (and signed).
    pub body: Box<serde_json::value::RawValue>,
    /// Every attempt, oldest first (only in `GET /api/notifications/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<AttemptView>>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NotificationAttempt")]
pub struct AttemptView {
    pub attempt: i64,
    /// Where this attempt went (a card notification follows the merchant's notiUrl as it is at
    /// each attempt); absent for attempts recorded before the gateway kept it.
    pub target_url: Option<String>,
    pub started_at: String,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    /// acknowledged, http_status, not_json, not_acknowledged, timeout, connection_refused,
    /// connection_error, target_refused.
    pub outcome: String,
    /// The first 1 KiB of the merchant's answer.
    pub response_excerpt: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NotificationListAnswer")]
pub struct NotificationListAnswer {
    pub res_cd: String,
    pub res_msg: String,
    pub notifications: Vec<NotificationView>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NotificationAnswer")]
pub struct NotificationAnswer {
    pub res_cd: String,
    pub res_msg: String,
    pub notification: NotificationView,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ResendAnswer")]
pub struct ResendAnswer {
    pub res_cd: String,
    pub res_msg: String,
    pub id: String,
    /// `pending`: the worker sends it now.
    pub status: String,
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Health")]
pub struct Health {
    /// `ok` (healthz), `ready`, `unavailable` or `stopping` (readyz).
    pub status: String,
    /// readyz: `ok`, or why the database did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// readyz: `ok`, or `rotated` when the database's card key was rotated
    /// (`easypay card-key rotate`) and this process still holds the old one: restart it with
    /// the new key.
    #[serde(default, rename = "cardKey", skip_serializing_if = "Option::is_none")]
    pub card_key: Option<String>,
}
