//! A deactivated merchant takes no new payments anywhere: its open orders' pages say it is not
//! accepting payments (HTTP 403) and pay nothing, the sandbox's `approve` is refused with `M002`,
//! and its open card windows register no card. The orders themselves stay as they were.

use serde_json::Value;

use crate::card_flow::{
    hidden, open_window, submit_card_with, webpay_body, window_page, GOOD_CARD,
};
use crate::helpers::{create_body, spawn_app, Backend, TestApp, MALL_ID};
use crate::on_both_backends;

async fn set_active(app: &TestApp, active: bool) {
    let db = &app.gateway().db;
    easypay_gateway::store::merchants::set_active(db.pool(), MALL_ID, active, chrono::Utc::now())
        .await
        .unwrap();
}

/// Creates an order; answers its `pgCno` and page token.
async fn order(app: &TestApp, trade_type: &str) -> (String, String) {
    let answer: Value = app.create(&create_body(trade_type)).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    let page_url = answer["paymentPageUrl"].as_str().unwrap();
    let token = match trade_type {
        "native" => page_url.split_once("?pr=").unwrap().1,
        _ => page_url.rsplit_once('/').unwrap().1,
    };
    (
        answer["pgCno"].as_str().unwrap().to_owned(),
        token.to_owned(),
    )
}

async fn page(response: reqwest::Response) -> (u16, String) {
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn wechat_orders_of_a_deactivated_merchant_cannot_be_paid(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mweb, cashier_token) = order(&app, "mweb").await;
    let (native, qr_token) = order(&app, "native").await;
    set_active(&app, false).await;

    let (status, cashier) = page(app.get(&format!("/wechat/cashier/{cashier_token}")).await).await;
    assert_eq!(status, 403, "{cashier}");
    assert!(cashier.contains("Not accepting payments"), "{cashier}");
    assert!(!cashier.contains("/pay"), "no Pay button: {cashier}");
    let (status, korean) = page(
        app.get(&format!("/wechat/cashier/{cashier_token}?lang=ko"))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(korean.contains("결제를 받지 않는 가맹점"), "{korean}");
    let (status, qr) = page(app.get(&format!("/wechat/qr/{qr_token}")).await).await;
    assert_eq!(status, 403, "{qr}");
    assert!(qr.contains("Not accepting payments"), "{qr}");

    // Pay, posted anyway (a page opened before the deactivation).
    let paid = app
        .client
        .post(app.url(&format!("/wechat/cashier/{cashier_token}/pay")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    let (status, paid) = page(paid).await;
    assert_eq!(status, 403, "{paid}");
    assert!(paid.contains("Not accepting payments"), "{paid}");
    assert!(!paid.contains("Payment complete"), "{paid}");

    let (status, approved) = app.sandbox(&native, "approve").await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["resCd"], "M002", "{approved}");
    assert_eq!(
        approved["resMsg"],
        format!("mallId: merchant \"{MALL_ID}\" is deactivated and takes no payments")
    );
    assert_eq!(approved["pgCno"], native.as_str(), "{approved}");

    // Nothing was paid: once active again, both orders are still waiting, and payable.
    set_active(&app, true).await;
    for pg_cno in [&mweb, &native] {
        assert_eq!(app.find(pg_cno).await["resCd"], "W001");
    }
    let (status, cashier) = page(app.get(&format!("/wechat/cashier/{cashier_token}")).await).await;
    assert_eq!(status, 200, "{cashier}");
    assert_eq!(app.sandbox(&native, "approve").await.1["resCd"], "0000");
}

async fn a_card_window_of_a_deactivated_merchant_registers_no_card(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = open_window(&app, &webpay_body("https://shop.example/return")).await;
    let (_, form) = window_page(&app, &token).await;
    let form_token = hidden(&form, "formToken").unwrap();
    set_active(&app, false).await;

    let (status, shown) = window_page(&app, &token).await;
    assert_eq!(status, 403, "{shown}");
    assert!(shown.contains("결제를 받지 않는 가맹점"), "{shown}");
    let (status, submitted) = submit_card_with(&app, &token, &form_token, GOOD_CARD, "1299").await;
    assert_eq!(status, 403, "{submitted}");
    assert!(submitted.contains("결제를 받지 않는 가맹점"), "{submitted}");
    assert_eq!(hidden(&submitted, "authorizationId"), None, "{submitted}");

    // The window is still open for when the merchant is active again.
    set_active(&app, true).await;
    let (status, shown) = window_page(&app, &token).await;
    assert_eq!(status, 200, "{shown}");
    assert!(hidden(&shown, "formToken").is_some(), "{shown}");
}

on_both_backends!(
    wechat_orders_of_a_deactivated_merchant_cannot_be_paid,
    a_card_window_of_a_deactivated_merchant_registers_no_card,
);
