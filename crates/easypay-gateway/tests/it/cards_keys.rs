//! Billing-key issuance (`/api/ep9/trades/approval`, kicc-api §3.3) and removal
//! (`/api/trades/removeBatchKey`, §3.5).

use chrono::{Duration, Utc};
use easypay_api::{msg_auth, seoul_time};
use easypay_gateway::sandbox::SANDBOX_SECRET_KEY;
use serde_json::{json, Value};
use sqlx::Connection;

use crate::card_flow::{
    billing_key, charge, charge_body, execute, issue, issue_body, registered, remove_body, today,
    GOOD_CARD,
};
use crate::helpers::{new_key, spawn_app, spawn_with, strict, Backend, TestApp};
use crate::on_both_backends;

async fn remove(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/api/trades/removeBatchKey", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn issuance_answers_the_full_kicc_response(backend: Backend) {
    let app = spawn_app(backend).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let body = issue_body(&order, &authorization);
    let answer = issue(&app, &body).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    assert_eq!(answer["resMsg"], "Success");
    assert_eq!(answer["mallId"], body["mallId"]);
    assert_eq!(answer["shopTransactionId"], body["shopTransactionId"]);
    assert_eq!(answer["shopOrderNo"], order);
    let pg_cno = answer["pgCno"].as_str().unwrap();
    assert_eq!(pg_cno.len(), 20);
    assert!(pg_cno.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(answer["amount"], 0);
    let date = answer["transactionDate"].as_str().unwrap();
    assert_eq!(date.len(), 14);
    assert!(date.starts_with(&today()));
    assert!(msg_auth::verify(
        SANDBOX_SECRET_KEY,
        &[pg_cno, "0", date],
        answer["msgAuthValue"].as_str().unwrap()
    ));
    assert_eq!(answer["escrowUsed"], "N");
    let info = &answer["paymentInfo"];
    assert_eq!(info["payMethodTypeCode"], "11");
    assert_eq!(info["approvalNo"].as_str().unwrap().len(), 8);
    assert_eq!(info["approvalDate"], date);
    let card = &info["cardInfo"];
    let key = card["cardNo"].as_str().unwrap();
    assert_eq!(key.len(), 20, "{key}");
    assert_eq!(
        card,
        &json!({
            "cardNo": key, "issuerCode": "029", "issuerName": "신한카드", "acquirerCode": "029",
            "acquirerName": "신한카드", "installmentMonth": 0, "cardGubun": "N", "cardBizGubun": "P",
            "partCancelUsed": "Y", "subCardCd": "", "cardMaskNo": "546465********41"
        })
    );
}

async fn an_authorization_id_issues_one_key_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    assert_eq!(
        issue(&app, &issue_body(&order, &authorization)).await["resCd"],
        "0000"
    );
    let again = issue(&app, &issue_body(&order, &authorization)).await;
    assert_eq!(again["resCd"], "B002", "{again}");
    assert_eq!(
        again["resMsg"],
        "authorizationId: already used to issue a billing key"
    );
    assert_eq!(again["shopOrderNo"], order);
    assert!(again.get("pgCno").is_none() && again.get("paymentInfo").is_none());
}

async fn concurrent_issuances_make_one_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let bodies: Vec<Value> = (0..6).map(|_| issue_body(&order, &authorization)).collect();
    let answers = futures_util::future::join_all(bodies.iter().map(|body| issue(&app, body))).await;
    let codes: Vec<&str> = answers
        .iter()
        .map(|a| a["resCd"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.iter().filter(|code| **code == "0000").count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|code| **code == "B002").count(),
        5,
        "{codes:?}"
    );
}

