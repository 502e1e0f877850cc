//! The registration window over HTTP (decision 19): its fields per `certType`, its language, its
//! messages, cancel, expiry, and its refusal of cross-site posts. Chromium drives it in
//! `cards_browser`.

use serde_json::json;

use crate::card_flow::{
    execute, hidden, issue, issue_body, open_window, post_window, submit_card, submit_card_with,
    webpay_body, window_page, FAR_EXPIRY, GOOD_CARD,
};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

async fn window(app: &TestApp, extra: serde_json::Value) -> (String, String) {
    let mut body = webpay_body("https://shop.example/return?from=window");
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let token = open_window(app, &body).await;
    let (status, page) = window_page(app, &token).await;
    assert_eq!(status, 200);
    (token, page)
}

fn has_input(page: &str, name: &str) -> bool {
    page.contains(&format!("name=\"{name}\""))
}

async fn cert_type_decides_what_the_window_asks(backend: Backend) {
    let app = spawn_app(backend).await;
    for (cert, birth, password) in [("0", true, true), ("1", true, false), ("2", false, false)] {
        let extra = json!({"payMethodInfo": {"billKeyMethodInfo": {"certType": cert}}});
        let (_, page) = window(&app, extra).await;
        assert!(
            has_input(&page, "cardNo") && has_input(&page, "expiry"),
            "{cert}"
        );
        assert_eq!(has_input(&page, "birthDate"), birth, "{cert}");
        assert_eq!(has_input(&page, "cardPassword"), password, "{cert}");
    }
    // Without payMethodInfo the window asks for everything (certType 0).
    let (_, page) = window(&app, json!({})).await;
    assert!(has_input(&page, "birthDate") && has_input(&page, "cardPassword"));
}

async fn the_window_speaks_the_lang_flag_and_fits_the_device(backend: Backend) {
    let app = spawn_app(backend).await;
    for (flag, lang, title) in [
        (None, "ko", "카드 등록"),
        (Some("KOR"), "ko", "카드 등록"),
        (Some("ENG"), "en", "Register your card"),
        (Some("JPN"), "ja", "カード登録"),
        (Some("CHN"), "zh", "登记银行卡"),
    ] {
        let extra = flag.map_or(json!({}), |flag| json!({"langFlag": flag}));
        let (_, page) = window(&app, extra).await;
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{flag:?}"
        );
        assert!(page.contains(title), "{flag:?}");
    }
    let (_, page) = window(&app, json!({"deviceTypeCode": "mobile"})).await;
    assert!(page.contains("<body class=\"mobile\">"));
    let (_, page) = window(&app, json!({"mallName": "Tea & Shop"})).await;
    assert!(page.contains("Tea &amp; Shop") && page.contains("<body class=\"pc\">"));
}

async fn each_wrong_input_gets_its_message_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, page) = window(&app, json!({"langFlag": "ENG"})).await;
    let form_token = hidden(&page, "formToken").unwrap();
    let cases = [
        (
            ("cardNo", "5464650012345642"),
            "This card number is not valid. Please check it.",
        ),
        (("cardNo", "12345"), "A card number has 13 to 19 digits."),
        (("expiry", "0120"), "This card has expired."),
        (("expiry", "1399"), "Enter the expiry as MMYY (e.g. 0829)."),
        (("birthDate", "990230"), "This date does not exist."),
        (
            ("birthDate", "1990-01"),
            "Enter your date of birth as YYMMDD.",
        ),
        (("cardPassword", "123"), "Enter exactly 2 digits."),
        (
            ("cardPassword", ""),
            "Enter the first 2 digits of the card PIN.",
        ),
    ];
    for ((name, value), message) in cases {
        let mut fields = vec![
            ("formToken", form_token.as_str()),
            ("cardNo", GOOD_CARD),
            ("expiry", FAR_EXPIRY),
            ("birthDate", "900101"),
            ("cardPassword", "12"),
        ];
        fields.retain(|(field, _)| *field != name);
        fields.push((name, value));
        let (status, page) = refused_then_shown(&app, &token, &fields).await;
        assert_eq!(status, 200, "{name}={value}");
        assert!(page.contains(message), "{name}={value}: {page}");
        assert!(page.contains("Please correct the fields below."));
        // Nothing typed is echoed back, right or wrong.
        assert!(
            !page.contains(GOOD_CARD) && !page.contains("900101"),
            "{name}"
        );
    }
    let (status, page) = window_page(&app, &token).await;
    assert_eq!(status, 200);
    assert!(has_input(&page, "cardNo"), "still open");
    assert!(!page.contains("Please correct the fields below."), "{page}");
}

