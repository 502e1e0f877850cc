//! Recurring charges (`/api/trades/approval/batch`, kicc-api §3.4): the sandbox issuer's
//! approvals and every decline (decision 21), idempotency, and the card approval notification.

use std::time::{Duration, Instant};

use easypay_api::msg_auth;
use easypay_gateway::sandbox::SANDBOX_SECRET_KEY;
use serde_json::{json, Value};

use crate::card_flow::{billing_key, charge, charge_body, GOOD_CARD};
use crate::helpers::{merchant_api, spawn_app, Backend, TestApp, MALL_ID};
use crate::on_both_backends;
use crate::receiver::Receiver;

async fn count_charges(app: &TestApp) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM card_payments")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    count
}

async fn an_approved_charge_answers_the_full_kicc_response(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let body = charge_body(&key, 9900);
    let answer = charge(&app, &body).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    for echoed in ["shopTransactionId", "mallId", "shopOrderNo"] {
        assert_eq!(answer[echoed], body[echoed], "{echoed}");
    }
    let pg_cno = answer["pgCno"].as_str().unwrap();
    let date = answer["transactionDate"].as_str().unwrap();
    assert_eq!((pg_cno.len(), date.len()), (20, 14));
    assert_eq!(answer["amount"], 9900);
    assert_eq!(
        (
            answer["statusCode"].as_str(),
            answer["statusMessage"].as_str()
        ),
        (Some("TS03"), Some("매입요청"))
    );
    assert!(msg_auth::verify(
        SANDBOX_SECRET_KEY,
        &[pg_cno, "9900", date],
        answer["msgAuthValue"].as_str().unwrap()
    ));
    assert_eq!(answer["escrowUsed"], "N");
    let info = &answer["paymentInfo"];
    assert_eq!(
        (
            info["payMethodTypeCode"].as_str(),
            info["approvalDate"].as_str()
        ),
        (Some("11"), Some(date))
    );
    assert_eq!(info["cpCode"], "", "no wallet pays a billing-key charge");
    let card = &info["cardInfo"];
    let van_sno = card["vanSno"].as_str().unwrap();
    assert_eq!(van_sno.len(), 12);
    assert_eq!(
        card,
        &json!({
            "cardNo": "546465********41", "issuerCode": "029", "issuerName": "신한카드",
            "acquirerCode": "029", "acquirerName": "신한카드", "installmentMonth": 0,
            "freeInstallmentTypeCode": "00", "cardGubun": "N", "cardBizGubun": "P",
            "partCancelUsed": "Y", "subCardCd": "", "vanSno": van_sno, "cardMaskNo": "546465********41"
        })
    );
    assert_eq!(count_charges(&app).await, 1);
}

/// The magic cards of docs/cards.md, each with the code it declines with.
const DECLINING_CARDS: [(&str, &str); 6] = [
    ("4579730000085212", "8521"),
    ("4658870000080351", "8035"),
    ("4579730000083142", "8314"),
    ("4579730000083118", "8311"),
    ("4579730000083506", "8350"),
    ("4579730000083738", "8373"),
];

async fn every_magic_card_declines_with_its_code(backend: Backend) {
    let app = spawn_app(backend).await;
    for (card, code) in DECLINING_CARDS {
        let key = billing_key(&app, card).await;
        let body = charge_body(&key, 1000);
        let answer = charge(&app, &body).await;
        assert_eq!(answer["resCd"], code, "{card}: {answer}");
        assert_eq!(answer["shopOrderNo"], body["shopOrderNo"]);
        assert!(answer.get("pgCno").is_none() && answer.get("msgAuthValue").is_none());
    }
    let expired = billing_key(&app, "4579730000083142").await;
    let answer = charge(&app, &charge_body(&expired, 1000)).await;
    assert_eq!(answer["resMsg"], "유효기간 오류: the card has expired");
    assert_eq!(count_charges(&app).await, 0);
}

async fn magic_amounts_decline_any_card(backend: Backend) {
    let app = spawn_app(backend).await;
    let credit = billing_key(&app, GOOD_CARD).await;
    assert_eq!(
        charge(&app, &charge_body(&credit, 10_000_000)).await["resCd"],
        "0000"
    );
    assert_eq!(
        charge(&app, &charge_body(&credit, 10_000_001)).await["resCd"],
        "8521"
    );
    // NH check card (BIN 465887): its sandbox balance is 1,000,000 won.
    let check = billing_key(&app, "4658870000000011").await;
    let answer = charge(&app, &charge_body(&check, 1_000_000)).await;
    assert_eq!(
        answer["paymentInfo"]["cardInfo"]["cardGubun"], "Y",
        "{answer}"
    );
    assert_eq!(
        charge(&app, &charge_body(&check, 1_000_001)).await["resCd"],
        "8035"
    );
}

