//! `POST /api/ep9/trades/webpay` (seed 003): every field and sub-object checked, `authPageUrl`
//! answered, order numbers unique among registrations.

use serde_json::{json, Value};

use crate::card_flow::{open_window, webpay_body, window_page};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

async fn webpay(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/api/ep9/trades/webpay", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// `body` with the value at `pointer` (a JSON pointer) replaced, or removed when `None`.
fn with(mut body: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut body
    } else {
        if body.pointer(parent).is_none() {
            let (grand, child) = parent.rsplit_once('/').unwrap();
            let holder = if grand.is_empty() {
                &mut body
            } else {
                body.pointer_mut(grand).unwrap()
            };
            holder[child] = json!({});
        }
        body.pointer_mut(parent).unwrap()
    };
    match value {
        Some(value) => target[name] = value,
        None => {
            target.as_object_mut().unwrap().remove(name);
        }
    }
    body
}

async fn the_seed_example_opens_a_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = webpay_body("https://shop.example/return");
    let answer = webpay(&app, &body).await;
    assert_eq!(answer["resCd"], "0000");
    assert_eq!(answer["resMsg"], "Success");
    let url = answer["authPageUrl"].as_str().unwrap();
    let token = url.rsplit_once('/').unwrap().1;
    assert_eq!(url, format!("{}/billing/window/{token}", app.base_url));
    assert_eq!(token.len(), 32, "128 random bits");
    assert!(url.len() <= 256);
    assert_eq!(answer.as_object().unwrap().len(), 3, "{answer}");
    let (status, page) = window_page(&app, token).await;
    assert_eq!(status, 200);
    assert!(page.contains("Sample Product Name"), "{page}");
}

async fn every_field_rule_is_answered_with_its_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let base = webpay_body("https://shop.example/return");
    let cases: Vec<(&str, Option<Value>, &str, &str)> = vec![
        ("/mallId", None, "V002", "mallId: is required"),
        (
            "/mallId",
            Some(json!("T51020019")),
            "V004",
            "mallId: at most 8 bytes (got 9)",
        ),
        (
            "/shopOrderNo",
            Some(json!("A.1")),
            "V014",
            "shopOrderNo: must be letters, digits, '_' and '-' only",
        ),
        (
            "/shopOrderNo",
            Some(json!("9".repeat(41))),
            "V004",
            "shopOrderNo: at most 40 bytes (got 41)",
        ),
        ("/amount", None, "V002", "amount: is required"),
        ("/amount", Some(json!(1000)), "V010", "amount: must be 0"),
        (
            "/amount",
            Some(json!("0.0")),
            "V010",
            "amount: must be an integer (a JSON number or a digit string)",
        ),
        (
            "/payMethodTypeCode",
            Some(json!("11")),
            "V009",
            r#"payMethodTypeCode: must be one of "81" (got "11")"#,
        ),
        (
            "/currency",
            Some(json!("KRW")),
            "V009",
            r#"currency: must be one of "00" (got "KRW")"#,
        ),
        (
            "/returnUrl",
            Some(json!("shop.example/return")),
            "V011",
            "returnUrl: must be an absolute http or https URL (not a valid absolute URL)",
        ),
        (
            "/deviceTypeCode",
            Some(json!("PC")),
            "V009",
            r#"deviceTypeCode: must be one of "pc", "mobile" (got "PC")"#,
        ),
        (
            "/clientTypeCode",
            Some(json!("10")),
            "V009",
            r#"clientTypeCode: must be one of "00" (got "10")"#,
        ),
        (
            "/langFlag",
            Some(json!("kor")),
            "V009",
            r#"langFlag: must be one of "KOR", "ENG", "JPN", "CHN" (got "kor")"#,
        ),
        ("/orderInfo", None, "V002", "orderInfo: is required"),
        (
            "/orderInfo",
            Some(json!("x")),
            "V003",
            "orderInfo: must be an object",
        ),
        (
            "/orderInfo/goodsName",
            Some(json!("a<b")),
            "V006",
            r#"orderInfo.goodsName: character '<' is not allowed (forbidden: ' " < > \ ; | and control characters)"#,
        ),
        (
            "/orderInfo/goodsName",
            Some(json!("상품😀")),
            "V005",
            "orderInfo.goodsName: character '😀' (U+1F600) cannot be represented in EUC-KR",
        ),
        (
            "/orderInfo/goodsTypeCode",
            Some(json!("2")),
            "V009",
            r#"orderInfo.goodsTypeCode: must be one of "0", "1" (got "2")"#,
        ),
        (
            "/orderInfo/customerInfo/customerContactNo",
            Some(json!("010-1234")),
            "V008",
            "orderInfo.customerInfo.customerContactNo: must contain digits only",
        ),
        (
            "/orderInfo/customerInfo/customerMail",
            Some(json!("nobody")),
            "V012",
            "orderInfo.customerInfo.customerMail: must be an e-mail address like name@example.com",
        ),
        (
            "/payMethodInfo/billKeyMethodInfo",
            None,
            "V002",
            "payMethodInfo.billKeyMethodInfo: is required",
        ),
        (
            "/payMethodInfo/billKeyMethodInfo/certType",
            Some(json!("3")),
            "V009",
            r#"payMethodInfo.billKeyMethodInfo.certType: must be one of "0", "1", "2" (got "3")"#,
        ),
        (
            "/shopValueInfo/value1",
            Some(json!(5)),
            "V003",
            "shopValueInfo.value1: must be a string",
        ),
    ];
    for (pointer, value, code, message) in cases {
        let mut body = base.clone();
        if pointer.starts_with("/payMethodInfo/billKeyMethodInfo") {
            body["payMethodInfo"] = json!({"billKeyMethodInfo": {"certType": "0"}});
        }
        let body = with(body, pointer, value);
        let answer = webpay(&app, &body).await;
        assert_eq!(
            (answer["resCd"].as_str(), answer["resMsg"].as_str()),
            (Some(code), Some(message)),
            "{pointer}"
        );
        assert!(answer.get("authPageUrl").is_none());
    }
    // None of them used the order number.
    assert_eq!(webpay(&app, &base).await["resCd"], "0000");
}

