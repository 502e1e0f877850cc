//! The registration window in a real headless Chromium (decision 19): for each `certType`, in
//! four languages, on a desktop and a phone, fill it, submit, and check the exact form POST the
//! merchant's `returnUrl` receives; then issue the key and charge it. Also the cancel button and
//! a wrong card number.

use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::{Browser, ReturnReceiver};
use crate::card_flow::{charge, charge_body, issue, issue_body, webpay_body};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// Opens a window posting back to `merchant`; answers the request and `authPageUrl`.
async fn open(app: &TestApp, merchant: &ReturnReceiver, extra: Value) -> (Value, String) {
    let mut body = webpay_body(&merchant.url);
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (_, answer) = app.post("/api/ep9/trades/webpay", &body).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    (body, answer["authPageUrl"].as_str().unwrap().to_owned())
}

async fn fill(browser: &Browser, fields: &[(&str, &str)]) {
    for (name, value) in fields {
        let input = browser
            .client
            .find(Locator::Css(&format!("input[name='{name}']")))
            .await
            .unwrap_or_else(|_| panic!("the window has an input named {name}"));
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
}

async fn click(browser: &Browser, id: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn has_input(browser: &Browser, name: &str) -> bool {
    browser
        .client
        .find_all(Locator::Css(&format!("input[name='{name}']")))
        .await
        .unwrap()
        .len()
        == 1
}

/// The POST seed 003 describes: these fields, in this order.
fn expected_post(
    body: &Value,
    res_cd: &str,
    res_msg: &str,
    authorization_id: &str,
) -> Vec<(String, String)> {
    let values = &body["shopValueInfo"];
    let mut fields = vec![
        ("resCd".to_owned(), res_cd.to_owned()),
        ("resMsg".to_owned(), res_msg.to_owned()),
        (
            "shopOrderNo".to_owned(),
            body["shopOrderNo"].as_str().unwrap().to_owned(),
        ),
        ("authorizationId".to_owned(), authorization_id.to_owned()),
    ];
    for n in 1..=7 {
        let value = values[format!("value{n}")].as_str().unwrap_or("");
        fields.push((format!("shopValue{n}"), value.to_owned()));
    }
    fields
}

/// Registers a card through the window as `certType` asks, then issues and charges its key.
async fn register_issue_and_charge(
    backend: Backend,
    size: (u32, u32),
    extra: Value,
    heading: &str,
    typed: &[(&str, &str)],
    absent: &[&str],
    screenshot: Option<&str>,
) {
    let Some(browser) = Browser::start(size.0, size.1).await else {
        return;
    };
    let app = spawn_app(backend).await;
    let merchant = ReturnReceiver::start().await;
    let (body, url) = open(&app, &merchant, extra).await;
    browser.client.goto(&url).await.unwrap();
    browser.wait_for_text(heading).await;
    for name in absent {
        assert!(!has_input(&browser, name).await, "{name} is not asked for");
    }
    fill(&browser, typed).await;
    if let Some(name) = screenshot {
        browser.screenshot(name).await;
    }
    click(&browser, "submit").await;
    let posted = merchant.next_post().await;
    let authorization_id = posted[3].1.clone();
    assert_eq!(authorization_id.len(), 32, "{posted:?}");
    assert_eq!(
        posted,
        expected_post(&body, "0000", "Success", &authorization_id)
    );
    browser.close().await;

    let issued = issue(
        &app,
        &issue_body(body["shopOrderNo"].as_str().unwrap(), &authorization_id),
    )
    .await;
    assert_eq!(issued["resCd"], "0000", "{issued}");
    let key = issued["paymentInfo"]["cardInfo"]["cardNo"]
        .as_str()
        .unwrap();
    let charged = charge(&app, &charge_body(key, 15000)).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
    assert_eq!(charged["amount"], 15000);
}

async fn cert_type_0_in_korean_on_a_desktop(backend: Backend) {
    let screenshot = matches!(backend, Backend::Sqlite).then_some("billing-window-pc");
    register_issue_and_charge(
        backend,
        DESKTOP,
        json!({
            "payMethodInfo": {"billKeyMethodInfo": {"certType": "0"}},
            "orderInfo": {"goodsName": "프리미엄 월 구독", "customerInfo": {"customerName": "홍길동"}},
            "shopValueInfo": {"value1": "회원-42", "value4": "plan=gold", "value7": "마지막 값"}
        }),
        "카드 등록",
        &[("cardNo", "5464 6500 1234 5641"), ("expiry", "1230"), ("birthDate", "900101"), ("cardPassword", "12")],
        &[],
        screenshot,
    )
    .await;
}

async fn cert_type_1_in_english_on_a_phone(backend: Backend) {
    let screenshot = matches!(backend, Backend::Sqlite).then_some("billing-window-mobile");
    register_issue_and_charge(
        backend,
        PHONE,
        json!({
            "langFlag": "ENG",
            "deviceTypeCode": "mobile",
            "payMethodInfo": {"billKeyMethodInfo": {"certType": "1"}},
            "shopValueInfo": {"value2": "subscription-7"}
        }),
        "Register your card",
        &[
            ("cardNo", "4579730000000013"),
            ("expiry", "08/31"),
            ("birthDate", "851224"),
        ],
        &["cardPassword"],
        screenshot,
    )
    .await;
}

async fn cert_type_2_in_japanese(backend: Backend) {
    register_issue_and_charge(
        backend,
        DESKTOP,
        json!({"langFlag": "JPN", "payMethodInfo": {"billKeyMethodInfo": {"certType": "2"}}}),
        "カード登録",
        &[("cardNo", "9409150000000019"), ("expiry", "0129")],
        &["birthDate", "cardPassword"],
        None,
    )
    .await;
}

/// KICC's window may be shown in a layer of the merchant's page on PC: the merchant's own site (its
/// `returnUrl`'s) may frame it, and the return arrives; another site's frame stays empty.
async fn the_merchants_own_site_may_show_the_window_in_a_layer(backend: Backend) {
    let Some(browser) = Browser::start(DESKTOP.0, DESKTOP.1).await else {
        return;
    };
    let app = spawn_app(backend).await;
    let merchant = ReturnReceiver::start().await;
    let english_number_only =
        json!({"langFlag": "ENG", "payMethodInfo": {"billKeyMethodInfo": {"certType": "2"}}});
    let (body, url) = open(&app, &merchant, english_number_only.clone()).await;
    show_in_layer(&browser, &merchant, &url).await;
    browser.wait_for_text("Register your card").await;
    fill(
        &browser,
        &[("cardNo", "9409150000000019"), ("expiry", "0129")],
    )
    .await;
    click(&browser, "submit").await;
    let posted = merchant.next_post().await;
    assert_eq!(
        posted,
        expected_post(&body, "0000", "Success", &posted[3].1.clone())
    );

    let other_site = ReturnReceiver::start().await;
    let (_, url) = open(&app, &merchant, english_number_only).await;
    show_in_layer(&browser, &other_site, &url).await;
    for _ in 0..20 {
        assert!(
            !has_input(&browser, "cardNo").await,
            "another site framed the window"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser.close().await;
}

/// Opens `site`'s layer page showing `window_url` and moves into the layer.
async fn show_in_layer(browser: &Browser, site: &ReturnReceiver, window_url: &str) {
    let page = site.layer_url(window_url);
    browser.client.goto(&page).await.unwrap();
    let layer = browser.client.find(Locator::Id("layer")).await.unwrap();
    layer.enter_frame().await.unwrap();
}

/// The Chinese window's heading once cancelled.
const CANCELLED_IN_CHINESE: &str = "登记已取消";

async fn cancel_in_chinese_returns_b007(backend: Backend) {
    let Some(browser) = Browser::start(PHONE.0, PHONE.1).await else {
        return;
    };
    let app = spawn_app(backend).await;
    let merchant = ReturnReceiver::start().await;
    let (body, url) = open(
        &app,
        &merchant,
        json!({"langFlag": "CHN", "deviceTypeCode": "mobile", "shopValueInfo": {"value3": "c3"}}),
    )
    .await;
    browser.client.goto(&url).await.unwrap();
    browser.wait_for_text("登记银行卡").await;
    click(&browser, "cancel").await;
    let posted = merchant.next_post().await;
    assert_eq!(
        posted,
        expected_post(
            &body,
            "B007",
            "cancelled: the customer cancelled the card registration",
            ""
        )
    );
    // Back from the merchant: the window (from the back-forward cache, or not) shows that it was
    // cancelled, its return behind a button, never a live form again.
    browser.client.back().await.unwrap();
    browser.wait_for_text(CANCELLED_IN_CHINESE).await;
    assert!(!has_input(&browser, "cardNo").await);
    browser.close().await;
}

async fn a_wrong_card_number_is_explained_then_corrected(backend: Backend) {
    let Some(browser) = Browser::start(DESKTOP.0, DESKTOP.1).await else {
        return;
    };
    let app = spawn_app(backend.clone()).await;
    let merchant = ReturnReceiver::start().await;
    let (body, url) = open(&app, &merchant, json!({"langFlag": "ENG"})).await;
    browser.client.goto(&url).await.unwrap();
    browser.wait_for_text("Register your card").await;
    let card = [
        ("cardNo", "5464650012345642"),
        ("expiry", "1230"),
        ("birthDate", "900101"),
        ("cardPassword", "12"),
    ];
    fill(&browser, &card).await;
    click(&browser, "submit").await;
    let text = browser
        .wait_for_text("This card number is not valid. Please check it.")
        .await;
    assert!(text.contains("Please correct the fields below."), "{text}");
    let focused = browser
        .client
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(
        focused, "cardNo",
        "the keyboard is in the first refused field"
    );
    if matches!(backend, Backend::Sqlite) {
        browser.screenshot("billing-window-error").await;
    }
    fill(
        &browser,
        &[
            ("cardNo", "5464650012345641"),
            ("expiry", "1230"),
            ("birthDate", "900101"),
            ("cardPassword", "12"),
        ],
    )
    .await;
    click(&browser, "submit").await;
    let posted = merchant.next_post().await;
    assert_eq!(
        posted,
        expected_post(&body, "0000", "Success", &posted[3].1.clone())
    );
    // Back from the merchant, past the refused attempt: the window as it stands, not a browser
    // page asking to send the form again (the refusal was a redirect to a page of its own).
    browser.client.back().await.unwrap();
    browser.wait_for_text("Your card was registered.").await;
    assert!(!has_input(&browser, "cardNo").await);
    browser.client.back().await.unwrap();
    browser.wait_for_text("Your card was registered.").await;
    browser.close().await;
}

on_both_backends!(
    cert_type_0_in_korean_on_a_desktop,
    cert_type_1_in_english_on_a_phone,
    cert_type_2_in_japanese,
    the_merchants_own_site_may_show_the_window_in_a_layer,
    cancel_in_chinese_returns_b007,
    a_wrong_card_number_is_explained_then_corrected,
);