async fn a_decline_replays_as_the_same_decline(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, "4579730000083506").await;
    let body = charge_body(&key, 1000);
    let first = app.post_text("/api/trades/approval/batch", &body).await;
    let replay = app.post_text("/api/trades/approval/batch", &body).await;
    assert_eq!(first, replay);
    assert!(first.1.contains("\"resCd\":\"8350\""), "{}", first.1);
    // A decline leaves the order number free for a charge on another card.
    let good = billing_key(&app, GOOD_CARD).await;
    let mut retry = charge_body(&good, 1000);
    retry["shopOrderNo"] = body["shopOrderNo"].clone();
    assert_eq!(charge(&app, &retry).await["resCd"], "0000");
}

async fn a_charge_replays_byte_for_byte_and_charges_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let body = charge_body(&key, 5000);
    let answers = futures_util::future::join_all(
        (0..5).map(|_| app.post_text("/api/trades/approval/batch", &body)),
    )
    .await;
    assert!(
        answers.iter().all(|answer| *answer == answers[0]),
        "{answers:?}"
    );
    assert_eq!(count_charges(&app).await, 1);
    let mut other = body.clone();
    other["amount"] = json!(5001);
    assert_eq!(charge(&app, &other).await["resCd"], "D002");
    // Amount as a digit string, keys reordered: the same request.
    let mut same = body.clone();
    same["amount"] = json!("5000");
    assert_eq!(
        app.post_text("/api/trades/approval/batch", &same).await,
        answers[0]
    );
}

async fn order_numbers_are_unique_among_payments(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let body = charge_body(&key, 1000);
    assert_eq!(charge(&app, &body).await["resCd"], "0000");
    let mut again = charge_body(&key, 1000);
    again["shopOrderNo"] = body["shopOrderNo"].clone();
    let answer = charge(&app, &again).await;
    assert_eq!(answer["resCd"], "D001", "{answer}");
    assert_eq!(count_charges(&app).await, 1);
    // The number is the merchant's mistake whatever the card would say: D001, not the issuer's
    // decline, on a card that declines and for an amount over the limit.
    let declining = billing_key(&app, DECLINING_CARDS[0].0).await;
    let mut on_a_declining_card = charge_body(&declining, 1000);
    on_a_declining_card["shopOrderNo"] = body["shopOrderNo"].clone();
    let answer = charge(&app, &on_a_declining_card).await;
    assert_eq!(answer["resCd"], "D001", "{answer}");
    let mut over_the_limit = charge_body(&key, 20_000_000);
    over_the_limit["shopOrderNo"] = body["shopOrderNo"].clone();
    let answer = charge(&app, &over_the_limit).await;
    assert_eq!(answer["resCd"], "D001", "{answer}");
    assert_eq!(count_charges(&app).await, 1);
}

async fn the_slow_card_answers_after_three_seconds(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, "4579730000030002").await;
    let started = Instant::now();
    let answer = charge(&app, &charge_body(&key, 1000)).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// A merchant whose own timeout is shorter than the issuer gives up on the call; the gateway still
/// finishes the charge it started and records it, so the retry with the same key replays it.
async fn a_charge_whose_client_gave_up_is_finished_and_replayed(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, "4579730000030002").await;
    let body = charge_body(&key, 1000);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let gave_up = impatient
        .post(format!("http://{}/api/trades/approval/batch", app.addr))
        .json(&body)
        .send()
        .await;
    assert!(gave_up.is_err(), "the slow issuer answered within 500 ms");
    let deadline = Instant::now() + Duration::from_secs(10);
    while count_charges(&app).await == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count_charges(&app).await, 1, "the charge was not finished");
    let retried = charge(&app, &body).await;
    assert_eq!(retried["resCd"], "0000", "{retried}");
    assert_eq!(count_charges(&app).await, 1, "the retry charged again");
}

