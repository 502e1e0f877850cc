//! Request bodies, byte for byte what the tool sends (kept so a retry resends the same bytes).

use easypay_gateway::sandbox::{SANDBOX_MALL_ID, SANDBOX_SECRET_KEY};
use serde_json::json;

pub const MALL_ID: &str = SANDBOX_MALL_ID;
pub const SECRET_KEY: &str = SANDBOX_SECRET_KEY;

pub const CREATE_PATH: &str = "/api/trades/wechatpay";
pub const FIND_PATH: &str = "/api/trades/wechatpay/find";
pub const CANCEL_PATH: &str = "/api/trades/wechatpay/revise";
pub const CHARGE_PATH: &str = "/api/trades/approval/batch";
pub const ECHO_PATH: &str = "/echo";

/// The amount of every WeChat order and card charge, in won.
pub const ORDER_AMOUNT: u64 = 1000;
/// What each partial cancel takes back.
pub const CANCEL_AMOUNT: u64 = 100;

pub fn approve_path(pg_cno: &str) -> String {
    format!("/_sandbox/wechat/{pg_cno}/approve")
}

/// Seed 000's example (a QR `native` order) with a shop's longer goods name, return URL and
/// address: about 600 bytes, the body size of the reference figures.
pub fn create(key: &str, order_no: &str, notify_url: &str) -> String {
    json!({
        "mallId": MALL_ID,
        "shopTransactionId": key,
        "shopOrderNo": order_no,
        "goodsName": "Jeju Green Tea Gift Set 500g (Sejak, first flush)",
        "returnUrl": format!("https://shop.example/checkout/wechat/return?order={order_no}"),
        "tradeType": "native",
        "notifyUrl": notify_url,
        "amountInfo": {"currency": "KRW", "totalAmount": ORDER_AMOUNT},
        "customerInfo": {
            "customerId": "User123",
            "customerName": "John Doe",
            "customerMail": "john.doe@email.example",
            "customerContactNo": "01012345678",
            "customerAddr": "123 Teheran-ro, Gangnam-gu, Seoul 06234, Republic of Korea"
        }
    })
    .to_string()
}

pub fn find(key: &str, pg_cno: &str) -> String {
    json!({"mallId": MALL_ID, "shopTransactionId": key, "pgCno": pg_cno}).to_string()
}

/// A partial cancel (`32`) of [`CANCEL_AMOUNT`], signed.
pub fn partial_cancel(key: &str, pg_cno: &str, cancel_req_date: &str) -> String {
    json!({
        "mallId": MALL_ID,
        "shopTransactionId": key,
        "pgCno": pg_cno,
        "reviseTypeCode": "32",
        "cancelReqDate": cancel_req_date,
        "msgAuthValue": easypay_api::msg_auth::sign(SECRET_KEY, &[pg_cno, key]),
        "amountInfo": {"currency": "KRW", "totAmount": CANCEL_AMOUNT},
    })
    .to_string()
}

/// A recurring charge of [`ORDER_AMOUNT`] on a billing key.
pub fn charge(key: &str, order_no: &str, batch_key: &str, approval_req_date: &str) -> String {
    json!({
        "mallId": MALL_ID,
        "shopTransactionId": key,
        "shopOrderNo": order_no,
        "approvalReqDate": approval_req_date,
        "amount": ORDER_AMOUNT,
        "currency": "00",
        "orderInfo": {
            "goodsName": "Monthly plan",
            "customerInfo": {"customerId": "User123", "customerName": "John Doe"}
        },
        "payMethodInfo": {
            "billKeyMethodInfo": {"batchKey": batch_key},
            "cardMethodInfo": {"installmentMonth": 0}
        }
    })
    .to_string()
}

/// Today in Seoul, `yyyyMMdd` (request dates must be today there).
pub fn seoul_today() -> String {
    easypay_client::seoul_date(chrono::Utc::now())
}

/// The fields the tool reads from an answer; everything else is ignored.
#[derive(serde::Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AnswerFields {
    pub res_cd: Option<String>,
    pub res_msg: Option<String>,
    pub pg_cno: Option<String>,
    pub cancel_pg_cno: Option<String>,
    pub status_cd: Option<String>,
}

impl AnswerFields {
    pub fn parse(body: &[u8]) -> Option<AnswerFields> {
        serde_json::from_slice(body).ok()
    }
}
