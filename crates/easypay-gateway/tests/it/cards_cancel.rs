//! Card cancel (`/api/trades/revise`, kicc-api §3.6): full and partial, KICC's `remainAmount`
//! check, each refusal's own code, idempotency, the `notiType` `20` notification, retrieval,
//! and concurrent partial cancels.

use std::time::Duration;

use easypay_api::msg_auth;
use easypay_gateway::sandbox::SANDBOX_SECRET_KEY;
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::card_flow::{billing_key, charge, charge_body, today, GOOD_CARD};
use crate::helpers::{new_key, spawn_with, Backend, TestApp, MALL_ID};
use crate::notifications::fast_retries;
use crate::on_both_backends;
use crate::receiver::Receiver;

/// A signed card cancel request.
fn revise_body(pg_cno: &str, revise_type: &str, amount: Option<u64>, remain: Option<u64>) -> Value {
    let key = new_key();
    let mut body = json!({
        "mallId": MALL_ID,
        "shopTransactionId": key,
        "pgCno": pg_cno,
        "reviseTypeCode": revise_type,
        "cancelReqDate": today(),
        "msgAuthValue": msg_auth::sign(SANDBOX_SECRET_KEY, &[pg_cno, &key]),
        "clientIp": "127.0.0.1",
        "reviseMessage": "customer asked",
    });
    if let Some(amount) = amount {
        body["amount"] = json!(amount);
    }
    if let Some(remain) = remain {
        body["remainAmount"] = json!(remain);
    }
    body
}