async fn lengths_count_euc_kr_bytes_at_every_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let limits: Vec<(&str, usize)> = vec![
        ("/orderInfo/goodsName", 50),
        ("/orderInfo/customerInfo/customerId", 20),
        ("/orderInfo/customerInfo/customerName", 20),
        ("/orderInfo/customerInfo/customerAddr", 200),
        ("/shopValueInfo/value1", 64),
        ("/shopValueInfo/value2", 64),
        ("/shopValueInfo/value3", 32),
        ("/shopValueInfo/value4", 32),
        ("/shopValueInfo/value5", 64),
        ("/shopValueInfo/value6", 64),
        ("/shopValueInfo/value7", 64),
        ("/mallName", 40),
    ];
    for (pointer, max) in limits {
        let field = pointer[1..].replace('/', ".");
        // Exactly the limit passes, in ASCII and in Hangul (2 bytes each).
        for fits in ["a".repeat(max), "가".repeat(max / 2)] {
            let body = with(
                webpay_body("https://shop.example/r"),
                pointer,
                Some(json!(fits)),
            );
            assert_eq!(webpay(&app, &body).await["resCd"], "0000", "{field} {fits}");
        }
        let over = format!("{}a", "가".repeat(max / 2));
        let body = with(
            webpay_body("https://shop.example/r"),
            pointer,
            Some(json!(over)),
        );
        let answer = webpay(&app, &body).await;
        assert_eq!(answer["resCd"], "V004", "{field}");
        assert_eq!(
            answer["resMsg"],
            format!("{field}: at most {max} bytes (got {})", max + 1)
        );
    }
    let long_url = format!("https://shop.example/{}", "r".repeat(256 - 21));
    assert_eq!(long_url.len(), 256);
    let body = with(webpay_body(&long_url), "/returnUrl", None);
    assert_eq!(
        webpay(
            &app,
            &with(body.clone(), "/returnUrl", Some(json!(long_url)))
        )
        .await["resCd"],
        "0000"
    );
    let answer = webpay(
        &app,
        &with(body, "/returnUrl", Some(json!(format!("{long_url}r")))),
    )
    .await;
    assert_eq!(answer["resMsg"], "returnUrl: at most 256 bytes (got 257)");
    let body = with(
        webpay_body("https://shop.example/r"),
        "/orderInfo/customerInfo/customerContactNo",
        Some(json!("0".repeat(12))),
    );
    assert_eq!(webpay(&app, &body).await["resCd"], "V004");
}

async fn order_numbers_are_unique_among_registrations(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = webpay_body("https://shop.example/return");
    let token = open_window(&app, &body).await;

    // A retry of the same request (after a lost answer) gets the first window back.
    let retried = webpay(&app, &body).await;
    assert_eq!(retried["resCd"], "0000", "{retried}");
    assert_eq!(
        retried["authPageUrl"],
        format!("{}/billing/window/{token}", app.base_url)
    );

    let other = with(body.clone(), "/orderInfo/goodsName", Some(json!("Other")));
    let again = webpay(&app, &other).await;
    assert_eq!(again["resCd"], "D001", "{again}");
    assert_eq!(
        again["resMsg"],
        format!(
            "shopOrderNo: {} was already used for another card registration by this merchant",
            body["shopOrderNo"].as_str().unwrap()
        )
    );
    assert!(again.get("authPageUrl").is_none());
    assert_eq!(again["mallId"], body["mallId"], "echoed like every refusal");
    assert_eq!(again["shopOrderNo"], body["shopOrderNo"]);
}

async fn unknown_and_inactive_merchants_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = with(
        webpay_body("https://shop.example/r"),
        "/mallId",
        Some(json!("T0000404")),
    );
    let answer = webpay(&app, &body).await;
    assert_eq!(answer["resCd"], "M001");
    assert_eq!(answer["mallId"], "T0000404");
    assert!(answer.get("shopTransactionId").is_none());
}

async fn an_empty_or_broken_body_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, answer) = app.post_raw("/api/ep9/trades/webpay", "[1]").await;
    assert_eq!((status, answer["resCd"].as_str()), (400, Some("V001")));
    let response = app.get("/api/ep9/trades/webpay").await;
    assert_eq!(response.status(), 405);
}

on_both_backends!(
    the_seed_example_opens_a_window,
    every_field_rule_is_answered_with_its_code,
    lengths_count_euc_kr_bytes_at_every_limit,
    order_numbers_are_unique_among_registrations,
    unknown_and_inactive_merchants_are_refused,
    an_empty_or_broken_body_changes_nothing,
);
