//! Decisions 9–15: `shopTransactionId` as the idempotency key.

use std::collections::HashSet;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{create_body, new_key, spawn_app, spawn_with, strict, Backend, MALL_ID};
use crate::on_both_backends;

async fn a_retry_replays_the_answer_byte_for_byte_and_creates_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let first = app.post_text("/api/trades/wechatpay", &body).await;
    let second = app.post_text("/api/trades/wechatpay", &body).await;
    assert_eq!(first, second);
    assert_eq!(count_orders(&app).await, 1);
}

async fn key_order_whitespace_and_amount_spelling_do_not_matter(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let first = app.post_text("/api/trades/wechatpay", &body).await.1;
    // The same request, written differently: reversed keys, spaces, the amount as a string.
    let mut fields: Vec<(String, serde_json::Value)> =
        body.as_object().unwrap().clone().into_iter().collect();
    fields.reverse();
    let mut text = String::from("{ ");
    for (i, (name, value)) in fields.iter().enumerate() {
        let value = if name == "amountInfo" {
            json!({"totalAmount": "1000", "currency": "KRW"})
        } else {
            value.clone()
        };
        text.push_str(&format!(
            "{}\n  {:?} :  {}",
            if i > 0 { "," } else { "" },
            name,
            value
        ));
    }
    text.push_str(" }");
    let (status, replay) = app.post_raw("/api/trades/wechatpay", text).await;
    assert_eq!(status, 200);
    assert_eq!(
        replay,
        serde_json::from_str::<serde_json::Value>(&first).unwrap()
    );
    assert_eq!(count_orders(&app).await, 1);
}

async fn the_same_key_for_a_different_request_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    app.create_ok(&body).await;
    let mut other = create_body("native");
    other["shopTransactionId"] = body["shopTransactionId"].clone();
    let answer = app.create(&other).await;
    assert_eq!(answer["resCd"], "D002", "{answer}");
    assert_eq!(answer["shopTransactionId"], body["shopTransactionId"]);
    assert_eq!(count_orders(&app).await, 1);
    // The refused request's order number is still free.
    other["shopTransactionId"] = json!(new_key());
    app.create_ok(&other).await;
}

async fn a_request_that_failed_validation_can_be_corrected_under_the_same_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body("native");
    body["tradeType"] = json!("qr");
    assert_eq!(app.create(&body).await["resCd"], "V009");
    body["tradeType"] = json!("native");
    app.create_ok(&body).await;
}

async fn a_business_failure_replays_as_the_same_failure(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    app.create_ok(&body).await;
    let mut duplicate = body.clone();
    duplicate["shopTransactionId"] = json!(new_key());
    let first = app.post_text("/api/trades/wechatpay", &duplicate).await;
    let second = app.post_text("/api/trades/wechatpay", &duplicate).await;
    assert!(first.1.contains("\"D001\""), "{}", first.1);
    assert_eq!(first, second);
}

async fn concurrent_duplicates_make_one_order_and_identical_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let requests = (0..24).map(|_| app.post_text("/api/trades/wechatpay", &body));
    let answers: HashSet<(u16, String)> = join_all(requests).await.into_iter().collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let (status, text) = answers.into_iter().next().unwrap();
    assert_eq!(status, 200);
    assert!(text.contains("\"0000\""), "{text}");
    assert_eq!(count_orders(&app).await, 1);
}

