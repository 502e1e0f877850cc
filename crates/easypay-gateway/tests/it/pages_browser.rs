//! The WeChat pages in a real headless Chromium: the QR page updates itself, the cashier pays or
//! cancels and returns the browser to the merchant's `returnUrl` with KICC's fields. Pages do not
//! depend on the database, so these run on SQLite only.

use fantoccini::Locator;
use serde_json::json;

use crate::browser::{Browser, ReturnReceiver};
use crate::helpers::{create_body, spawn_app, Backend, TestApp};

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

async fn order(
    app: &TestApp,
    trade_type: &str,
    return_url: Option<&str>,
) -> (serde_json::Value, String, String) {
    let mut body = create_body(trade_type);
    if let Some(url) = return_url {
        body["returnUrl"] = json!(url);
    }
    let answer = app.create(&body).await;
    let url = answer["paymentPageUrl"].as_str().unwrap().to_owned();
    (body, answer["pgCno"].as_str().unwrap().to_owned(), url)
}

/// What the merchant's `returnUrl` receives for a paid mweb order, in order (decision 17).
fn paid_return(body: &serde_json::Value, pg_cno: &str) -> Vec<(String, String)> {
    [
        ("resCd", "0000"),
        ("resMsg", "Success"),
        ("shopOrderNo", body["shopOrderNo"].as_str().unwrap()),
        ("pgCno", pg_cno),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn token_of(code_url: &str) -> &str {
    code_url.rsplit("pr=").next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_page_shows_the_payment_succeeding_by_itself() {
    let Some(browser) = Browser::start(DESKTOP.0, DESKTOP.1).await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, pg_cno, code_url) = order(&app, "native", None).await;
    browser
        .client
        .goto(&app.url(&format!("/wechat/qr/{}", token_of(&code_url))))
        .await
        .unwrap();
    let text = browser
        .wait_for_text("Waiting for the payment to be confirmed")
        .await;
    assert!(
        text.contains("₩1,000") && text.contains("Sample Product"),
        "{text}"
    );
    assert!(
        browser.client.find(Locator::Css("#qr svg")).await.is_ok(),
        "an SVG QR code"
    );
    browser.screenshot("wechat-qr-desktop").await;

    // The wallet approves another amount than the order's: the page shows what was paid.
    let (status, _) = app.approve_amount(&pg_cno, 900).await;
    assert_eq!(status, 200);
    let text = browser.wait_for_text("The payment succeeded").await;
    // Closed, the page says what became of the order and no longer asks for a scan.
    assert!(text.contains("Payment complete"), "{text}");
    assert!(text.contains("₩900") && !text.contains("₩1,000"), "{text}");
    assert!(!text.contains("Scan to pay"), "{text}");
    assert!(!text.contains("tap + then Scan"), "{text}");
    // A paid order can still change: the page follows a void without a reload.
    app.sandbox(&pg_cno, "void").await;
    let text = browser.wait_for_text("voided by the wallet").await;
    assert!(text.contains("Payment voided"), "{text}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_page_in_korean_on_a_phone_shows_expiry() {
    let Some(browser) = Browser::start(PHONE.0, PHONE.1).await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, pg_cno, code_url) = order(&app, "native", None).await;
    browser
        .client
        .goto(&app.url(&format!("/wechat/qr/{}?lang=ko", token_of(&code_url))))
        .await
        .unwrap();
    let text = browser.wait_for_text("위챗으로 스캔하여 결제").await;
    assert!(text.contains("1,000원"), "{text}");
    browser.screenshot("wechat-qr-mobile-ko").await;
    app.sandbox(&pg_cno, "expire").await;
    browser.wait_for_text("만료").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_in_the_cashier_returns_kiccs_fields_to_the_merchant() {
    let Some(browser) = Browser::start(PHONE.0, PHONE.1).await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    let merchant = ReturnReceiver::start().await;
    let (body, pg_cno, cashier_url) = order(&app, "mweb", Some(&merchant.url)).await;
    browser.client.goto(&cashier_url).await.unwrap();
    browser.wait_for_text("Confirm your payment").await;
    browser.screenshot("wechat-cashier-mobile").await;
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='Pay']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    assert_eq!(merchant.next_post().await, paid_return(&body, &pg_cno));
    browser.wait_for_text("merchant received the return").await;
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS01");
    // Back from the merchant's page: the cashier, restored as it was (pending) from the
    // back/forward cache, must ask the server again and show the outcome, not post a second
    // return.
    browser.client.back().await.unwrap();
    browser.wait_for_text("Return to the merchant").await;
    assert!(
        merchant
            .no_post_within(std::time::Duration::from_secs(3))
            .await,
        "Back posted the return again"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_in_the_korean_cashier_returns_w004() {
    let Some(browser) = Browser::start(PHONE.0, PHONE.1).await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    let merchant = ReturnReceiver::start().await;
    let (_, pg_cno, cashier_url) = order(&app, "mweb", Some(&merchant.url)).await;
    browser
        .client
        .goto(&format!("{cashier_url}?lang=ko"))
        .await
        .unwrap();
    browser.wait_for_text("결제 확인").await;
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='취소']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let posted = merchant.next_post().await;
    assert_eq!(posted[0], ("resCd".to_owned(), "W004".to_owned()));
    assert_eq!(
        posted.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["resCd", "resMsg", "shopOrderNo", "pgCno"]
    );
    assert_eq!(app.find(&pg_cno).await["resCd"], "W004");
    browser.close().await;
}

/// The customer pays in the wallet (here: the sandbox's approval) while the cashier is open: the
/// cashier sees the order close and sends the browser back to the merchant by itself, as after a
/// tap on Pay (decision 17). Opened again afterwards, it shows the outcome behind a button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_made_elsewhere_returns_the_open_cashier_to_the_merchant() {
    let Some(browser) = Browser::start(PHONE.0, PHONE.1).await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    let merchant = ReturnReceiver::start().await;
    let (body, pg_cno, cashier_url) = order(&app, "mweb", Some(&merchant.url)).await;
    browser.client.goto(&cashier_url).await.unwrap();
    browser.wait_for_text("Confirm your payment").await;
    let (status, _) = app.approve_amount(&pg_cno, 1000).await;
    assert_eq!(status, 200);

    assert_eq!(merchant.next_post().await, paid_return(&body, &pg_cno));
    browser.wait_for_text("merchant received the return").await;

    browser.client.goto(&cashier_url).await.unwrap();
    let text = browser.wait_for_text("Payment complete").await;
    assert!(text.contains("Return to the merchant"), "{text}");
    assert!(
        merchant
            .no_post_within(std::time::Duration::from_secs(3))
            .await,
        "reopened, the cashier does not return by itself"
    );
    browser.close().await;
}
