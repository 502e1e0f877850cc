//! The hosted pages over HTTP: the QR page, the status endpoint and the cashier (decisions 16–17).

use serde_json::{json, Value};

use crate::helpers::{create_body, spawn_app, Backend, TestApp};
use crate::on_both_backends;

/// Creates an order; answers its `pgCno` and page token.
async fn order(app: &TestApp, body: &Value) -> (String, String) {
    let answer = app.create(body).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    let page_url = answer["paymentPageUrl"].as_str().unwrap();
    let token = match body["tradeType"].as_str().unwrap() {
        "native" => page_url.split_once("?pr=").unwrap().1,
        _ => page_url.rsplit_once('/').unwrap().1,
    };
    (
        answer["pgCno"].as_str().unwrap().to_owned(),
        token.to_owned(),
    )
}

/// A page's status, `Content-Type` and body.
async fn html(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

async fn get_page(app: &TestApp, path: &str) -> (u16, String) {
    let (status, content_type, body) = html(app.get(path).await).await;
    assert!(content_type.starts_with("text/html"), "{content_type}");
    (status, body)
}

async fn post_page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    let (status, content_type, body) = html(response).await;
    assert!(content_type.starts_with("text/html"), "{content_type}");
    (status, body)
}

async fn status_json(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app.get(&format!("/wechat/orders/{token}/status")).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The value of the hidden field `name` in `page`.
fn hidden(page: &str, name: &str) -> Option<String> {
    let start = format!("type=\"hidden\" name=\"{name}\" value=\"");
    let rest = &page[page.find(&start)? + start.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

fn with_goods(mut body: Value, goods_name: &str) -> Value {
    body["goodsName"] = json!(goods_name);
    body
}

async fn qr_page_shows_the_code_and_the_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let (_, token) = order(&app, &body).await;
    let (status, page) = get_page(&app, &format!("/wechat/qr/{token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<html lang="en">"#));
    assert!(page.contains("<svg"));
    assert!(page.contains("Sample Product"));
    assert!(page.contains("₩1,000"));
    assert!(
        page.contains("EasyPay Sandbox Merchant"),
        "the merchant's name"
    );
    assert!(page.contains(body["shopOrderNo"].as_str().unwrap()));
    assert!(page.contains(&format!("../orders/{token}/status?lang=en")));
    assert!(page.contains("http-equiv=\"refresh\""));
    // Sandbox mode: the simulated wallet stands in for scanning the code.
    assert!(page.contains(&format!("href=\"../cashier/{token}?lang=en\"")));
    assert!(page.contains("Open in the simulated WeChat wallet"));
    assert!(page.contains("href=\"") && page.contains("?lang=ko\""));
}

async fn qr_page_speaks_korean_when_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = order(&app, &create_body("native")).await;
    let (_, by_query) = get_page(&app, &format!("/wechat/qr/{token}?lang=ko")).await;
    let response = app
        .client
        .get(app.url(&format!("/wechat/qr/{token}")))
        .header("accept-language", "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7")
        .send()
        .await
        .unwrap();
    let (_, _, by_header) = html(response).await;
    for page in [by_query, by_header] {
        assert!(page.contains(r#"<html lang="ko">"#));
        assert!(page.contains("1,000원"));
        assert!(page.contains("위챗으로 스캔하여 결제"));
        assert!(page.contains("?lang=en\""));
    }
    let response = app
        .client
        .get(app.url(&format!("/wechat/qr/{token}?lang=en")))
        .header("accept-language", "ko-KR")
        .send()
        .await
        .unwrap();
    let (_, _, page) = html(response).await;
    assert!(page.contains("₩1,000"));
}

async fn dollars_are_shown_from_cents(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body("native");
    body["amountInfo"] = json!({"currency": "USD", "totalAmount": 1203});
    let (_, token) = order(&app, &body).await;
    let (_, page) = get_page(&app, &format!("/wechat/qr/{token}")).await;
    assert!(page.contains("$12.03"));
}

async fn status_follows_the_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let (pg_cno, token) = order(&app, &create_body("native")).await;
    let (status, before) = status_json(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(
        before,
        json!({"state": "pending", "paid": false, "closed": false, "final": false,
               "amount": "₩1,000"})
    );
    // The wallet approves another amount than the order's: the status says what was paid.
    let (status, answer) = app.approve_amount(&pg_cno, 900).await;
    assert_eq!(status, 200, "{answer}");
    let (_, after) = status_json(&app, &token).await;
    assert_eq!(
        after,
        json!({"state": "approved", "paid": true, "closed": true, "final": false,
               "amount": "₩900"})
    );
    let korean = app
        .get(&format!("/wechat/orders/{token}/status?lang=ko"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(korean["amount"], "900원");
    let (_, page) = get_page(&app, &format!("/wechat/qr/{token}")).await;
    assert!(page.contains("₩900"));
    assert!(page.contains("class=\"qr closed\""));
    assert!(page.contains("The payment succeeded"));
    assert!(!page.contains("http-equiv=\"refresh\""));
    assert!(!page.contains("simulated WeChat wallet"));
}

async fn paying_an_mweb_order_returns_to_the_merchant(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("mweb");
    let (pg_cno, token) = order(&app, &body).await;
    let (status, cashier) = get_page(&app, &format!("/wechat/cashier/{token}")).await;
    assert_eq!(status, 200);
    assert!(cashier.contains(&format!("action=\"{token}/pay?lang=en\"")));
    assert!(cashier.contains(&format!("action=\"{token}/cancel?lang=en\"")));
    assert!(cashier.contains("₩1,000"));

    let (status, page) = post_page(&app, &format!("/wechat/cashier/{token}/pay")).await;
    assert_eq!(status, 200);
    assert!(page
        .contains(r#"<form class="actions" method="post" action="https://shop.example/return">"#));
    assert!(page.contains("document.forms[0].submit()"));
    assert!(page.contains("<noscript>"));
    assert_eq!(page.matches("type=\"hidden\"").count(), 4);
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("0000"));
    assert_eq!(hidden(&page, "resMsg").as_deref(), Some("Success"));
    assert_eq!(
        hidden(&page, "shopOrderNo").as_deref(),
        body["shopOrderNo"].as_str()
    );
    assert_eq!(hidden(&page, "pgCno"), Some(pg_cno.clone()));
    assert_eq!(app.find(&pg_cno).await["resCd"], "0000");
}

async fn cancelling_returns_w004(backend: Backend) {
    let app = spawn_app(backend).await;
    let (pg_cno, token) = order(&app, &create_body("mweb")).await;
    let (status, page) = post_page(&app, &format!("/wechat/cashier/{token}/cancel?lang=ko")).await;
    assert_eq!(status, 200);
    assert!(page.contains("결제 취소"));
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("W004"));
    assert_eq!(hidden(&page, "pgCno"), Some(pg_cno.clone()));
    assert_eq!(app.find(&pg_cno).await["resCd"], "W004");
    let (_, status) = status_json(&app, &token).await;
    assert_eq!(status["state"], "cancelled_by_customer");
    // The cashier now shows the outcome and a way back, not the buttons.
    let (_, cashier) = get_page(&app, &format!("/wechat/cashier/{token}")).await;
    assert!(!cashier.contains("/pay?"));
    assert_eq!(hidden(&cashier, "resCd").as_deref(), Some("W004"));
    assert!(!cashier.contains("document.forms[0].submit()"));
}

/// Another site cannot pay or cancel through the cashier (a form pointed at it); the cashier's own
/// page can, and every page keeps its URL from other sites.
async fn the_cashier_refuses_posts_from_another_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let (pg_cno, token) = order(&app, &create_body("mweb")).await;
    for action in ["pay", "cancel"] {
        let response = app
            .client
            .post(app.url(&format!("/wechat/cashier/{token}/{action}")))
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["referrer-policy"], "same-origin");
        let (status, _, page) = html(response).await;
        assert_eq!(status, 403, "{action}");
        assert!(page.contains("Request refused"), "{page}");
    }
    assert_eq!(app.find(&pg_cno).await["resCd"], "W001", "nothing changed");
    let own = app.base_url.trim_end_matches('/').to_owned();
    let response = app
        .client
        .post(app.url(&format!("/wechat/cashier/{token}/pay")))
        .header("origin", own)
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS01");
}

async fn repeated_clicks_show_what_already_happened(backend: Backend) {
    let app = spawn_app(backend).await;
    let (pg_cno, token) = order(&app, &create_body("mweb")).await;
    for path in ["pay", "pay", "cancel"] {
        let (status, page) = post_page(&app, &format!("/wechat/cashier/{token}/{path}")).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert_eq!(hidden(&page, "resCd").as_deref(), Some("0000"), "{path}");
    }
    assert_eq!(app.find(&pg_cno).await["resCd"], "0000");
}

async fn paying_a_native_order_shows_the_result_on_the_phone(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = order(&app, &create_body("native")).await;
    let (status, page) = post_page(&app, &format!("/wechat/cashier/{token}/pay")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Payment complete"));
    assert!(!page.contains("<form"));
    assert!(!page.contains("shop.example/return"));
    let (_, state) = status_json(&app, &token).await;
    assert_eq!(state["paid"], true);
}

async fn an_expired_order_cannot_be_paid(backend: Backend) {
    let app = spawn_app(backend).await;
    let (pg_cno, token) = order(&app, &create_body("mweb")).await;
    let (status, answer) = app.sandbox(&pg_cno, "expire").await;
    assert_eq!(status, 200, "{answer}");
    let (status, cashier) = get_page(&app, &format!("/wechat/cashier/{token}")).await;
    assert_eq!(status, 200);
    assert!(!cashier.contains("/pay"));
    assert!(cashier.contains("Order expired"));
    let (status, page) = post_page(&app, &format!("/wechat/cashier/{token}/pay")).await;
    assert_eq!(status, 200);
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("W003"));
    assert_eq!(app.find(&pg_cno).await["resCd"], "W003");

    let (native_pg_cno, native) = order(&app, &create_body("native")).await;
    app.sandbox(&native_pg_cno, "expire").await;
    let (_, qr) = get_page(&app, &format!("/wechat/qr/{native}")).await;
    assert!(qr.contains("class=\"qr closed\""));
    assert!(!qr.contains("simulated WeChat wallet"));
    let (_, state) = status_json(&app, &native).await;
    assert_eq!(
        state,
        json!({"state": "expired", "paid": false, "closed": true, "final": true,
               "amount": "₩1,000"})
    );
}

async fn pages_escape_what_they_show(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, native) = order(&app, &with_goods(create_body("native"), "Tea & Cake")).await;
    let (_, mweb) = order(&app, &with_goods(create_body("mweb"), "Tea & Cake")).await;
    for path in [
        format!("/wechat/qr/{native}"),
        format!("/wechat/cashier/{mweb}"),
    ] {
        let (_, page) = get_page(&app, &path).await;
        assert!(page.contains("Tea &amp; Cake"), "{path}");
        assert!(!page.contains("Tea & Cake"), "{path}");
    }
}

async fn unknown_tokens_are_404_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/wechat/qr/nope", "/wechat/cashier/nope"] {
        let (status, page) = get_page(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("Page not found"), "{path}");
        let (status, page) = get_page(&app, &format!("{path}?lang=ko")).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("페이지를 찾을 수 없습니다"), "{path}");
    }
    for path in ["/wechat/cashier/nope/pay", "/wechat/cashier/nope/cancel"] {
        let (status, page) = post_page(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("Page not found"), "{path}");
    }
    let (status, page) = get_page(&app, "/wechat/qr/%3Cb%3E%22").await;
    assert_eq!(status, 404);
    assert!(!page.contains("<b>"));
    let (status, answer) = status_json(&app, "nope").await;
    assert_eq!(status, 404);
    assert_eq!(answer["resCd"], "E404");
}

async fn an_mweb_order_has_no_qr_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = order(&app, &create_body("mweb")).await;
    let response = app.get(&format!("/wechat/qr/{token}?lang=ko")).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("../cashier/{token}?lang=ko").as_str()
    );
}

on_both_backends!(
    qr_page_shows_the_code_and_the_order,
    qr_page_speaks_korean_when_asked,
    dollars_are_shown_from_cents,
    status_follows_the_order,
    paying_an_mweb_order_returns_to_the_merchant,
    cancelling_returns_w004,
    the_cashier_refuses_posts_from_another_site,
    repeated_clicks_show_what_already_happened,
    paying_a_native_order_shows_the_result_on_the_phone,
    an_expired_order_cannot_be_paid,
    pages_escape_what_they_show,
    unknown_tokens_are_404_pages,
    an_mweb_order_has_no_qr_page,
);
