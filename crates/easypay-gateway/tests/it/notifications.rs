//! Notifications to merchants (decisions 22–24): exact body, signature, retries after each kind of
//! failure, exhaustion, resend, flush, isolation of slow receivers, target safety.

use std::time::Duration;

use easypay_api::webhook_signature;
use easypay_gateway::config::Config;
use easypay_gateway::notify::schedule::RetrySchedule;
use easypay_gateway::sandbox::{SANDBOX_SECRET_KEY, SANDBOX_WEBHOOK_SECRET};
use serde_json::{json, Value};

use crate::helpers::{create_body, merchant_api, spawn_with, Backend, TestApp, MALL_ID};
use crate::on_both_backends;
use crate::receiver::{Mode, Receiver};

const WAIT: Duration = Duration::from_secs(15);

pub fn fast_retries(config: &mut Config) {
    config.notify.wechat_schedule = RetrySchedule::parse("300ms*3").unwrap();
    config.notify.timeout = Duration::from_millis(800);
    config.notify.poll_interval = Duration::from_millis(50);
}

/// A gateway with [`fast_retries`] but deliveries timing out after `timeout`, and a receiver that
/// answers only after `delay`: attempts to it are caught waiting.
async fn app_and_slow_receiver(
    backend: Backend,
    timeout: Duration,
    delay: Duration,
) -> (TestApp, Receiver) {
    let app = spawn_with(backend, |config| {
        fast_retries(config);
        config.notify.timeout = timeout;
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Slow(delay));
    (app, receiver)
}

/// Creates an order notifying `url` and approves it; answers its `pgCno`.
async fn paid_order(app: &TestApp, url: &str) -> String {
    let mut body = create_body("native");
    body["notifyUrl"] = json!(url);
    let pg_cno = app.create_ok(&body).await;
    assert_eq!(app.sandbox(&pg_cno, "approve").await.0, 200);
    pg_cno
}

/// The notification of an order, with its attempts.
async fn notification_of(app: &TestApp, pg_cno: &str) -> Value {
    let (_, list) = merchant_api(app, reqwest::Method::GET, "/api/notifications?limit=500").await;
    for out_of_range in ["0", "-1", "501", "abc"] {
        let (status, refused) = merchant_api(
            app,
            reqwest::Method::GET,
            &format!("/api/notifications?limit={out_of_range}"),
        )
        .await;
        assert_eq!(
            (status, refused["resCd"].as_str()),
            (200, Some("V010")),
            "{refused}"
        );
    }
    let id = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["pgCno"] == pg_cno)
        .unwrap_or_else(|| panic!("a notification for {pg_cno}: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    merchant_api(
        app,
        reqwest::Method::GET,
        &format!("/api/notifications/{id}"),
    )
    .await
    .1["notification"]
        .clone()
}

/// Waits until the order's notification satisfies `done`.
async fn wait_until(app: &TestApp, pg_cno: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let notification = notification_of(app, pg_cno).await;
        if done(&notification) {
            return notification;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {notification}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The merchant's resend of a notification over the API, and its answer.
async fn resend_answer(app: &TestApp, id: &str) -> (u16, Value) {
    merchant_api(
        app,
        reqwest::Method::POST,
        &format!("/api/notifications/{id}/resend"),
    )
    .await
}

/// The merchant resends a notification over the API, and it is accepted.
async fn resend(app: &TestApp, id: &str) {
    let (status, answer) = resend_answer(app, id).await;
    assert_eq!(
        (status, answer["resCd"].as_str()),
        (200, Some("0000")),
        "{answer}"
    );
}

fn outcomes(notification: &Value) -> Vec<String> {
    notification["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_owned())
        .collect()
}

async fn approval_is_delivered_with_kiccs_body_and_a_valid_signature(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let receiver = Receiver::start().await;
    let mut body = create_body("mweb");
    body["notifyUrl"] = json!(receiver.url);
    let pg_cno = app.create_ok(&body).await;
    app.sandbox(&pg_cno, "approve").await;

    let received = receiver.wait_for(1, WAIT).await.remove(0);
    let sent: Value = serde_json::from_str(&received.body).unwrap();
    let approval_date = sent["approvalDate"].as_str().unwrap().to_owned();
    assert_eq!(approval_date.len(), 14);
    assert_eq!(
        sent,
        json!({
            "resCd": "0000",
            "resMsg": "Success",
            "mallId": MALL_ID,
            "shopOrderNo": body["shopOrderNo"],
            "pgCno": pg_cno,
            "approvalDate": approval_date,
            "amountInfo": {"currency": "KRW", "amount": 1000}
        })
    );
    assert_eq!(
        app.find(&pg_cno).await["approvalDate"],
        approval_date.as_str()
    );
    assert_eq!(
        received.headers["content-type"],
        "application/json; charset=utf-8"
    );
    let id = &received.headers["webhook-id"];
    let timestamp: i64 = received.headers["webhook-timestamp"].parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    assert!(webhook_signature::verify(
        SANDBOX_WEBHOOK_SECRET,
        id,
        timestamp,
        received.body.as_bytes(),
        &received.headers["webhook-signature"]
    ));

    let notification = wait_until(&app, &pg_cno, |n| n["status"] == "delivered").await;
    assert_eq!(&notification["id"], id.as_str());
    assert_eq!(notification["kind"], "wechat.approval");
    assert_eq!(outcomes(&notification), ["acknowledged"]);
    assert_eq!(notification["attempts"][0]["httpStatus"], 200);
    assert_eq!(
        notification["attempts"][0]["responseExcerpt"],
        r#"{"resCd":"0000","resMsg":"OK"}"#
    );
}

async fn each_kind_of_failure_is_retried_until_acknowledged(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let cases = [
        (Mode::Status(500), "http_status"),
        (Mode::Status(404), "http_status"),
        (Mode::NotJson, "not_json"),
        (Mode::Resend5001, "not_acknowledged"),
        (Mode::Slow(Duration::from_millis(1500)), "timeout"),
        (Mode::Reset, "connection_error"),
    ];
    for (mode, outcome) in cases {
        let receiver = Receiver::start().await;
        receiver.set_mode(mode.clone());
        let pg_cno = paid_order(&app, &receiver.url).await;
        receiver.wait_for(1, WAIT).await;
        wait_until(&app, &pg_cno, |n| n["attemptCount"] == 1).await;
        receiver.set_mode(Mode::Ack);
        let notification = wait_until(&app, &pg_cno, |n| n["status"] == "delivered").await;
        assert_eq!(
            outcomes(&notification),
            [outcome, "acknowledged"],
            "{mode:?}"
        );
    }

    let mut receiver = Receiver::stopped().await;
    let pg_cno = paid_order(&app, &receiver.url).await;
    wait_until(&app, &pg_cno, |n| n["attemptCount"] == 1).await;
    receiver.resume().await;
    let notification = wait_until(&app, &pg_cno, |n| n["status"] == "delivered").await;
    assert_eq!(
        outcomes(&notification),
        ["connection_refused", "acknowledged"]
    );
}

async fn a_notification_that_used_all_its_tries_is_failed_then_resent(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Status(503));
    let pg_cno = paid_order(&app, &receiver.url).await;
    let failed = wait_until(&app, &pg_cno, |n| n["status"] == "failed").await;
    assert_eq!(outcomes(&failed), ["http_status"; 4], "1 try and 3 resends");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.received().len(), 4, "nothing after the last try");

    receiver.set_mode(Mode::Ack);
    let id = failed["id"].as_str().unwrap();
    resend(&app, id).await;
    let delivered = wait_until(&app, &pg_cno, |n| n["status"] == "delivered").await;
    assert_eq!(delivered["attemptCount"], 5);
}

/// A void gives the money back: an approval notification not delivered by then would tell the
/// merchant of a payment that no longer stands, so it is withdrawn, and nothing sends it again.
async fn a_void_withdraws_the_approval_notification_not_yet_delivered(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Status(503));
    let pg_cno = paid_order(&app, &receiver.url).await;
    receiver.wait_for(1, WAIT).await;
    assert_eq!(app.sandbox(&pg_cno, "void").await.0, 200);
    let withdrawn = wait_until(&app, &pg_cno, |n| n["status"] == "withdrawn").await;
    // A try already under way when the void committed ends within the delivery timeout.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tried = receiver.received().len();
    receiver.set_mode(Mode::Ack);
    let (status, flushed) = app.post("/_sandbox/notifications/flush", &json!({})).await;
    assert_eq!(status, 200, "{flushed}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        receiver.received().len(),
        tried,
        "nothing sent after the void"
    );
    let id = withdrawn["id"].as_str().unwrap();
    let (status, refused) = resend_answer(&app, id).await;
    assert_eq!(
        (status, refused["resCd"].as_str()),
        (200, Some("S002")),
        "{refused}"
    );
    assert_eq!(notification_of(&app, &pg_cno).await["status"], "withdrawn");
    let (_, listed) = merchant_api(
        &app,
        reqwest::Method::GET,
        "/api/notifications?status=withdrawn",
    )
    .await;
    assert_eq!(listed["notifications"][0]["id"], id, "{listed}");
    // A void of a payment whose approval was delivered leaves it delivered, and it is never sent
    // again either.
    let delivered = paid_order(&app, &receiver.url).await;
    let was = wait_until(&app, &delivered, |n| n["status"] == "delivered").await;
    assert_eq!(app.sandbox(&delivered, "void").await.0, 200);
    assert_eq!(
        notification_of(&app, &delivered).await["status"],
        "delivered"
    );
    let (_, refused) = resend_answer(&app, was["id"].as_str().unwrap()).await;
    assert_eq!(refused["resCd"], "S002", "{refused}");
}

/// A void that commits while an attempt of the approval is under way withdraws it; if that attempt
/// is then acknowledged, the merchant has it, and it is recorded as delivered.
async fn an_approval_acknowledged_after_its_void_is_delivered(backend: Backend) {
    let (app, receiver) =
        app_and_slow_receiver(backend, Duration::from_secs(3), Duration::from_millis(1500)).await;
    let pg_cno = paid_order(&app, &receiver.url).await;
    receiver.wait_for(1, WAIT).await;
    assert_eq!(app.sandbox(&pg_cno, "void").await.0, 200);
    assert_eq!(notification_of(&app, &pg_cno).await["status"], "withdrawn");
    let delivered = wait_until(&app, &pg_cno, |n| n["status"] == "delivered").await;
    assert_eq!(outcomes(&delivered), ["acknowledged"]);
    assert!(delivered["deliveredAt"].is_string(), "{delivered}");
}

async fn a_resend_during_an_attempt_starts_a_new_cycle_after_it(backend: Backend) {
    // The first try is still waiting for its answer (it times out after 3 s) when the merchant
    // resends.
    let (app, receiver) =
        app_and_slow_receiver(backend, Duration::from_secs(3), Duration::from_secs(5)).await;
    let pg_cno = paid_order(&app, &receiver.url).await;
    receiver.wait_for(1, WAIT).await;
    let id = notification_of(&app, &pg_cno).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    resend(&app, &id).await;
    receiver.set_mode(Mode::Status(503));

    let failed = wait_until(&app, &pg_cno, |n| n["status"] == "failed").await;
    assert_eq!(
        outcomes(&failed),
        [
            "timeout",
            "http_status",
            "http_status",
            "http_status",
            "http_status"
        ],
        "the try in flight, then a whole new cycle of 1 try and 3 resends: {failed}"
    );
    assert_eq!(receiver.received().len(), 5);
}

async fn the_notification_api_is_the_merchants_own(backend: Backend) {
    let app = spawn_with(backend, fast_retries).await;
    let receiver = Receiver::start().await;
    let pg_cno = paid_order(&app, &receiver.url).await;
    let id = wait_until(&app, &pg_cno, |n| n["status"] == "delivered").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The body is shown byte for byte as it was sent and signed.
    let shown = app
        .client
        .get(app.url(&format!("/api/notifications/{id}")))
        .basic_auth(MALL_ID, Some(SANDBOX_SECRET_KEY))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sent = &receiver.received()[0].body;
    assert!(
        shown.contains(&format!(r#""body":{sent}"#)),
        "{shown}\n{sent}"
    );

    let anonymous = app
        .client
        .get(app.url("/api/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        r#"Basic realm="easypay", charset="UTF-8""#
    );
    assert_eq!(anonymous.json::<Value>().await.unwrap()["resCd"], "A001");
    let wrong_key = app
        .client
        .get(app.url("/api/notifications"))
        .basic_auth(MALL_ID, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);

    app.client
        .put(app.url("/_sandbox/merchants/T0000003"))
        .json(&json!({"secretKey": "third-secret"}))
        .send()
        .await
        .unwrap();
    let other = app
        .client
        .get(app.url(&format!("/api/notifications/{id}")))
        .basic_auth("T0000003", Some("third-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.json::<Value>().await.unwrap()["resCd"], "F002");
}

async fn flush_attempts_everything_now(backend: Backend) {
    let app = spawn_with(backend, |config| {
        fast_retries(config);
        config.notify.wechat_schedule = RetrySchedule::parse("1h").unwrap();
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.set_mode(Mode::Status(500));
    let pg_cno = paid_order(&app, &receiver.url).await;
    wait_until(&app, &pg_cno, |n| n["attemptCount"] == 1).await;
    receiver.set_mode(Mode::Ack);
    // It takes no fields, but a body that is not a JSON object is refused, as on every POST.
    let (status, refused) = app
        .post_raw("/_sandbox/notifications/flush", "{\"a\":1,\"a\":2}")
        .await;
    assert_eq!((status, refused["resCd"].as_str()), (400, Some("V001")));
    let (status, report) = app.post("/_sandbox/notifications/flush", &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (report["delivered"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    assert_eq!(notification_of(&app, &pg_cno).await["status"], "delivered");
    let (_, report) = app.post("/_sandbox/notifications/flush", &json!({})).await;
    assert_eq!(
        (report["delivered"].as_u64(), report["failed"].as_u64()),
        (Some(0), Some(0))
    );
}

async fn a_slow_receiver_does_not_delay_the_others(backend: Backend) {
    let (app, slow) =
        app_and_slow_receiver(backend, Duration::from_secs(10), Duration::from_secs(4)).await;
    let fast = Receiver::start().await;
    for _ in 0..3 {
        paid_order(&app, &slow.url).await;
    }
    slow.wait_for(3, WAIT).await;
    let started = tokio::time::Instant::now();
    paid_order(&app, &fast.url).await;
    fast.wait_for(1, WAIT).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

/// Outside sandbox mode, internal targets are refused unless allowlisted.
async fn internal_targets_are_refused_outside_sandbox_mode(backend: Backend) {
    use easypay_gateway::domain::wechat_payment::WalletEvent;
    use easypay_gateway::processor::wechat_wallet::{self, OrderRef};
    for (allowlist, expected) in [
        (vec![], "target_refused"),
        (vec!["127.0.0.0/8".parse().unwrap()], "acknowledged"),
    ] {
        let app = spawn_with(backend.clone(), |config| {
            fast_retries(config);
            config.sandbox = false;
            config.notify.policy.allow_internal = false;
            config.notify.policy.allowlist = allowlist;
            config.notify.wechat_schedule = RetrySchedule::parse("").unwrap();
        })
        .await;
        let db = &app.gateway().db;
        easypay_gateway::store::merchants::insert(
            db.pool(),
            &easypay_gateway::domain::merchant::Merchant {
                mall_id: MALL_ID.into(),
                name: "m".into(),
                secret_key: SANDBOX_SECRET_KEY.into(),
                webhook_secret: SANDBOX_WEBHOOK_SECRET.into(),
                noti_url: None,
                active: true,
                created_at: chrono::Utc::now(),
            },
        )
        .await
        .unwrap();
        let receiver = Receiver::start().await;
        for host in ["127.0.0.1", "localhost"] {
            let mut body = create_body("native");
            body["notifyUrl"] = json!(receiver.url.replace("127.0.0.1", host));
            let pg_cno = app.create_ok(&body).await;
            wechat_wallet::apply(db, OrderRef::PgCno(&pg_cno), |p| WalletEvent::Approve {
                amount: p.amount,
            })
            .await
            .unwrap();
            let done = wait_until(&app, &pg_cno, |n| n["status"] != "pending").await;
            assert_eq!(outcomes(&done), [expected], "{host}: {done}");
        }
        let arrived = if expected == "acknowledged" { 2 } else { 0 };
        assert_eq!(receiver.received().len(), arrived);
    }
}

on_both_backends!(
    approval_is_delivered_with_kiccs_body_and_a_valid_signature,
    each_kind_of_failure_is_retried_until_acknowledged,
    a_notification_that_used_all_its_tries_is_failed_then_resent,
    a_resend_during_an_attempt_starts_a_new_cycle_after_it,
    a_void_withdraws_the_approval_notification_not_yet_delivered,
    an_approval_acknowledged_after_its_void_is_delivered,
    the_notification_api_is_the_merchants_own,
    flush_attempts_everything_now,
    a_slow_receiver_does_not_delay_the_others,
    internal_targets_are_refused_outside_sandbox_mode,
);