async fn charge_fields_are_checked_at_their_limits(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    let check = |pointer: &'static str, value: Value| {
        let mut body = charge_body(&key, 1000);
        *body.pointer_mut(pointer).unwrap() = value;
        body
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            check("/amount", json!(0)),
            "V010",
            "amount: must be greater than 0",
        ),
        (
            check("/amount", json!(1_000_000_000_000u64)),
            "V010",
            "amount: must be at most 999999999999",
        ),
        (
            check("/currency", json!("KRW")),
            "V009",
            r#"currency: must be one of "00" (got "KRW")"#,
        ),
        (
            check("/orderInfo/goodsName", json!("가".repeat(25) + "a")),
            "V004",
            "orderInfo.goodsName: at most 50 bytes (got 51)",
        ),
        (
            check(
                "/orderInfo/customerInfo/customerName",
                json!("가".repeat(10) + "a"),
            ),
            "V004",
            "orderInfo.customerInfo.customerName: at most 20 bytes (got 21)",
        ),
        (
            check(
                "/payMethodInfo/billKeyMethodInfo/batchKey",
                json!("k".repeat(61)),
            ),
            "V004",
            "payMethodInfo.billKeyMethodInfo.batchKey: at most 60 bytes (got 61)",
        ),
        (
            check("/payMethodInfo/cardMethodInfo/installmentMonth", json!(13)),
            "V009",
            r#"payMethodInfo.cardMethodInfo.installmentMonth: must be one of 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 (got 13)"#,
        ),
        (
            check("/payMethodInfo/cardMethodInfo", json!({})),
            "V002",
            "payMethodInfo.cardMethodInfo.installmentMonth: is required",
        ),
        (check("/approvalReqDate", json!("20000101")), "V015", ""),
    ];
    for (body, code, message) in cases {
        let answer = charge(&app, &body).await;
        assert_eq!(answer["resCd"], code, "{answer}");
        if !message.is_empty() {
            assert_eq!(answer["resMsg"], message);
        }
    }
    assert_eq!(count_charges(&app).await, 0);
    // Exactly at the limits passes.
    let mut body = check("/orderInfo/goodsName", json!("가".repeat(25)));
    body["orderInfo"]["customerInfo"]["customerName"] = json!("가".repeat(10));
    body["payMethodInfo"]["cardMethodInfo"] =
        json!({"installmentMonth": 12, "freeInstallmentUsed": true, "joinCd": "J001"});
    body["taxInfo"] = json!({"taxAmount": 900, "freeAmount": 0, "vatAmount": 100});
    let answer = charge(&app, &body).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    assert_eq!(answer["paymentInfo"]["cardInfo"]["installmentMonth"], 12);
    assert_eq!(
        answer["paymentInfo"]["cardInfo"]["freeInstallmentTypeCode"],
        "02"
    );
}

