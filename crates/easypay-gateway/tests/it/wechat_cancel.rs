//! WeChat cancel (`/api/trades/wechatpay/revise`, kicc-api §2.4–2.6): full and partial cancels,
//! each refusal's own code, idempotency, the cancel notification, concurrency.

use std::time::Duration;

use easypay_api::msg_auth;
use easypay_gateway::sandbox::SANDBOX_SECRET_KEY;
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{create_body, new_key, spawn_with, Backend, TestApp, MALL_ID};
use crate::notifications::fast_retries;
use crate::on_both_backends;
use crate::receiver::Receiver;

fn today() -> String {
    easypay_api::seoul_time::date(chrono::Utc::now())
}

/// A signed cancel request.
pub fn cancel_body(pg_cno: &str, revise_type: &str, amount: Option<u64>) -> Value {
    let key = new_key();
    let mut body = json!({
        "mallId": MALL_ID,
        "shopTransactionId": key,
        "pgCno": pg_cno,
        "reviseTypeCode": revise_type,
        "cancelReqDate": today(),
        "msgAuthValue": msg_auth::sign(SANDBOX_SECRET_KEY, &[pg_cno, &key]),
    });
    if let Some(amount) = amount {
        body["amountInfo"] = json!({"currency": "KRW", "totAmount": amount});
    }
    body
}

async fn revise(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/api/trades/wechatpay/revise", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn paid(app: &TestApp, notify_url: &str) -> String {
    let mut body = create_body("native");
    body["notifyUrl"] = json!(notify_url);
    let pg_cno = app.create_ok(&body).await;
    app.sandbox(&pg_cno, "approve").await;
    pg_cno
}

async fn find_cancel(app: &TestApp, pg_cno: &str, cancel_pg_cno: &str) -> Value {
    let body = json!({"mallId": MALL_ID, "shopTransactionId": new_key(), "pgCno": pg_cno, "cancelPgCno": cancel_pg_cno});
    app.post("/api/trades/wechatpay/find", &body).await.1
}

async fn a_full_cancel_is_accepted_notified_and_found(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let receiver = Receiver::start().await;
    let pg_cno = paid(&app, &receiver.url).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let cancel_target = Receiver::start().await;
    let mut body = cancel_body(&pg_cno, "40", None);
    body["notifyUrl"] = json!(cancel_target.url);
    let answer = revise(&app, &body).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    assert_eq!(answer["pgCno"], pg_cno);
    assert_eq!(
        answer["amountInfo"],
        json!({"currency": "KRW", "totAmount": 1000})
    );
    let cancel_pg_cno = answer["cancelPgCno"].as_str().unwrap().to_owned();
    assert_eq!(cancel_pg_cno.len(), 20);

    let notified = cancel_target.wait_for(1, Duration::from_secs(10)).await;
    let sent: Value = serde_json::from_str(&notified[0].body).unwrap();
    let cancel_date = sent["cancelDate"].as_str().unwrap().to_owned();
    assert_eq!(
        sent,
        json!({
            "resCd": "0000", "resMsg": "Success", "mallId": MALL_ID,
            "shopOrderNo": app.find(&pg_cno).await["shopOrderNo"],
            "pgCno": pg_cno, "cancelPgCno": cancel_pg_cno, "cancelDate": cancel_date,
            "amountInfo": {"currency": "KRW", "amount": 1000}
        })
    );
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS02");
    let found = find_cancel(&app, &pg_cno, &cancel_pg_cno).await;
    assert_eq!(found["resCd"], "0000", "{found}");
    assert_eq!(found["cancelStatus"], "TS02");
    assert_eq!(found["transactionDate"], cancel_date.as_str());
    assert_eq!(
        found["amountInfo"],
        json!({"currency": "KRW", "totAmount": 1000})
    );
    assert_eq!(
        find_cancel(&app, &pg_cno, "00000000000000000000").await["resCd"],
        "F004"
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "the cancel went to the cancel's notifyUrl"
    );
}

async fn partial_cancels_take_back_what_remains_and_no_more(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let receiver = Receiver::start().await;
    let pg_cno = paid(&app, &receiver.url).await;
    let first = revise(&app, &cancel_body(&pg_cno, "32", Some(300))).await;
    assert_eq!(first["resCd"], "0000", "{first}");
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS06");
    let found = find_cancel(&app, &pg_cno, first["cancelPgCno"].as_str().unwrap()).await;
    assert_eq!(found["cancelStatus"], "TS06");
    assert!(found["shopOrderNo"].is_string(), "{found}");

    let too_much = revise(&app, &cancel_body(&pg_cno, "32", Some(701))).await;
    assert_eq!(too_much["resCd"], "C007", "{too_much}");
    assert_eq!(
        too_much["resMsg"],
        "amountInfo.totAmount: 701 is more than the 700 that remains"
    );
    let mut usd = cancel_body(&pg_cno, "32", Some(10));
    usd["amountInfo"]["currency"] = json!("USD");
    assert_eq!(revise(&app, &usd).await["resCd"], "C010");
    assert_eq!(
        app.find(&pg_cno).await["statusCd"],
        "TS06",
        "refusals change nothing"
    );

    let wrong_total = revise(&app, &cancel_body(&pg_cno, "40", Some(5))).await;
    assert_eq!(wrong_total["resCd"], "C008", "{wrong_total}");
    assert_eq!(
        wrong_total["resMsg"],
        "amountInfo.totAmount: a full cancel takes back the 700 that remains, not 5; state 700 or leave totAmount out"
    );
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS06");

    let rest = revise(&app, &cancel_body(&pg_cno, "40", Some(700))).await;
    assert_eq!(rest["resCd"], "0000", "{rest}");
    assert_eq!(rest["amountInfo"]["totAmount"], 700);
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS02");
    let again = revise(&app, &cancel_body(&pg_cno, "32", Some(1))).await;
    assert_eq!(again["resCd"], "C006");
    let mut currency_only = cancel_body(&pg_cno, "40", None);
    currency_only["amountInfo"] = json!({"currency": "KRW"});
    let after_all = revise(&app, &currency_only).await;
    assert_eq!(
        after_all["resCd"], "C006",
        "a full cancel may leave totAmount out: {after_all}"
    );
    // The payment's notification plus one per accepted cancel.
    receiver.wait_for(3, Duration::from_secs(10)).await;
}

