//! `POST /api/trades/retrieveTransaction` (kicc-api §3.7): the original answer of an issuance or
//! a charge, without `msgAuthValue`; today and yesterday only.

use chrono::{Duration, Utc};
use easypay_api::seoul_time;
use serde_json::{json, Value};

use crate::card_flow::{
    billing_key, charge, charge_body, execute, issue, issue_body, registered, today, GOOD_CARD,
};
use crate::helpers::{new_key, spawn_app, today_in_seoul_at, Backend, TestApp, MALL_ID};
use crate::on_both_backends;

async fn retrieve(app: &TestApp, shop_transaction_id: &str, date: &str) -> (String, Value) {
    let body = json!({"mallId": MALL_ID, "shopTransactionId": shop_transaction_id, "transactionDate": date});
    let (status, text) = app
        .post_text("/api/trades/retrieveTransaction", &body)
        .await;
    assert_eq!(status, 200, "{text}");
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

fn without_msg_auth(text: &str) -> Value {
    let mut value: Value = serde_json::from_str(text).unwrap();
    value.as_object_mut().unwrap().remove("msgAuthValue");
    value
}

async fn todays_issuance_and_charge_are_found_without_msg_auth_value(backend: Backend) {
    let app = spawn_app(backend).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let body = issue_body(&order, &authorization);
    let (_, issued) = app.post_text("/api/ep9/trades/approval", &body).await;
    let (text, found) = retrieve(&app, body["shopTransactionId"].as_str().unwrap(), &today()).await;
    assert!(!text.contains("msgAuthValue"), "{text}");
    assert_eq!(found, without_msg_auth(&issued));
    // Field order is the original's.
    assert!(
        issued.starts_with(&text[..text.find(",\"transactionDate\"").unwrap()]),
        "{issued}\n{text}"
    );

    let key = serde_json::from_str::<Value>(&issued).unwrap()["paymentInfo"]["cardInfo"]["cardNo"]
        .as_str()
        .unwrap()
        .to_owned();
    let charge_body = charge_body(&key, 3000);
    let (_, charged) = app
        .post_text("/api/trades/approval/batch", &charge_body)
        .await;
    let (text, found) = retrieve(
        &app,
        charge_body["shopTransactionId"].as_str().unwrap(),
        &today(),
    )
    .await;
    assert!(!text.contains("msgAuthValue"));
    assert_eq!(found, without_msg_auth(&charged));
    assert_eq!(found["statusCode"], "TS03");
}

async fn a_decline_is_found_as_the_decline(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, "4579730000085212").await;
    let body = charge_body(&key, 1000);
    let declined = charge(&app, &body).await;
    let (_, found) = retrieve(&app, body["shopTransactionId"].as_str().unwrap(), &today()).await;
    assert_eq!(found, declined);
    assert_eq!(found["resCd"], "8521");
}

async fn yesterday_is_found_under_yesterdays_date_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let body = charge_body(&key, 1000);
    let charged = charge(&app, &body).await;
    let id = body["shopTransactionId"].as_str().unwrap();
    execute(&app, &format!(
        "UPDATE idempotency_keys SET created_at = created_at - 86400000 WHERE shop_transaction_id = '{id}'"
    )).await;
    let yesterday = seoul_time::date(Utc::now() - Duration::days(1));
    let (_, found) = retrieve(&app, id, &yesterday).await;
    assert_eq!(found["pgCno"], charged["pgCno"], "{found}");
    let (_, today_answer) = retrieve(&app, id, &today()).await;
    assert_eq!(today_answer["resCd"], "F003");
}