async fn unknown_foreign_mismatched_and_lapsed_authorizations_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let answer = issue(
        &app,
        &issue_body(&order, "0123456789abcdef0123456789abcdef"),
    )
    .await;
    assert_eq!(
        (answer["resCd"].as_str(), answer["resMsg"].as_str()),
        (
            Some("B001"),
            Some("authorizationId: no completed card registration of this merchant has it")
        )
    );
    // Another merchant's registration is as unknown as no registration.
    let response = app
        .client
        .put(app.url("/_sandbox/merchants/T0000002"))
        .json(&json!({"secretKey": "other-secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut foreign = issue_body(&order, &authorization);
    foreign["mallId"] = json!("T0000002");
    assert_eq!(issue(&app, &foreign).await["resCd"], "B001");
    let answer = issue(&app, &issue_body("OTHER-ORDER", &authorization)).await;
    assert_eq!(answer["resCd"], "B004", "{answer}");
    assert_eq!(
        answer["resMsg"],
        "shopOrderNo: the card registration was opened with another shopOrderNo than OTHER-ORDER"
    );
    // 30 minutes after the registration the authorizationId has lapsed.
    execute(&app, &format!(
        "UPDATE billing_registrations SET completed_at = completed_at - 1800000 WHERE authorization_id = '{authorization}'"
    )).await;
    let answer = issue(&app, &issue_body(&order, &authorization)).await;
    assert_eq!(answer["resCd"], "B003", "{answer}");
    // Nothing can use its card any more: the sweep a gateway runs at start (then every minute)
    // erases it. A registration still within its 30 minutes keeps its card, and issues.
    let (fresh_order, fresh) = registered(&app, GOOD_CARD).await;
    let mut app = app;
    app.restart().await;
    let holds_a_card = |authorization: String| {
        let url = app.database_url.clone();
        async move {
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            let (held,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM billing_registrations \
                 WHERE authorization_id = $1 AND card_sealed IS NOT NULL",
            )
            .bind(authorization)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            held == 1
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while holds_a_card(authorization.clone()).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the lapsed card was kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        issue(&app, &issue_body(&order, &authorization)).await["resCd"],
        "B003"
    );
    assert!(holds_a_card(fresh.clone()).await);
    let answer = issue(&app, &issue_body(&fresh_order, &fresh)).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
}

async fn the_request_date_must_be_today_in_seoul(backend: Backend) {
    let app = spawn_app(backend).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let mut body = issue_body(&order, &authorization);
    body["approvalReqDate"] = json!(seoul_time::date(Utc::now() - Duration::days(2)));
    let answer = issue(&app, &body).await;
    assert_eq!(answer["resCd"], "V015", "{answer}");
    body["approvalReqDate"] = json!("2026-1-1");
    assert_eq!(issue(&app, &body).await["resCd"], "V014");
    // Refused requests store nothing: the same key works once corrected.
    body["approvalReqDate"] = json!(today());
    assert_eq!(issue(&app, &body).await["resCd"], "0000");
}

async fn issuance_replays_byte_for_byte_and_refuses_other_requests_under_its_key(backend: Backend) {
    let app = spawn_app(backend.clone()).await;
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    let body = issue_body(&order, &authorization);
    let first = app.post_text("/api/ep9/trades/approval", &body).await;
    let replay = app.post_text("/api/ep9/trades/approval", &body).await;
    assert_eq!(first, replay);
    let mut other = body.clone();
    other["shopOrderNo"] = json!("ANOTHER-ORDER");
    let answer = issue(&app, &other).await;
    assert_eq!(answer["resCd"], "D002");
    assert_eq!(answer["shopTransactionId"], body["shopTransactionId"]);
    // Strict mode refuses even the identical retry.
    let strict_app = spawn_with(backend, strict).await;
    let (order, authorization) = registered(&strict_app, GOOD_CARD).await;
    let body = issue_body(&order, &authorization);
    assert_eq!(issue(&strict_app, &body).await["resCd"], "0000");
    assert_eq!(issue(&strict_app, &body).await["resCd"], "D002");
}

async fn a_removed_key_cannot_be_charged_or_removed_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    assert_eq!(
        charge(&app, &charge_body(&key, 1000)).await["resCd"],
        "0000"
    );
    let body = remove_body(&key);
    let answer = remove(&app, &body).await;
    assert_eq!(
        answer,
        json!({"resCd": "0000", "resMsg": "Success", "shopTransactionId": body["shopTransactionId"],
               "mallId": body["mallId"], "removeReqDate": today()})
    );
    // The same removal again replays; a new one is told the key is gone.
    assert_eq!(remove(&app, &body).await, answer);
    let again = remove(&app, &remove_body(&key)).await;
    assert_eq!(
        (again["resCd"].as_str(), again["resMsg"].as_str()),
        (Some("B006"), Some("batchKey: already removed"))
    );
    let charged = charge(&app, &charge_body(&key, 1000)).await;
    assert_eq!(charged["resCd"], "B006", "{charged}");
    assert_eq!(
        charged["resMsg"],
        "payMethodInfo.billKeyMethodInfo.batchKey: the billing key was removed"
    );
    // The customer withdrew the card: its sealed number and expiry are gone from the database.
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let (sealed,): (String,) =
        sqlx::query_as("SELECT card_sealed FROM billing_keys WHERE batch_key = $1")
            .bind(&key)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(sealed, "");
    // A gateway still starts on the database, and other keys still charge.
    let mut app = app;
    app.restart().await;
    let other = billing_key(&app, GOOD_CARD).await;
    assert_eq!(
        charge(&app, &charge_body(&other, 1000)).await["resCd"],
        "0000"
    );
}

async fn unknown_keys_are_b005(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = remove(&app, &remove_body("no-such-key")).await;
    assert_eq!(answer["resCd"], "B005", "{answer}");
    assert_eq!(answer["removeReqDate"], today());
    let answer = charge(&app, &charge_body("no-such-key", 1000)).await;
    assert_eq!(answer["resCd"], "B005", "{answer}");
    // A key belongs to its merchant.
    let key = billing_key(&app, GOOD_CARD).await;
    app.client
        .put(app.url("/_sandbox/merchants/T0000002"))
        .json(&json!({"secretKey": "s"}))
        .send()
        .await
        .unwrap();
    let mut body = charge_body(&key, 1000);
    body["mallId"] = json!("T0000002");
    assert_eq!(charge(&app, &body).await["resCd"], "B005");
}

async fn removal_fields_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = remove_body(&"k".repeat(61));
    assert_eq!(
        remove(&app, &body).await["resMsg"],
        "batchKey: at most 60 bytes (got 61)"
    );
    body["batchKey"] = json!("k".repeat(60));
    body["removeReqDate"] = json!("20200101");
    let answer = remove(&app, &body).await;
    assert_eq!(answer["resCd"], "V015");
    assert_eq!(
        answer["resMsg"],
        format!(
            "removeReqDate: must be today in Seoul ({}), as yyyyMMdd (yesterday's date only until 00:10)",
            today()
        )
    );
    body["removeReqDate"] = json!(today());
    body["shopTransactionId"] = json!(new_key() + &"x".repeat(60));
    assert_eq!(remove(&app, &body).await["resCd"], "V004");
}

/// Every gateway on one database must hold the same card key: one started with another refuses to
/// start, rather than fail every charge of a stored billing key; one with the same key starts.
async fn a_gateway_with_another_card_key_refuses_to_start(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let mut other_key = app.config().clone();
    other_key.card_key = Some("YW5vdGhlci1jYXJkLWtleS1vZi0zMi1ieXRlcyEhISE=".into());
    let refused = easypay_gateway::app::start(other_key.clone())
        .await
        .err()
        .expect("another card key is refused");
    assert!(
        format!("{refused:#}").contains("sealed with another card key"),
        "{refused:#}"
    );
    // A database from before the check (no fingerprint yet, card data stored): only a key that
    // opens the stored data is recorded.
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("DELETE FROM card_key_check")
        .execute(&mut conn)
        .await
        .unwrap();
    let refused = easypay_gateway::app::start(other_key)
        .await
        .err()
        .expect("a key that does not open the stored cards is refused");
    assert!(
        format!("{refused:#}").contains("sealed with another card key"),
        "{refused:#}"
    );
    // No key file where one is expected, on a database whose cards are sealed: a new random key
    // could open none of them, so none is made.
    let mut missing_file = app.config().clone();
    let missing = app
        .config()
        .card_key_file
        .as_ref()
        .unwrap()
        .with_file_name("missing.key");
    missing_file.card_key_file = Some(missing.clone());
    let refused = easypay_gateway::app::start(missing_file)
        .await
        .err()
        .expect("a missing key file is refused");
    assert!(
        format!("{refused:#}").contains("no card key file at"),
        "{refused:#}"
    );
    assert!(!missing.exists(), "no new key was made");
    let same_key = app.beside().await;
    let charged = charge(&same_key, &charge_body(&key, 1000)).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
}

on_both_backends!(
    a_gateway_with_another_card_key_refuses_to_start,
    issuance_answers_the_full_kicc_response,
    an_authorization_id_issues_one_key_only,
    concurrent_issuances_make_one_key,
    unknown_foreign_mismatched_and_lapsed_authorizations_are_refused,
    the_request_date_must_be_today_in_seoul,
    issuance_replays_byte_for_byte_and_refuses_other_requests_under_its_key,
    a_removed_key_cannot_be_charged_or_removed_again,
    unknown_keys_are_b005,
    removal_fields_are_checked,
);