async fn an_approval_notifies_the_merchants_registered_url(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start().await;
    let response = app
        .client
        .put(app.url(&format!("/_sandbox/merchants/{MALL_ID}")))
        .json(&json!({"secretKey": SANDBOX_SECRET_KEY, "notiUrl": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let key = billing_key(&app, "9409150000000019").await;
    let body = charge_body(&key, 12000);
    let answer = charge(&app, &body).await;
    assert_eq!(answer["resCd"], "0000", "{answer}");
    // Declines are not notified.
    let lost = billing_key(&app, "4579730000083506").await;
    assert_eq!(
        charge(&app, &charge_body(&lost, 1000)).await["resCd"],
        "8350"
    );
    // A second key of the same card, charged too: its notification has the same cardnoHash.
    let same_card = billing_key(&app, "9409150000000019").await;
    let again = charge(&app, &charge_body(&same_card, 1000)).await;
    assert_eq!(again["resCd"], "0000", "{again}");
    let other_card = billing_key(&app, GOOD_CARD).await;
    let other = charge(&app, &charge_body(&other_card, 1000)).await;
    assert_eq!(other["resCd"], "0000", "{other}");
    let received = receiver.wait_for(3, Duration::from_secs(15)).await;
    let mut sent: Vec<Value> = received
        .iter()
        .map(|got| serde_json::from_str(&got.body).unwrap())
        .collect();
    sent.sort_by_key(|body| body["pgCno"] != answer["pgCno"]);
    let hash = sent[0]["cardnoHash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 44, "{hash}");
    assert!(!hash.contains("9409150000000019"));
    let hash_of = |pg_cno: &Value| {
        sent.iter().find(|body| body["pgCno"] == *pg_cno).unwrap()["cardnoHash"].clone()
    };
    assert_eq!(hash_of(&again["pgCno"]), json!(hash), "the same card");
    assert_ne!(hash_of(&other["pgCno"]), json!(hash), "another card");
    let sent = sent.swap_remove(0);
    let card = &answer["paymentInfo"]["cardInfo"];
    assert_eq!(
        sent,
        json!({
            "resCd": "0000", "resMsg": "Success", "mallId": MALL_ID, "notiType": "10",
            "pgCno": answer["pgCno"], "shopOrderNo": body["shopOrderNo"], "amount": "12000",
            "approvalNo": answer["paymentInfo"]["approvalNo"], "transactionDate": answer["transactionDate"],
            "cardNo": "940915********19", "issuerCode": "026", "issuerName": "비씨카드",
            "acquirerCode": "026", "acquirerName": "비씨카드", "installmentMonth": "00",
            "freeInstallmentTypeCode": "00", "statusCode": "TS03", "statusMessage": "매입요청",
            "payMethodTypeCode": "11", "partCancelUsed": "Y", "cardGubun": "N", "cardBizGubun": "P",
            "cardMaskNo": "940915********19", "subCardCd": "011", "cardnoHash": hash,
            "vanTid": "", "vanSno": card["vanSno"],
            "customerId": "User123", "customerName": "홍길동", "escrowUsed": "N",
            "complexUsed": "N", "basketUsed": "N"
        })
    );
    assert!(received[0].headers.contains_key("webhook-signature"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3);
}

const WRONG_NOTI_URL: &str = "http://127.0.0.1:9/wrong";

/// Sets the merchant's `notiUrl` (nothing else changes).
async fn register_noti_url(app: &TestApp, noti_url: &str) {
    let response = app
        .client
        .put(app.url(&format!("/_sandbox/merchants/{MALL_ID}")))
        .json(&json!({"notiUrl": noti_url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// A charge notified to a wrong `notiUrl`, after its first try there; answers the notification as
/// listed.
async fn a_charge_notified_to_a_wrong_url(app: &TestApp) -> Value {
    register_noti_url(app, WRONG_NOTI_URL).await;
    let key = billing_key(app, GOOD_CARD).await;
    assert_eq!(charge(app, &charge_body(&key, 1000)).await["resCd"], "0000");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, listed) = merchant_api(app, reqwest::Method::GET, "/api/notifications").await;
        let first = listed["notifications"][0].clone();
        if first["attemptCount"].as_i64().unwrap_or(0) > 0 || Instant::now() > deadline {
            return first;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A merchant registered a wrong notiUrl, then fixed it: resending the notification sends it to the
/// URL registered now.
async fn a_resent_card_notification_goes_to_the_notiurl_registered_now(backend: Backend) {
    let app = spawn_app(backend).await;
    let notification = a_charge_notified_to_a_wrong_url(&app).await;
    let receiver = Receiver::start().await;
    register_noti_url(&app, &receiver.url).await;
    let id = notification["id"].as_str().unwrap();
    let resend = format!("/api/notifications/{id}/resend");
    let (status, _) = merchant_api(&app, reqwest::Method::POST, &resend).await;
    assert_eq!(status, 200);
    let received = receiver.wait_for(1, Duration::from_secs(15)).await;
    assert!(
        received[0].body.contains("\"notiType\":\"10\""),
        "{}",
        received[0].body
    );
}

/// The same, without a resend: the next scheduled try goes to the URL registered by then, and
/// each attempt records where it went.
async fn a_retried_card_notification_follows_the_notiurl_registered_now(backend: Backend) {
    let app = spawn_app(backend).await;
    let notification = a_charge_notified_to_a_wrong_url(&app).await;
    let receiver = Receiver::start().await;
    register_noti_url(&app, &receiver.url).await;
    // The retry's time, now (the card schedule waits 3 minutes).
    let flushed = app
        .client
        .post(app.url("/_sandbox/notifications/flush"))
        .send()
        .await
        .unwrap();
    assert_eq!(flushed.status(), 200);
    receiver.wait_for(1, Duration::from_secs(15)).await;
    let id = notification["id"].as_str().unwrap();
    let (_, shown) = merchant_api(
        &app,
        reqwest::Method::GET,
        &format!("/api/notifications/{id}"),
    )
    .await;
    let notification = &shown["notification"];
    let targets: Vec<&str> = notification["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| attempt["targetUrl"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [WRONG_NOTI_URL, receiver.url.as_str()],
        "{notification}"
    );
    assert_eq!(notification["targetUrl"], receiver.url.as_str());
}

async fn without_a_registered_url_nothing_is_queued(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = billing_key(&app, GOOD_CARD).await;
    assert_eq!(
        charge(&app, &charge_body(&key, 1000)).await["resCd"],
        "0000"
    );
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

on_both_backends!(
    a_resent_card_notification_goes_to_the_notiurl_registered_now,
    a_retried_card_notification_follows_the_notiurl_registered_now,
    an_approved_charge_answers_the_full_kicc_response,
    every_magic_card_declines_with_its_code,
    magic_amounts_decline_any_card,
    a_decline_replays_as_the_same_decline,
    a_charge_replays_byte_for_byte_and_charges_once,
    order_numbers_are_unique_among_payments,
    the_slow_card_answers_after_three_seconds,
    a_charge_whose_client_gave_up_is_finished_and_replayed,
    charge_fields_are_checked_at_their_limits,
    an_approval_notifies_the_merchants_registered_url,
    without_a_registered_url_nothing_is_queued,
);