async fn unpaid_payments_cannot_be_cancelled_each_with_its_own_code(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    for (action, code) in [
        (None, "C001"),
        (Some("decline"), "C002"),
        (Some("expire"), "C003"),
        (Some("customer"), "C004"),
        (Some("void"), "C005"),
    ] {
        let answer = app.create(&create_body("mweb")).await;
        let pg_cno = answer["pgCno"].as_str().unwrap().to_owned();
        match action {
            Some("customer") => {
                let cashier = answer["paymentPageUrl"].as_str().unwrap();
                app.client
                    .post(format!("{cashier}/cancel"))
                    .send()
                    .await
                    .unwrap();
            }
            Some("void") => {
                app.sandbox(&pg_cno, "approve").await;
                app.sandbox(&pg_cno, "void").await;
            }
            Some(action) => {
                app.sandbox(&pg_cno, action).await;
            }
            None => {}
        }
        let before = app.find(&pg_cno).await;
        let refused = revise(&app, &cancel_body(&pg_cno, "40", None)).await;
        assert_eq!(refused["resCd"], code, "{action:?}: {refused}");
        assert!(refused.get("cancelPgCno").is_none());
        let after = app.find(&pg_cno).await;
        assert_eq!(
            (before["resCd"].clone(), before["statusCd"].clone()),
            (after["resCd"].clone(), after["statusCd"].clone())
        );
    }
    let unknown = revise(&app, &cancel_body("00000000000000000000", "40", None)).await;
    assert_eq!(unknown["resCd"], "F001");
}

async fn a_wrong_signature_or_date_changes_nothing_and_can_be_corrected(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let pg_cno = paid(&app, "http://127.0.0.1:9/unused").await;
    let mut body = cancel_body(&pg_cno, "40", None);
    let good = body["msgAuthValue"].clone();
    body["msgAuthValue"] = json!(msg_auth::sign(
        "not-the-secret",
        &[&pg_cno, body["shopTransactionId"].as_str().unwrap()]
    ));
    let refused = revise(&app, &body).await;
    assert_eq!(refused["resCd"], "C009", "{refused}");
    assert_eq!(refused["pgCno"], pg_cno.as_str(), "{refused}");
    body["msgAuthValue"] = json!(good.as_str().unwrap().to_uppercase());
    body["cancelReqDate"] = json!("20200101");
    let stale = revise(&app, &body).await;
    assert_eq!(stale["resCd"], "V015", "{stale}");
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS01");
    body["cancelReqDate"] = json!(today());
    assert_eq!(
        revise(&app, &body).await["resCd"],
        "0000",
        "same key, corrected"
    );
}

async fn a_retried_cancel_never_cancels_twice(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let pg_cno = paid(&app, "http://127.0.0.1:9/unused").await;
    let body = cancel_body(&pg_cno, "32", Some(400));
    let first = app.post_text("/api/trades/wechatpay/revise", &body).await;
    let second = app.post_text("/api/trades/wechatpay/revise", &body).await;
    assert_eq!(first, second);
    let mut in_uppercase = body.clone();
    in_uppercase["msgAuthValue"] = json!(body["msgAuthValue"].as_str().unwrap().to_uppercase());
    let third = app
        .post_text("/api/trades/wechatpay/revise", &in_uppercase)
        .await;
    assert_eq!(
        first, third,
        "a signature in the other hex case is the same request"
    );
    let rest = revise(&app, &cancel_body(&pg_cno, "40", None)).await;
    assert_eq!(rest["amountInfo"]["totAmount"], 600);
}

/// 50 concurrent partial cancels of 30 each, with distinct keys, on a 1,000 payment.
async fn concurrent_partial_cancels_never_take_back_more_than_was_paid(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let pg_cno = paid(&app, "http://127.0.0.1:9/unused").await;
    let bodies: Vec<Value> = (0..50)
        .map(|_| cancel_body(&pg_cno, "32", Some(30)))
        .collect();
    let answers = join_all(bodies.iter().map(|body| revise(&app, body))).await;
    let accepted: u64 = answers
        .iter()
        .filter(|a| a["resCd"] == "0000")
        .map(|a| a["amountInfo"]["totAmount"].as_u64().unwrap())
        .sum();
    assert_eq!(accepted, 990, "33 cancels of 30 fit in 1,000");
    assert!(
        answers
            .iter()
            .all(|a| a["resCd"] == "0000" || a["resCd"] == "C007"),
        "{answers:?}"
    );
    let rest = revise(&app, &cancel_body(&pg_cno, "40", None)).await;
    assert_eq!(
        rest["amountInfo"]["totAmount"], 10,
        "paid - accepted = what remained"
    );
    assert_eq!(app.find(&pg_cno).await["statusCd"], "TS02");
}

on_both_backends!(
    a_full_cancel_is_accepted_notified_and_found,
    partial_cancels_take_back_what_remains_and_no_more,
    unpaid_payments_cannot_be_cancelled_each_with_its_own_code,
    a_wrong_signature_or_date_changes_nothing_and_can_be_corrected,
    a_retried_cancel_never_cancels_twice,
    concurrent_partial_cancels_never_take_back_more_than_was_paid,
);