/// A charge sent in the first minutes after midnight may carry yesterday's `approvalReqDate`
/// (decision 5), and KICC's lookup date is the request's date: it is found under either date.
async fn a_request_sent_just_after_midnight_is_found_under_both_dates(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let body = charge_body(&key, 1000);
    let charged = charge(&app, &body).await;
    let id = body["shopTransactionId"].as_str().unwrap();
    let today_at_0005 = today_in_seoul_at(0, 5).timestamp_millis();
    execute(&app, &format!(
        "UPDATE idempotency_keys SET created_at = {today_at_0005} WHERE shop_transaction_id = '{id}'"
    )).await;
    let yesterday = seoul_time::date(Utc::now() - Duration::days(1));
    for date in [yesterday, today()] {
        let (_, found) = retrieve(&app, id, &date).await;
        assert_eq!(found["pgCno"], charged["pgCno"], "{date}: {found}");
    }
    // Ten minutes after midnight the grace is over: a request first sent then is today's only.
    let today_at_0010 = today_at_0005 + 5 * 60 * 1000;
    execute(&app, &format!(
        "UPDATE idempotency_keys SET created_at = {today_at_0010} WHERE shop_transaction_id = '{id}'"
    )).await;
    let yesterday = seoul_time::date(Utc::now() - Duration::days(1));
    let (_, found) = retrieve(&app, id, &yesterday).await;
    assert_eq!(found["resCd"], "F003", "{found}");
}

/// A key may be used again once its day is over (decision 11); yesterday's charge under it must
/// still be found under yesterday's date, or a merchant recovering a lost answer would take "not
/// found" for "not charged" and never cancel it.
async fn a_key_reused_the_next_day_leaves_yesterdays_charge_findable(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let body = charge_body(&key, 1000);
    let charged = charge(&app, &body).await;
    let id = body["shopTransactionId"].as_str().unwrap();
    let now = Utc::now().timestamp_millis();
    execute(
        &app,
        &format!(
        "UPDATE idempotency_keys SET created_at = created_at - 86400000, expires_at = {now} - 1 \
         WHERE shop_transaction_id = '{id}'"
    ),
    )
    .await;
    // The same key today: a refusal (the order number is taken), then a new charge.
    let refused = charge(&app, &body).await;
    assert_eq!(refused["resCd"], "D001", "{refused}");
    let yesterday = seoul_time::date(Utc::now() - Duration::days(1));
    let (_, found) = retrieve(&app, id, &yesterday).await;
    assert_eq!(found["pgCno"], charged["pgCno"], "{found}");
    let (_, found) = retrieve(&app, id, &today()).await;
    assert_eq!(found["resCd"], "D001", "{found}");
}

async fn nothing_found_is_f003_and_old_dates_v016(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = new_key();
    let (_, answer) = retrieve(&app, &key, &today()).await;
    assert_eq!(
        answer,
        json!({"resCd": "F003", "resMsg": format!("shopTransactionId: no billing-key issuance, charge or card cancel of this merchant used it on {}", today()),
               "shopTransactionId": key, "mallId": MALL_ID})
    );
    let old = seoul_time::date(Utc::now() - Duration::days(2));
    let (_, answer) = retrieve(&app, &key, &old).await;
    assert_eq!(answer["resCd"], "V016", "{answer}");
    let (_, answer) = retrieve(&app, &key, "2026-01-01").await;
    assert_eq!(answer["resCd"], "V014");
    // Another endpoint's key (a removal, a WeChat order) is not a transaction to retrieve.
    let wechat = crate::helpers::create_body("native");
    app.create_ok(&wechat).await;
    let (_, answer) = retrieve(
        &app,
        wechat["shopTransactionId"].as_str().unwrap(),
        &today(),
    )
    .await;
    assert_eq!(answer["resCd"], "F003");
    // And a key is the merchant's own.
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let body = issue_body(&order, &authorization);
    issue(&app, &body).await;
    app.client
        .put(app.url("/_sandbox/merchants/T0000002"))
        .json(&json!({"secretKey": "s"}))
        .send()
        .await
        .unwrap();
    let foreign = json!({"mallId": "T0000002", "shopTransactionId": body["shopTransactionId"], "transactionDate": today()});
    let (_, answer) = app.post("/api/trades/retrieveTransaction", &foreign).await;
    assert_eq!(answer["resCd"], "F003");
}

/// KICC's recovery procedure: after a timeout, look the charge up. While the slow card's issuer is
/// still deciding, the lookup must say so (D003), not that no charge exists (F003).
async fn a_charge_still_being_processed_is_d003_then_found(backend: Backend) {
    let app = spawn_app(backend).await;
    d003_while_charging_then_found(&app, &app).await;
}

