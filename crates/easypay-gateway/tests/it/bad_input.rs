//! Bad input of any kind never gets a 500 and never changes state.

use serde_json::{json, Value};

use crate::helpers::{create_body, spawn_app, Backend};
use crate::idempotency::count_orders;
use crate::on_both_backends;

const ENDPOINTS: [&str; 2] = ["/api/trades/wechatpay", "/api/trades/wechatpay/find"];

async fn bodies_that_are_not_json_objects_get_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(3000), "}".repeat(3000));
    for endpoint in ENDPOINTS {
        for body in [
            "",
            "{",
            "not json",
            "[1,2]",
            "\"text\"",
            "null",
            "42",
            "{\"mallId\": }",
            &nested,
            &deep_object,
        ] {
            let (status, answer) = app.post_raw(endpoint, body.to_owned()).await;
            assert_eq!(status, 400, "{endpoint} {:.40}", body);
            assert_eq!(answer["resCd"], "V001", "{answer}");
        }
        let (status, answer) = app.post_raw(endpoint, vec![0xff, 0xfe, 0x00]).await;
        assert_eq!((status, answer["resCd"].as_str()), (400, Some("V001")));
    }
    assert_eq!(count_orders(&app).await, 0);
}

/// Some Windows and .NET clients start their JSON with a UTF-8 byte-order mark.
async fn a_byte_order_mark_before_the_json_is_skipped(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(serde_json::to_vec(&create_body("native")).unwrap());
    let (status, answer) = app.post_raw(ENDPOINTS[0], body).await;
    assert_eq!(
        (status, answer["resCd"].as_str()),
        (200, Some("0000")),
        "{answer}"
    );
    let (status, answer) = app.post_raw(ENDPOINTS[0], b"\xEF\xBB\xBF".to_vec()).await;
    assert_eq!(
        (status, answer["resCd"].as_str()),
        (400, Some("V001")),
        "{answer}"
    );
    assert_eq!(count_orders(&app).await, 1);
}

/// `{"amount":1000, …, "amount":7}` is ambiguous: refused, not charged at either amount.
async fn a_member_sent_twice_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = serde_json::to_string(&create_body("native")).unwrap();
    let twice = body.replacen(
        '{',
        "{\"amountInfo\":{\"amount\":7,\"currency\":\"KRW\"},",
        1,
    );
    let (status, answer) = app.post_raw(ENDPOINTS[0], twice).await;
    assert_eq!(
        (status, answer["resCd"].as_str()),
        (400, Some("V001")),
        "{answer}"
    );
    assert!(
        answer["resMsg"]
            .as_str()
            .unwrap()
            .starts_with("body: not valid JSON (the member \"amountInfo\" appears twice"),
        "{answer}"
    );
    assert_eq!(count_orders(&app).await, 0);
}

async fn a_huge_body_gets_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body("native");
    body["padding"] = json!("x".repeat(200 * 1024));
    let (status, answer) = app.post("/api/trades/wechatpay", &body).await;
    assert_eq!(
        (status, answer["resCd"].as_str()),
        (413, Some("V013")),
        "{answer}"
    );
    assert_eq!(count_orders(&app).await, 0);
}

async fn unknown_paths_and_methods_get_the_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, answer) = app.post("/api/trades/nothing", &json!({})).await;
    assert_eq!((status, answer["resCd"].as_str()), (404, Some("E404")));
    let response = app.get("/api/trades/wechatpay").await;
    assert_eq!(response.status(), 405);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["resCd"], "E405");
}

/// Every field of the seed request replaced by every kind of wrong value: never a 500, always the
/// envelope, and exactly one order per success.
async fn every_field_with_every_wrong_value_never_breaks_the_gateway(backend: Backend) {
    let app = spawn_app(backend).await;
    let garbage = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e300),
        json!(u64::MAX),
        json!(""),
        json!(" "),
        json!("x".repeat(3000)),
        json!("😀"),
        json!("\u{0}"),
        json!([]),
        json!([[[[{}]]]]),
        json!({}),
        json!({"nested": {"deeper": [1, {"x": null}]}}),
    ];
    let pointers = [
        "/mallId",
        "/shopTransactionId",
        "/shopOrderNo",
        "/goodsName",
        "/returnUrl",
        "/tradeType",
        "/notifyUrl",
        "/amountInfo",
        "/amountInfo/currency",
        "/amountInfo/totalAmount",
        "/customerInfo",
        "/customerInfo/customerId",
        "/customerInfo/customerName",
        "/customerInfo/customerMail",
        "/customerInfo/customerContactNo",
        "/customerInfo/customerAddr",
    ];
    let mut successes = 0;
    for pointer in pointers {
        for value in &garbage {
            let mut body = create_body("native");
            *body.pointer_mut(pointer).unwrap() = value.clone();
            let (status, answer) = app.post("/api/trades/wechatpay", &body).await;
            assert_eq!(status, 200, "{pointer} = {value}: {answer}");
            let code = answer["resCd"].as_str().expect("resCd");
            assert!(answer["resMsg"].is_string());
            if code == "0000" {
                successes += 1;
            } else {
                let unknown_merchant = pointer == "/mallId" && code == "M001";
                assert!(
                    code.starts_with('V') || unknown_merchant,
                    "{pointer} = {value}: {answer}"
                );
            }
        }
    }
    assert_eq!(count_orders(&app).await, successes);
}

on_both_backends!(
    a_member_sent_twice_is_refused,
    bodies_that_are_not_json_objects_get_400,
    a_byte_order_mark_before_the_json_is_skipped,
    a_huge_body_gets_413,
    unknown_paths_and_methods_get_the_envelope,
    every_field_with_every_wrong_value_never_breaks_the_gateway,
);