async fn concurrent_different_keys_for_one_order_number_make_one_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let requests = (0..12).map(|_| {
        let mut body = body.clone();
        body["shopTransactionId"] = json!(new_key());
        let app = &app;
        async move {
            app.create(&body).await["resCd"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    });
    let mut codes = join_all(requests).await;
    codes.sort();
    assert_eq!(codes[0], "0000");
    assert!(codes[1..].iter().all(|code| code == "D001"), "{codes:?}");
    assert_eq!(count_orders(&app).await, 1);
}

async fn keys_are_scoped_per_endpoint_and_per_merchant(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let pg_cno = app.create_ok(&body).await;
    let key = body["shopTransactionId"].clone();
    let (_, found) = app
        .post(
            "/api/trades/wechatpay/find",
            &json!({"mallId": MALL_ID, "shopTransactionId": key, "pgCno": pg_cno}),
        )
        .await;
    assert_eq!(found["resCd"], "W001", "{found}");

    app.client
        .put(app.url("/_sandbox/merchants/T0000002"))
        .json(&json!({"secretKey": "second-merchant-secret"}))
        .send()
        .await
        .unwrap();
    let mut other_merchant = create_body("native");
    other_merchant["mallId"] = json!("T0000002");
    other_merchant["shopTransactionId"] = key;
    app.create_ok(&other_merchant).await;
}

async fn a_find_retried_with_its_key_replays_the_first_snapshot(backend: Backend) {
    let app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    let find = json!({"mallId": MALL_ID, "shopTransactionId": new_key(), "pgCno": pg_cno});
    let before = app.post_text("/api/trades/wechatpay/find", &find).await;
    app.sandbox(&pg_cno, "approve").await;
    assert_eq!(
        app.post_text("/api/trades/wechatpay/find", &find).await,
        before
    );
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS01");
}

async fn strict_mode_refuses_every_reuse(backend: Backend) {
    let app = spawn_with(backend, strict).await;
    let body = create_body("native");
    app.create_ok(&body).await;
    let answer = app.create(&body).await;
    assert_eq!(answer["resCd"], "D002", "{answer}");
    assert!(answer["resMsg"]
        .as_str()
        .unwrap()
        .contains("duplicate request"));
    assert_eq!(count_orders(&app).await, 1);
}

async fn a_key_from_an_earlier_seoul_day_counts_as_new(backend: Backend) {
    use easypay_gateway::store::idempotency::{claim, Claim, Endpoint, KeyScope};
    let app = spawn_app(backend).await;
    let db = &app.gateway().db;
    let scope = KeyScope {
        mall_id: MALL_ID,
        endpoint: Endpoint::WechatCreate,
        shop_transaction_id: "k1",
    };
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let mut tx = db.begin_write().await.unwrap();
    let midnight = easypay_api::seoul_time::next_midnight(yesterday);
    assert!(matches!(
        claim(&mut tx, &scope, "h1", yesterday, midnight)
            .await
            .unwrap(),
        Claim::New
    ));
    tx.commit().await.unwrap();

    let now = chrono::Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let next = easypay_api::seoul_time::next_midnight(now);
    assert!(matches!(
        claim(&mut tx, &scope, "h2", now, next).await.unwrap(),
        Claim::New
    ));
    tx.commit().await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    assert!(matches!(
        claim(&mut tx, &scope, "h3", now, next).await.unwrap(),
        Claim::DifferentRequest
    ));
}

/// A partial cancel sent at 23:59 and retried at 00:05 (its `cancelReqDate` still yesterday's,
/// which decision 5 accepts until 00:10) must replay, not cancel again; at 00:10 the key is new.
async fn a_key_used_just_before_midnight_still_replays_in_the_grace_after_it(backend: Backend) {
    use easypay_api::seoul_time::{key_expiry, next_midnight};
    use easypay_gateway::store::idempotency::{claim, Claim, Endpoint, KeyScope, StoredResponse};
    let app = spawn_app(backend).await;
    let db = &app.gateway().db;
    let scope = KeyScope {
        mall_id: MALL_ID,
        endpoint: Endpoint::WechatRevise,
        shop_transaction_id: "cancel-at-midnight",
    };
    let midnight = next_midnight(chrono::Utc::now() - chrono::Duration::days(2));
    let before_midnight = midnight - chrono::Duration::minutes(1);
    let mut tx = db.begin_write().await.unwrap();
    let first = claim(
        &mut tx,
        &scope,
        "h1",
        before_midnight,
        key_expiry(before_midnight),
    );
    assert!(matches!(first.await.unwrap(), Claim::New));
    let answer = StoredResponse {
        response_status: 200,
        response_body: "{\"resCd\":\"0000\"}".into(),
    };
    easypay_gateway::store::idempotency::record(&mut tx, &scope, &answer)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let retry_at = midnight + chrono::Duration::minutes(5);
    let mut tx = db.begin_write().await.unwrap();
    let retried = claim(&mut tx, &scope, "h1", retry_at, key_expiry(retry_at));
    match retried.await.unwrap() {
        Claim::SameRequest(stored) => assert_eq!(stored, answer),
        _ => panic!("a retry at 00:05 must replay the answer of 23:59"),
    }
    drop(tx);

    let after_grace = midnight + chrono::Duration::minutes(10);
    let mut tx = db.begin_write().await.unwrap();
    let reused = claim(&mut tx, &scope, "h2", after_grace, key_expiry(after_grace));
    assert!(matches!(reused.await.unwrap(), Claim::New));
}

pub async fn count_orders(app: &crate::helpers::TestApp) -> i64 {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM payments")
        .fetch_one(app.gateway().db.pool())
        .await
        .unwrap();
    count
}

on_both_backends!(
    a_retry_replays_the_answer_byte_for_byte_and_creates_nothing,
    key_order_whitespace_and_amount_spelling_do_not_matter,
    the_same_key_for_a_different_request_is_refused_and_changes_nothing,
    a_request_that_failed_validation_can_be_corrected_under_the_same_key,
    a_business_failure_replays_as_the_same_failure,
    concurrent_duplicates_make_one_order_and_identical_answers,
    concurrent_different_keys_for_one_order_number_make_one_order,
    keys_are_scoped_per_endpoint_and_per_merchant,
    a_find_retried_with_its_key_replays_the_first_snapshot,
    strict_mode_refuses_every_reuse,
    a_key_from_an_earlier_seoul_day_counts_as_new,
    a_key_used_just_before_midnight_still_replays_in_the_grace_after_it,
);
