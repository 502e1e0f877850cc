//! A request date must be today in Seoul, or yesterday until 00:10 (decision 5), but a resend is
//! judged by when its key was first used: a request first sent at 00:05 with yesterday's date and
//! resent after 00:10 gets its first answer again (decision 10), not `V015` ("nothing was done").

use chrono::{DateTime, Duration, Utc};
use easypay_api::card_batch::BatchApprovalRequest;
use easypay_api::seoul_time;
use easypay_api::wechat_revise::ReviseWechatRequest;
use easypay_gateway::service::idempotent::request_hash;
use serde_json::{json, Value};

use crate::card_flow::{billing_key, charge, charge_body, execute, GOOD_CARD};
use crate::helpers::{create_body, spawn_app, today_in_seoul_at, Backend, TestApp};
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

on_both_backends!(
    a_charge_resent_after_0010_with_yesterdays_date_replays,
    a_wechat_cancel_resent_after_0010_with_yesterdays_date_replays,
);
