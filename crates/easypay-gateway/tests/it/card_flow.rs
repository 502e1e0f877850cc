//! The recurring-card flow step by step, over HTTP, for the card tests: open a registration
//! window, fill it as a browser would, issue the billing key, charge it.

use chrono::Utc;
use easypay_api::seoul_time;
use serde_json::{json, Value};

use crate::helpers::{new_key, TestApp, MALL_ID};

/// An ordinary sandbox card (Shinhan, BIN 546465) that every charge approves.
pub const GOOD_CARD: &str = "5464650012345641";
pub const FAR_EXPIRY: &str = "1299";

pub fn today() -> String {
    seoul_time::date(Utc::now())
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &new_key()[4..])
}

/// Seed 003's request example with a fresh order number and `returnUrl`.
pub fn webpay_body(return_url: &str) -> Value {
    json!({
        "mallId": MALL_ID,
        "shopOrderNo": unique("REG"),
        "amount": 0,
        "payMethodTypeCode": "81",
        "currency": "00",
        "clientTypeCode": "00",
        "returnUrl": return_url,
        "deviceTypeCode": "pc",
        "orderInfo": {"goodsName": "Sample Product Name"}
    })
}

/// Opens a window; answers its token (the last segment of `authPageUrl`).
pub async fn open_window(app: &TestApp, body: &Value) -> String {
    let (status, answer) = app.post("/api/ep9/trades/webpay", body).await;
    assert_eq!(
        (status, answer["resCd"].as_str()),
        (200, Some("0000")),
        "{answer}"
    );
    let url = answer["authPageUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/billing/window/", app.base_url)),
        "{url}"
    );
    url.rsplit_once('/').unwrap().1.to_owned()
}

/// The value of the hidden field `name` in `page`.
pub fn hidden(page: &str, name: &str) -> Option<String> {
    let start = format!("type=\"hidden\" name=\"{name}\" value=\"");
    let rest = &page[page.find(&start)? + start.len()..];
    Some(rest[..rest.find('"')?].replace("&amp;", "&"))
}

pub async fn window_page(app: &TestApp, token: &str) -> (u16, String) {
    let response = app.get(&format!("/billing/window/{token}")).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// POSTs a window form as the page would (its form token included); answers status and page.
pub async fn post_window(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
        )
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Fills and submits the window with `card` (birth date and password as `certType 0` asks);
/// answers the page that posts back to the merchant.
pub async fn submit_card(app: &TestApp, token: &str, card: &str, expiry: &str) -> (u16, String) {
    let (_, page) = window_page(app, token).await;
    let form_token = hidden(&page, "formToken").expect("the window has a form token");
    submit_card_with(app, token, &form_token, card, expiry).await
}

/// [`submit_card`] with a form token taken earlier (to post to a window that has since closed).
pub async fn submit_card_with(
    app: &TestApp,
    token: &str,
    form_token: &str,
    card: &str,
    expiry: &str,
) -> (u16, String) {
    post_window(
        app,
        &format!("/billing/window/{token}"),
        &[
            ("formToken", form_token),
            ("cardNo", card),
            ("expiry", expiry),
            ("birthDate", "900101"),
            ("cardPassword", "12"),
        ],
    )
    .await
}

/// A completed registration: answers its `shopOrderNo` and `authorizationId`.
pub async fn registered(app: &TestApp, card: &str) -> (String, String) {
    let body = webpay_body("https://shop.example/return");
    let token = open_window(app, &body).await;
    let (status, page) = submit_card(app, &token, card, FAR_EXPIRY).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("0000"), "{page}");
    (
        body["shopOrderNo"].as_str().unwrap().to_owned(),
        hidden(&page, "authorizationId").unwrap(),
    )
}

pub fn issue_body(shop_order_no: &str, authorization_id: &str) -> Value {
    json!({
        "mallId": MALL_ID,
        "shopTransactionId": new_key(),
        "authorizationId": authorization_id,
        "shopOrderNo": shop_order_no,
        "approvalReqDate": today(),
    })
}

pub async fn issue(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/api/ep9/trades/approval", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// A billing key for `card`.
pub async fn billing_key(app: &TestApp, card: &str) -> String {
    let (order, authorization) = registered(app, card).await;
    let answer = issue(app, &issue_body(&order, &authorization)).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    answer["paymentInfo"]["cardInfo"]["cardNo"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn charge_body(batch_key: &str, amount: u64) -> Value {
    json!({
        "mallId": MALL_ID,
        "shopTransactionId": new_key(),
        "shopOrderNo": unique("CHARGE"),
        "approvalReqDate": today(),
        "amount": amount,
        "currency": "00",
        "orderInfo": {
            "goodsName": "월 구독료",
            "customerInfo": {"customerId": "User123", "customerName": "홍길동"}
        },
        "payMethodInfo": {
            "billKeyMethodInfo": {"batchKey": batch_key},
            "cardMethodInfo": {"installmentMonth": 0}
        }
    })
}

pub async fn charge(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/api/trades/approval/batch", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

pub fn remove_body(batch_key: &str) -> Value {
    json!({
        "mallId": MALL_ID,
        "shopTransactionId": new_key(),
        "batchKey": batch_key,
        "removeReqDate": today(),
    })
}

/// How many rows `table` of the test's database has.
pub async fn count(app: &TestApp, table: &str) -> i64 {
    scalar(app, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// When the key of `body` was first used (milliseconds since the epoch).
pub async fn key_created_at(app: &TestApp, body: &Value) -> i64 {
    let key = body["shopTransactionId"].as_str().unwrap();
    scalar(
        app,
        &format!("SELECT created_at FROM idempotency_keys WHERE shop_transaction_id = '{key}'"),
    )
    .await
}

/// One number read through the gateway's own pool (as `idempotency::count_orders` does).
async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let (value,): (i64,) = sqlx::query_as(sql)
        .fetch_one(app.gateway().db.pool())
        .await
        .unwrap();
    value
}

/// Runs one SQL statement on the test's database (to move time for a row).
pub async fn execute(app: &TestApp, sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}