/// A refused card is a 303 to the window (post/redirect/get), naming the fields and why, never
/// what was typed; answers the page it leads to.
async fn refused_then_shown(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let refused = app
        .client
        .post(app.url(&format!("/billing/window/{token}")))
        .form(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 303);
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{token}?refused=")),
        "{location}"
    );
    let query = location.split_once('?').unwrap().1;
    for (_, value) in fields.iter().filter(|(name, _)| *name != "formToken") {
        assert!(value.is_empty() || !query.contains(value), "{location}");
    }
    let shown = app
        .client
        .get(app.url(&format!("/billing/window/{location}")))
        .send()
        .await
        .unwrap();
    (shown.status().as_u16(), shown.text().await.unwrap())
}

async fn completing_posts_back_exactly_the_seed_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let values = json!({"value1": "고객-1", "value3": "a&b", "value7": "seven"});
    let (token, _) = window(&app, json!({"shopValueInfo": values})).await;
    let (status, page) = submit_card(&app, &token, "5464-6500 1234 5641", "12/99").await;
    assert_eq!(status, 200);
    assert!(page.contains("action=\"https://shop.example/return?from=window\""));
    assert_eq!(page.matches("type=\"hidden\"").count(), 11, "{page}");
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("0000"));
    assert_eq!(hidden(&page, "resMsg").as_deref(), Some("Success"));
    assert_eq!(hidden(&page, "authorizationId").unwrap().len(), 32);
    assert_eq!(hidden(&page, "shopValue1").as_deref(), Some("고객-1"));
    assert_eq!(hidden(&page, "shopValue2").as_deref(), Some(""));
    assert_eq!(hidden(&page, "shopValue3").as_deref(), Some("a&b"));
    assert_eq!(hidden(&page, "shopValue7").as_deref(), Some("seven"));
    assert!(page.contains("<script>document.getElementById('return-form').submit()</script>"));
    assert!(page.contains("<noscript>"));
    assert!(!page.contains(GOOD_CARD));
    // Shown again, the window offers the same return, by a button.
    let (_, again) = window_page(&app, &token).await;
    assert_eq!(
        hidden(&again, "authorizationId"),
        hidden(&page, "authorizationId")
    );
    assert!(!again.contains("return-form').submit()"));
}

async fn cancel_returns_b007(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, page) = window(&app, json!({"langFlag": "JPN"})).await;
    let form_token = hidden(&page, "formToken").unwrap();
    let (status, page) = post_window(
        &app,
        &format!("/billing/window/{token}/cancel"),
        &[("formToken", &form_token)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("B007"));
    assert_eq!(
        hidden(&page, "resMsg").as_deref(),
        Some("cancelled: the customer cancelled the card registration")
    );
    assert_eq!(hidden(&page, "authorizationId").as_deref(), Some(""));
    assert!(page.contains("カード登録がキャンセルされました。"));
    // A card sent to a cancelled window registers nothing.
    let (_, after) = submit_card_with(&app, &token, &form_token, GOOD_CARD, FAR_EXPIRY).await;
    assert_eq!(hidden(&after, "resCd").as_deref(), Some("B007"));
}

