//! A request date must be today in Seoul, or yesterday until 00:10 (decision 5), but a resend is
//! judged by when its key was first used: a request first sent at 00:05 with yesterday's date and
//! resent after 00:10 gets its first answer again (decision 10), not `V015` ("nothing was done").
//! So does one first sent before midnight and resent after 00:10, when its key's day is over; and
//! a key's first use is when its request arrived, not when its write ran.

use chrono::{DateTime, Duration, Utc};
use easypay_api::card_batch::BatchApprovalRequest;
use easypay_api::seoul_time;
use easypay_api::wechat_revise::ReviseWechatRequest;
use easypay_gateway::service::idempotent::request_hash;
use serde_json::{json, Value};

use crate::card_flow::{billing_key, charge, charge_body, execute, GOOD_CARD};
use crate::helpers::{
    create_body, spawn_app, spawn_with, strict, today_in_seoul_at, Backend, TestApp,
};
use crate::on_both_backends;
use crate::wechat_cancel::cancel_body;

/// Five past midnight today in Seoul, when yesterday's date was still accepted.
fn today_at_0005() -> DateTime<Utc> {
    today_in_seoul_at(0, 5)
}

fn yesterday() -> String {
    seoul_time::date(Utc::now() - Duration::days(1))
}

/// Makes the key of `body` look first used at 00:05 today for `first_sent`, the same request
/// carrying yesterday's date (as the gateway would have stored it then).
async fn first_sent_at_0005(app: &TestApp, body: &Value, hash: String) {
    let key = body["shopTransactionId"].as_str().unwrap();
    let at = today_at_0005().timestamp_millis();
    execute(
        app,
        &format!(
            "UPDATE idempotency_keys SET created_at = {at}, request_hash = '{hash}' \
             WHERE shop_transaction_id = '{key}'"
        ),
    )
    .await;
}

async fn a_charge_resent_after_0010_with_yesterdays_date_replays(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let body = charge_body(&key, 1000);
    let charged = charge(&app, &body).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
    let mut first = body.clone();
    first["approvalReqDate"] = json!(yesterday());
    let parsed = BatchApprovalRequest::parse(first.as_object().unwrap(), today_at_0005()).unwrap();
    first_sent_at_0005(&app, &body, request_hash(&parsed)).await;

    let replayed = charge(&app, &first).await;
    assert_eq!(replayed, charged, "the first answer, not V015");
    // Another request under the key, or a key never used, still gets V015.
    let mut other = first.clone();
    other["amount"] = json!(2000);
    assert_eq!(charge(&app, &other).await["resCd"], "V015");
    let mut unused = first.clone();
    unused["shopTransactionId"] = json!(crate::helpers::new_key());
    assert_eq!(charge(&app, &unused).await["resCd"], "V015");
}

async fn a_wechat_cancel_resent_after_0010_with_yesterdays_date_replays(backend: Backend) {
    let app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    app.sandbox(&pg_cno, "approve").await;
    let body = cancel_body(&pg_cno, "32", Some(300));
    let (status, cancelled) = app.post("/api/trades/wechatpay/revise", &body).await;
    assert_eq!(
        (status, &cancelled["resCd"]),
        (200, &json!("0000")),
        "{cancelled}"
    );
    let mut first = body.clone();
    first["cancelReqDate"] = json!(yesterday());
    let parsed = ReviseWechatRequest::parse(first.as_object().unwrap(), today_at_0005()).unwrap();
    first_sent_at_0005(&app, &body, request_hash(&parsed)).await;

    let (_, replayed) = app.post("/api/trades/wechatpay/revise", &first).await;
    assert_eq!(
        replayed, cancelled,
        "the first answer (its cancelPgCno: no second cancel), not V015"
    );
}

/// A partial cancel first sent yesterday at 23:58 (its key's day ended at 00:10 today) and resent
/// today unchanged, with yesterday's date: its first answer, and no second cancel. `V015` would
/// say nothing was done, and the re-dated retry it asks for would refund again.
async fn a_cancel_resent_after_its_keys_day_replays(backend: Backend) {
    let app = spawn_app(backend).await;
    let (body, cancelled) = cancelled_yesterday_at_2358(&app).await;
    let (_, replayed) = app.post("/api/trades/wechatpay/revise", &body).await;
    assert_eq!(replayed, cancelled, "the first answer, not V015");
    assert_eq!(
        crate::card_flow::count(&app, "cancels").await,
        1,
        "one cancel"
    );
}

/// Strict idempotency keeps no key past its day: the same resend is a new request with an old
/// date (`V015`), and nothing is cancelled again.
async fn strictly_a_cancel_resent_after_its_keys_day_is_v015(backend: Backend) {
    let app = spawn_with(backend, strict).await;
    let (body, _) = cancelled_yesterday_at_2358(&app).await;
    let (_, refused) = app.post("/api/trades/wechatpay/revise", &body).await;
    assert_eq!(refused["resCd"], "V015", "{refused}");
    assert_eq!(crate::card_flow::count(&app, "cancels").await, 1);
}

/// A cancel of 300, made as if sent at 23:58 yesterday with yesterday's date: its body, and its
/// answer. Its key's day is over.
async fn cancelled_yesterday_at_2358(app: &TestApp) -> (Value, Value) {
    let pg_cno = app.create_ok(&create_body("native")).await;
    app.sandbox(&pg_cno, "approve").await;
    let body = cancel_body(&pg_cno, "32", Some(300));
    let (_, cancelled) = app.post("/api/trades/wechatpay/revise", &body).await;
    assert_eq!(cancelled["resCd"], "0000", "{cancelled}");
    let at_2358 = today_in_seoul_at(0, 0) - Duration::minutes(2);
    let mut first = body.clone();
    first["cancelReqDate"] = json!(yesterday());
    let parsed = ReviseWechatRequest::parse(first.as_object().unwrap(), at_2358).unwrap();
    let (hash, key) = (
        request_hash(&parsed),
        body["shopTransactionId"].as_str().unwrap(),
    );
    let (at, now) = (at_2358.timestamp_millis(), Utc::now().timestamp_millis());
    execute(
        app,
        &format!(
            "UPDATE idempotency_keys SET created_at = {at}, expires_at = {now} - 1, \
             request_hash = '{hash}' WHERE shop_transaction_id = '{key}'"
        ),
    )
    .await;
    (first, cancelled)
}

/// The sandbox's slow card answers after 3 s: its key is first used when the charge arrived (the
/// day retrieveTransaction finds it under, and the moment a resend's date is judged by), not
/// when its write ran after the issuer.
async fn a_keys_first_use_is_when_its_request_arrived(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, "4579730000030002").await;
    let body = charge_body(&key, 1000);
    let sent = Utc::now().timestamp_millis();
    let charged = charge(&app, &body).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
    let first_used = crate::card_flow::key_created_at(&app, &body).await;
    assert!(
        (sent..sent + 1_000).contains(&first_used),
        "first used {} ms after it was sent",
        first_used - sent
    );
}

on_both_backends!(
    a_charge_resent_after_0010_with_yesterdays_date_replays,
    a_wechat_cancel_resent_after_0010_with_yesterdays_date_replays,
    a_cancel_resent_after_its_keys_day_replays,
    strictly_a_cancel_resent_after_its_keys_day_is_v015,
    a_keys_first_use_is_when_its_request_arrived,
);