/// A slow charge on `working`, looked up on `looking` while the issuer decides (`D003`) and after.
async fn d003_while_charging_then_found(working: &TestApp, looking: &TestApp) {
    let key = billing_key(working, "4579730000030002").await;
    let body = charge_body(&key, 1000);
    let shop_transaction_id = body["shopTransactionId"].as_str().unwrap();
    let look_up_meanwhile = async {
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        retrieve(looking, shop_transaction_id, &today()).await.1
    };
    let (charged, meanwhile) = tokio::join!(charge(working, &body), look_up_meanwhile);
    assert_eq!(meanwhile["resCd"], "D003", "{meanwhile}");
    assert_eq!(meanwhile["shopTransactionId"], shop_transaction_id);
    assert_eq!(charged["resCd"], "0000", "{charged}");
    let (text, found) = retrieve(looking, shop_transaction_id, &today()).await;
    assert_eq!(found, without_msg_auth(&charged.to_string()), "{text}");
}

/// Two gateway processes on one PostgreSQL: the one that is not working on the charge answers the
/// lookup D003 too, never F003 (each process marks its card requests in the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_on_the_same_postgres_answers_d003_too() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let working = spawn_app(backend).await;
    d003_while_charging_then_found(&working, &working.beside().await).await;
}

/// A mark left by a process that died (lapsed) answers no lookup, and the gateway's first removal
/// of a mark sweeps it; the charge's own mark is gone once it is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lapsed_in_flight_marks_answer_nothing_and_are_swept() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let pool = app.gateway().db.pool();
    let lapsed = (Utc::now() - Duration::seconds(1)).timestamp_millis();
    sqlx::query(
        "INSERT INTO requests_in_flight \
         (entry_id, mall_id, endpoint, shop_transaction_id, lapses_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind("died-with-its-process")
    .bind(MALL_ID)
    .bind("card.batch")
    .bind("key-of-a-dead-process")
    .bind(lapsed)
    .execute(pool)
    .await
    .unwrap();
    let (_, answer) = retrieve(&app, "key-of-a-dead-process", &today()).await;
    assert_eq!(answer["resCd"], "F003", "{answer}");

    let key = billing_key(&app, GOOD_CARD).await;
    let charged = charge(&app, &charge_body(&key, 1000)).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
    let mut left = i64::MAX;
    // The removal runs in the background once the answer is sent: wait for it, bounded.
    for _ in 0..100 {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM requests_in_flight")
            .fetch_one(pool)
            .await
            .unwrap();
        left = count;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "marks left behind");
}

/// One key on an issuance and then on a charge the same day: the lookup answers the issuance,
/// whose billing key a later reuse must not hide.
async fn a_key_reused_on_another_card_operation_still_finds_the_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let issuance = issue_body(&order, &authorization);
    let (_, issued) = app.post_text("/api/ep9/trades/approval", &issuance).await;
    let issued: Value = serde_json::from_str(&issued).unwrap();
    let key = issued["paymentInfo"]["cardInfo"]["cardNo"]
        .as_str()
        .unwrap();
    let mut reuse = charge_body(key, 3000);
    reuse["shopTransactionId"] = issuance["shopTransactionId"].clone();
    assert_eq!(charge(&app, &reuse).await["resCd"], "0000");
    let (_, found) = retrieve(
        &app,
        issuance["shopTransactionId"].as_str().unwrap(),
        &today(),
    )
    .await;
    assert_eq!(found, without_msg_auth(&issued.to_string()));
}

on_both_backends!(
    a_charge_still_being_processed_is_d003_then_found,
    a_key_reused_on_another_card_operation_still_finds_the_first,
    todays_issuance_and_charge_are_found_without_msg_auth_value,
    a_decline_is_found_as_the_decline,
    yesterday_is_found_under_yesterdays_date_only,
    a_request_sent_just_after_midnight_is_found_under_both_dates,
    a_key_reused_the_next_day_leaves_yesterdays_charge_findable,
    nothing_found_is_f003_and_old_dates_v016,
);
