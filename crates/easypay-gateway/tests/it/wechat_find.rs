//! `POST /api/trades/wechatpay/find` (seed 004, decision 18) and the sandbox wallet actions.

use serde_json::json;

use crate::helpers::{create_body, new_key, spawn_app, spawn_with, Backend, MALL_ID};
use crate::on_both_backends;

async fn an_approved_order_answers_ts01_with_amount_and_approval_date(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let pg_cno = app.create_ok(&body).await;
    let (status, approved) = app.sandbox(&pg_cno, "approve").await;
    assert_eq!(
        (status, approved["state"].as_str()),
        (200, Some("approved")),
        "{approved}"
    );

    let key = new_key();
    let (_, found) = app
        .post(
            "/api/trades/wechatpay/find",
            &json!({"mallId": MALL_ID, "shopTransactionId": key, "pgCno": pg_cno}),
        )
        .await;
    assert_eq!(found["resCd"], "0000", "{found}");
    assert_eq!(found["resMsg"], "Success");
    assert_eq!(found["shopTransactionId"], key);
    assert_eq!(found["mallId"], MALL_ID);
    assert_eq!(found["shopOrderNo"], body["shopOrderNo"]);
    assert_eq!(found["pgCno"], pg_cno);
    assert_eq!(found["statusCd"], "TS01");
    assert_eq!(
        found["amountInfo"],
        json!({"currency": "KRW", "totAmount": 1000})
    );
    let approval_date = found["approvalDate"].as_str().unwrap();
    assert_eq!(approval_date.len(), 14);
    let today = easypay_api::seoul_time::date(chrono::Utc::now());
    assert!(approval_date.starts_with(&today[..6]), "{approval_date}");
}

async fn a_different_approved_amount_is_reported_for_the_merchant_to_cancel(backend: Backend) {
    let app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    let (status, _) = app.approve_amount(&pg_cno, 900).await;
    assert_eq!(status, 200);
    let found = app.find(&pg_cno).await;
    assert_eq!(found["amountInfo"]["totAmount"], 900);
}

async fn unpaid_orders_answer_why_and_still_echo_identifiers(backend: Backend) {
    let app = spawn_app(backend).await;
    for (action, code) in [
        (None, "W001"),
        (Some("decline"), "W002"),
        (Some("expire"), "W003"),
    ] {
        let body = create_body("native");
        let pg_cno = app.create_ok(&body).await;
        if let Some(action) = action {
            assert_eq!(app.sandbox(&pg_cno, action).await.0, 200);
        }
        let found = app.find(&pg_cno).await;
        assert_eq!(found["resCd"], code, "{found}");
        assert_eq!(found["mallId"], MALL_ID);
        assert_eq!(found["shopOrderNo"], body["shopOrderNo"]);
        assert_eq!(found["pgCno"], pg_cno);
        assert!(found["shopTransactionId"].is_string());
        assert!(found.get("statusCd").is_none(), "{found}");
        assert!(found.get("amountInfo").is_none(), "{found}");
    }
}

async fn a_voided_payment_shows_ts12(backend: Backend) {
    let app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    app.sandbox(&pg_cno, "approve").await;
    assert_eq!(app.sandbox(&pg_cno, "void").await.0, 200);
    let found = app.find(&pg_cno).await;
    assert_eq!(
        (found["resCd"].as_str(), found["statusCd"].as_str()),
        (Some("0000"), Some("TS12"))
    );
}

async fn an_approval_after_expiry_is_voided(backend: Backend) {
    let app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    app.sandbox(&pg_cno, "expire").await;
    let (status, answer) = app.sandbox(&pg_cno, "approve").await;
    assert_eq!(
        (status, answer["state"].as_str()),
        (200, Some("voided")),
        "{answer}"
    );
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS12");
}

async fn orders_expire_after_their_time_to_live(backend: Backend) {
    let app = spawn_with(backend, |config| {
        config.order_ttl = std::time::Duration::from_secs(1)
    })
    .await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    assert_eq!(app.find(&pg_cno).await["resCd"], "W001");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.find(&pg_cno).await["resCd"], "W003");
}

async fn sandbox_actions_that_do_not_apply_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    let (status, answer) = app.sandbox(&pg_cno, "void").await;
    assert_eq!(
        (status, answer["resCd"].as_str()),
        (200, Some("S001")),
        "{answer}"
    );
    assert_eq!(
        answer["resMsg"],
        "the order is pending; the void action does not apply"
    );
    app.sandbox(&pg_cno, "approve").await;
    let (_, answer) = app.sandbox(&pg_cno, "approve").await;
    assert_eq!(answer["resCd"], "S001");
    assert_eq!(app.sandbox(&pg_cno, "refund").await.0, 404);
    assert_eq!(
        app.sandbox("00000000000000000000", "approve").await.1["resCd"],
        "F001"
    );
}

async fn another_merchants_order_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    let (status, _) = app
        .client
        .put(app.url("/_sandbox/merchants/T0000002"))
        .json(&json!({"secretKey": "other-secret"}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);
    let (_, found) = app
        .post(
            "/api/trades/wechatpay/find",
            &json!({"mallId": "T0000002", "shopTransactionId": new_key(), "pgCno": pg_cno}),
        )
        .await;
    assert_eq!(found["resCd"], "F001", "{found}");
    assert_eq!(found["pgCno"], pg_cno);
}

async fn find_checks_its_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, answer) = app
        .post(
            "/api/trades/wechatpay/find",
            &json!({"mallId": MALL_ID, "shopTransactionId": new_key()}),
        )
        .await;
    assert_eq!(
        (answer["resCd"].as_str(), answer["resMsg"].as_str()),
        (Some("V002"), Some("pgCno: is required"))
    );
    let (_, answer) = app
        .post(
            "/api/trades/wechatpay/find",
            &json!({"mallId": MALL_ID, "shopTransactionId": new_key(), "pgCno": "9".repeat(61)}),
        )
        .await;
    assert_eq!(answer["resMsg"], "pgCno: at most 60 bytes (got 61)");
}

async fn a_restarted_gateway_answers_the_same(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let pending = app.create_ok(&create_body("native")).await;
    let paid = app.create_ok(&create_body("mweb")).await;
    app.sandbox(&paid, "approve").await;
    let key = new_key();
    let find_body = json!({"mallId": MALL_ID, "shopTransactionId": key, "pgCno": paid});
    let before = app
        .post_text("/api/trades/wechatpay/find", &find_body)
        .await;
    let paid_before = app.find(&paid).await;

    app.restart().await;

    assert_eq!(
        app.post_text("/api/trades/wechatpay/find", &find_body)
            .await,
        before
    );
    let paid_after = app.find(&paid).await;
    for field in [
        "resCd",
        "statusCd",
        "approvalDate",
        "amountInfo",
        "shopOrderNo",
    ] {
        assert_eq!(paid_after[field], paid_before[field], "{field}");
    }
    assert_eq!(app.find(&pending).await["resCd"], "W001");
}

on_both_backends!(
    an_approved_order_answers_ts01_with_amount_and_approval_date,
    a_different_approved_amount_is_reported_for_the_merchant_to_cancel,
    unpaid_orders_answer_why_and_still_echo_identifiers,
    a_voided_payment_shows_ts12,
    an_approval_after_expiry_is_voided,
    orders_expire_after_their_time_to_live,
    sandbox_actions_that_do_not_apply_are_refused,
    another_merchants_order_is_not_found,
    find_checks_its_fields,
    a_restarted_gateway_answers_the_same,
);