async fn an_unused_window_expires_after_30_minutes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, page) = window(&app, json!({})).await;
    let form_token = hidden(&page, "formToken").unwrap();
    execute(&app, &format!(
        "UPDATE billing_registrations SET window_expires_at = window_expires_at - 1800000 WHERE window_token = '{token}'"
    )).await;
    let (status, page) = window_page(&app, &token).await;
    assert_eq!(status, 200);
    assert!(!has_input(&page, "cardNo"));
    assert!(page.contains("등록 가능 시간(30분)이 지났습니다"));
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("B008"));
    assert!(
        !page.contains(".submit()"),
        "shown again: the return waits for a tap"
    );
    // Register pressed on the expired window: the return to the merchant goes at once.
    let (_, after) = submit_card_with(&app, &token, &form_token, GOOD_CARD, FAR_EXPIRY).await;
    assert_eq!(hidden(&after, "resCd").as_deref(), Some("B008"));
    assert!(
        after.contains("document.getElementById('return-form').submit()"),
        "{after}"
    );
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, page) = window(&app, json!({"langFlag": "ENG"})).await;
    let card = [
        ("cardNo", GOOD_CARD),
        ("expiry", FAR_EXPIRY),
        ("birthDate", "900101"),
        ("cardPassword", "12"),
    ];
    // No form token, or a wrong one.
    for form_token in ["", "0123456789abcdef0123456789abcdef"] {
        let mut fields = card.to_vec();
        fields.push(("formToken", form_token));
        let (status, refused) =
            post_window(&app, &format!("/billing/window/{token}"), &fields).await;
        assert_eq!(status, 403);
        assert!(refused.contains("This form can only be sent from the registration window itself."));
        let (status, _) =
            post_window(&app, &format!("/billing/window/{token}/cancel"), &fields).await;
        assert_eq!(status, 403);
    }
    // The right token from another site's page.
    let form_token = hidden(&page, "formToken").unwrap();
    let mut fields = card.to_vec();
    fields.push(("formToken", &form_token));
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let response = app
        .client
        .post(app.url(&format!("/billing/window/{token}")))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // The gateway's own origin is fine.
    let response = app
        .client
        .post(app.url(&format!("/billing/window/{token}")))
        .header("origin", &app.base_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let page = response.text().await.unwrap();
    assert_eq!(hidden(&page, "resCd").as_deref(), Some("0000"));
}

async fn unknown_windows_are_404_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, page) = window_page(&app, "0123456789abcdef0123456789abcdef").await;
    assert_eq!(status, 404);
    assert!(page.contains("존재하지 않는 카드 등록 창입니다"));
    let (status, _) = post_window(
        &app,
        "/billing/window/nothing/cancel",
        &[("formToken", "x")],
    )
    .await;
    assert_eq!(status, 404);
}

async fn pages_are_protected_by_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, _) = window(&app, json!({})).await;
    let response = app.get(&format!("/billing/window/{token}")).await;
    let headers = response.headers();
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "same-origin");
    // The merchant's own site (its returnUrl's) may show the window in a layer; no other may.
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .ends_with("; frame-ancestors https://shop.example"));
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let unknown = app.get("/billing/window/0123456789abcdef").await;
    assert!(unknown.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .ends_with("; frame-ancestors 'none'"));
}

async fn a_completed_window_cannot_complete_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = webpay_body("https://shop.example/return");
    let token = open_window(&app, &body).await;
    let (_, page) = window_page(&app, &token).await;
    let form_token = hidden(&page, "formToken").unwrap();
    let (_, first) = submit_card_with(&app, &token, &form_token, GOOD_CARD, FAR_EXPIRY).await;
    let (_, second) =
        submit_card_with(&app, &token, &form_token, "4579730000000013", FAR_EXPIRY).await;
    let authorization = hidden(&first, "authorizationId").unwrap();
    assert_eq!(hidden(&second, "authorizationId").unwrap(), authorization);
    // The key holds the first card (Shinhan), not the second (KB).
    let answer = issue(
        &app,
        &issue_body(body["shopOrderNo"].as_str().unwrap(), &authorization),
    )
    .await;
    assert_eq!(
        answer["paymentInfo"]["cardInfo"]["issuerCode"], "029",
        "{answer}"
    );
}

on_both_backends!(
    cert_type_decides_what_the_window_asks,
    the_window_speaks_the_lang_flag_and_fits_the_device,
    each_wrong_input_gets_its_message_and_changes_nothing,
    completing_posts_back_exactly_the_seed_fields,
    cancel_returns_b007,
    an_unused_window_expires_after_30_minutes,
    cross_site_posts_are_refused,
    unknown_windows_are_404_pages,
    pages_are_protected_by_headers,
    a_completed_window_cannot_complete_twice,
);