async fn revise(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/api/trades/revise", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// A charge of `amount` on a fresh billing key; answers its `pgCno`.
async fn charged(app: &TestApp, amount: u64) -> String {
    let batch_key = billing_key(app, GOOD_CARD).await;
    let answer = charge(app, &charge_body(&batch_key, amount)).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    answer["pgCno"].as_str().unwrap().to_owned()
}

async fn partial_then_full_cancel_answer_kiccs_fields(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let pg_cno = charged(&app, 10_000).await;
    let part = revise(&app, &revise_body(&pg_cno, "32", Some(4_000), Some(6_000))).await;
    assert_eq!(part["resCd"], "0000", "{part}");
    assert_eq!(part["oriPgCno"], pg_cno);
    assert_eq!(part["statusCode"], "TS06");
    assert_eq!(part["statusMessage"], "부분매입취소");
    assert_eq!(
        (part["cancelAmount"].as_u64(), part["remainAmount"].as_u64()),
        (Some(4_000), Some(6_000))
    );
    assert_eq!(part["cancelPgCno"].as_str().unwrap().len(), 20);
    assert_eq!(part["transactionDate"].as_str().unwrap().len(), 14);
    assert_eq!(part["escrowUsed"], "N");
    assert_eq!(part["reviseInfo"]["payMethodTypeCode"], "11");
    assert_eq!(part["reviseInfo"]["approvalNo"].as_str().unwrap().len(), 8);
    assert!(part["shopOrderNo"].is_string());
    assert!(part.get("msgAuthValue").is_none());

    let full = revise(&app, &revise_body(&pg_cno, "40", None, None)).await;
    assert_eq!(
        (full["statusCode"].as_str(), full["statusMessage"].as_str()),
        (Some("TS02"), Some("승인취소"))
    );
    assert_eq!(
        (full["cancelAmount"].as_u64(), full["remainAmount"].as_u64()),
        (Some(6_000), Some(0))
    );
    let again = revise(&app, &revise_body(&pg_cno, "40", None, None)).await;
    assert_eq!(again["resCd"], "C006", "{again}");
}

async fn each_refusal_has_its_own_code_and_changes_nothing(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let pg_cno = charged(&app, 1_000).await;
    let too_much = revise(&app, &revise_body(&pg_cno, "32", Some(1_001), None)).await;
    assert_eq!(too_much["resCd"], "C007", "{too_much}");
    assert_eq!(
        too_much["resMsg"],
        "amount: 1001 is more than the 1000 that remains"
    );
    let wrong_remain = revise(&app, &revise_body(&pg_cno, "32", Some(100), Some(800))).await;
    assert_eq!(wrong_remain["resCd"], "C008", "{wrong_remain}");
    assert_eq!(
        wrong_remain["resMsg"],
        "remainAmount: 800 is not what would remain after this cancel (900)"
    );
    let full_of_less = revise(&app, &revise_body(&pg_cno, "40", Some(100), None)).await;
    assert_eq!(full_of_less["resCd"], "C008", "{full_of_less}");
    assert_eq!(
        full_of_less["resMsg"],
        "amount: a full cancel takes back the 1000 that remains, not 100; \
         state 1000 or leave amount out"
    );
    let mut forged = revise_body(&pg_cno, "40", None, None);
    forged["msgAuthValue"] = json!(msg_auth::sign("other", &[&pg_cno, "x"]));
    let forged = revise(&app, &forged).await;
    assert_eq!(forged["resCd"], "C009");
    // Named as every card cancel answer names it.
    assert_eq!(forged["oriPgCno"], pg_cno.as_str(), "{forged}");
    assert!(forged.get("pgCno").is_none(), "{forged}");
    let mut stale = revise_body(&pg_cno, "40", None, None);
    stale["cancelReqDate"] = json!("20200101");
    assert_eq!(revise(&app, &stale).await["resCd"], "V015");
    let unknown = revise(&app, &revise_body("00000000000000000000", "40", None, None)).await;
    assert_eq!(unknown["resCd"], "F001");
    let mut refund = revise_body(&pg_cno, "40", None, None);
    refund["reviseTypeCode"] = json!("60");
    assert_eq!(revise(&app, &refund).await["resCd"], "V009");
    let mut no_amount = revise_body(&pg_cno, "32", None, None);
    no_amount.as_object_mut().unwrap().remove("amount");
    assert_eq!(
        revise(&app, &no_amount).await["resMsg"],
        "amount: is required"
    );

    // Nothing was taken back: the whole amount can still be cancelled.
    let full = revise(&app, &revise_body(&pg_cno, "40", Some(1_000), Some(0))).await;
    assert_eq!(full["cancelAmount"], 1_000, "{full}");
    let again = revise(&app, &revise_body(&pg_cno, "40", Some(5), None)).await;
    assert_eq!(again["resCd"], "C006", "{again}");
}

async fn a_retried_cancel_replays_and_is_retrievable(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let pg_cno = charged(&app, 5_000).await;
    let body = revise_body(&pg_cno, "32", Some(2_000), None);
    let first = app.post_text("/api/trades/revise", &body).await;
    assert_eq!(app.post_text("/api/trades/revise", &body).await, first);
    let mut in_uppercase = body.clone();
    in_uppercase["msgAuthValue"] = json!(body["msgAuthValue"].as_str().unwrap().to_uppercase());
    assert_eq!(
        app.post_text("/api/trades/revise", &in_uppercase).await,
        first,
        "a signature in the other hex case is the same request"
    );
    let answer: Value = serde_json::from_str(&first.1).unwrap();
    assert_eq!(answer["remainAmount"], 3_000);

    let lookup = json!({
        "mallId": MALL_ID,
        "shopTransactionId": body["shopTransactionId"],
        "transactionDate": today(),
    });
    let (_, recovered) = app.post("/api/trades/retrieveTransaction", &lookup).await;
    assert_eq!(
        recovered, answer,
        "retrieveTransaction answers the cancel as it was"
    );
    let rest = revise(&app, &revise_body(&pg_cno, "40", None, None)).await;
    assert_eq!(
        rest["cancelAmount"], 3_000,
        "the retry cancelled nothing twice"
    );
}

async fn a_cancel_notifies_the_merchant_with_noti_type_20(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let receiver = Receiver::start().await;
    app.client
        .put(app.url(&format!("/_sandbox/merchants/{MALL_ID}")))
        .json(&json!({"secretKey": SANDBOX_SECRET_KEY, "notiUrl": receiver.url}))
        .send()
        .await
        .unwrap();
    let pg_cno = charged(&app, 7_000).await;
    let answer = revise(&app, &revise_body(&pg_cno, "32", Some(2_500), None)).await;
    let received = receiver.wait_for(2, Duration::from_secs(10)).await;
    let cancel = received
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .find(|body| body["notiType"] == "20")
        .expect("a notiType 20 notification");
    assert_eq!(cancel["pgCno"], pg_cno);
    assert_eq!(cancel["cancelPgCno"], answer["cancelPgCno"]);
    assert_eq!(cancel["amount"], "7000");
    assert_eq!(cancel["cancelAmount"], "2500");
    assert_eq!(cancel["cancelRemainAmount"], "4500");
    assert_eq!(cancel["statusCode"], "TS06");
    assert_eq!(cancel["cancelDate"], answer["transactionDate"]);
    let masked = cancel["cardMaskNo"].as_str().unwrap();
    assert!(
        masked.starts_with("546465") && masked.contains('*'),
        "{masked}"
    );
    assert!(!received.iter().any(|r| r.body.contains(GOOD_CARD)));
}

/// 50 concurrent partial cancels of 300 each with distinct keys, on a 10,000 charge.
async fn concurrent_partial_cancels_never_take_back_more_than_was_paid(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let pg_cno = charged(&app, 10_000).await;
    let bodies: Vec<Value> = (0..50)
        .map(|_| revise_body(&pg_cno, "32", Some(300), None))
        .collect();
    let answers = join_all(bodies.iter().map(|body| revise(&app, body))).await;
    let accepted: Vec<&Value> = answers.iter().filter(|a| a["resCd"] == "0000").collect();
    let taken: u64 = accepted
        .iter()
        .map(|a| a["cancelAmount"].as_u64().unwrap())
        .sum();
    assert_eq!(taken, 9_900, "33 cancels of 300 fit in 10,000");
    assert!(
        answers
            .iter()
            .all(|a| a["resCd"] == "0000" || a["resCd"] == "C007"),
        "{answers:?}"
    );
    let final_remain = accepted
        .iter()
        .map(|a| a["remainAmount"].as_u64().unwrap())
        .min()
        .unwrap();
    assert_eq!(
        taken,
        10_000 - final_remain,
        "accepted cancels = paid - final remainAmount"
    );
    let mut remains: Vec<u64> = accepted
        .iter()
        .map(|a| a["remainAmount"].as_u64().unwrap())
        .collect();
    remains.sort_unstable();
    remains.dedup();
    assert_eq!(
        remains.len(),
        accepted.len(),
        "each cancel saw the one before it"
    );
}

on_both_backends!(
    partial_then_full_cancel_answer_kiccs_fields,
    each_refusal_has_its_own_code_and_changes_nothing,
    a_retried_cancel_replays_and_is_retrievable,
    a_cancel_notifies_the_merchant_with_noti_type_20,
    concurrent_partial_cancels_never_take_back_more_than_was_paid,
);
