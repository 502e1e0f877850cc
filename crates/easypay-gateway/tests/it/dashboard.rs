//! The sandbox dashboard over HTTP (issue 7): lists and their filters, a payment's timeline, the
//! wallet actions and resending, on SQLite and PostgreSQL. The browser test is in
//! `dashboard_browser.rs`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::card_flow::{billing_key, charge, charge_body};
use crate::helpers::{create_body, spawn_app, spawn_with, Backend, TestApp};
use crate::on_both_backends;
use crate::receiver::Receiver;

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// POSTs a dashboard form; answers the status and the `Location` it redirects to.
async fn form(app: &TestApp, path: &str, fields: &str, origin: Option<&str>) -> (u16, String) {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields.to_owned());
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

/// Everything the dashboard shows: two WeChat orders (one notifying `receiver`) and a card charge.
pub async fn seed(app: &TestApp, receiver: &Receiver) -> (String, String, String) {
    let mut body = create_body("native");
    body["notifyUrl"] = json!(receiver.url);
    body["goodsName"] = json!("Green tea");
    let tea = app.create_ok(&body).await;
    let mut body = create_body("mweb");
    body["goodsName"] = json!("Oolong & more");
    let oolong = app.create_ok(&body).await;
    let key = billing_key(app, "5464650012345641").await;
    let charged: Value = charge(app, &charge_body(&key, 15_000)).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
    let card = charged["pgCno"].as_str().unwrap().to_owned();
    (tea, oolong, card)
}

async fn lists_filter_by_method_state_merchant_and_number(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start().await;
    let (tea, oolong, card) = seed(&app, &receiver).await;
    let all = page(&app, "/_sandbox/dashboard").await;
    for needle in [
        tea.as_str(),
        oolong.as_str(),
        card.as_str(),
        "Green tea",
        "Oolong &amp; more",
        "15,000 KRW",
        "월 구독료",
    ] {
        assert!(all.contains(needle), "{needle}");
    }
    let cards = page(&app, "/_sandbox/dashboard?method=card").await;
    assert!(cards.contains(&card) && !cards.contains(&tea));
    let pending = page(&app, "/_sandbox/dashboard?state=pending&method=").await;
    assert!(pending.contains(&tea) && pending.contains(&oolong) && !pending.contains(&card));
    let one = page(&app, &format!("/_sandbox/dashboard?q={}", &tea[8..])).await;
    assert!(one.contains(&tea) && !one.contains(&oolong));
    let other = page(&app, "/_sandbox/dashboard?mallId=T9999999").await;
    assert!(other.contains("No payments match."));

    let keys = page(&app, "/_sandbox/dashboard/keys").await;
    assert!(
        keys.contains("546465********41") && keys.contains(">active<"),
        "{keys}"
    );
    assert!(!keys.contains("5464650012345641"), "never the card number");
    assert!(page(&app, "/_sandbox/dashboard/keys?state=removed")
        .await
        .contains("No billing keys match."));

    app.sandbox(&tea, "approve").await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let wechat = page(
        &app,
        "/_sandbox/dashboard/notifications?kind=wechat.approval",
    )
    .await;
    assert!(wechat.contains(&tea) && wechat.contains("wechat.approval"));
    let none = page(&app, "/_sandbox/dashboard/notifications?kind=card.approval").await;
    assert!(none.contains("No notifications match."));
}

async fn timeline_actions_and_resend(backend: Backend) {
    let app = spawn_with(backend, crate::notifications::fast_retries).await;
    let receiver = Receiver::start().await;
    let (tea, oolong, card) = seed(&app, &receiver).await;

    let (status, location) = form(
        &app,
        &format!("/_sandbox/dashboard/payments/{tea}/approve"),
        "amount=900",
        Some(&app.base_url),
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with(&format!("../{tea}?done=")),
        "{location}"
    );
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let mut timeline = String::new();
    for _ in 0..50 {
        timeline = page(
            &app,
            &format!("/_sandbox/dashboard/payments/{tea}?done=approve"),
        )
        .await;
        if timeline.contains("Notified: attempt 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for needle in [
        "Order created",
        "Paid",
        "the wallet approved 900 KRW",
        "Notification queued: wechat.approval",
        "Notified: attempt 1",
        "acknowledged",
        "action-void",
    ] {
        assert!(timeline.contains(needle), "{needle} in {timeline}");
    }
    // The order in time: created, paid, queued, notified.
    let at = |needle: &str| timeline.find(needle).unwrap();
    assert!(at("Order created") < at("Paid") && at("Paid") < at("Notified: attempt 1"));

    // A refused action says why; a foreign page cannot post.
    let (_, location) = form(
        &app,
        &format!("/_sandbox/dashboard/payments/{tea}/approve"),
        "",
        None,
    )
    .await;
    assert!(
        location.contains("error=") && location.contains("S001"),
        "{location}"
    );
    let flash = page(
        &app,
        &format!("/_sandbox/dashboard/payments/{tea}/{location}"),
    )
    .await;
    assert!(
        flash.contains("the order is approved; the approve action does not apply"),
        "the refusal names the state: {flash}"
    );
    let (status, _) = form(
        &app,
        &format!("/_sandbox/dashboard/payments/{oolong}/decline"),
        "",
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = form(
        &app,
        &format!("/_sandbox/dashboard/payments/{oolong}/decline"),
        "",
        None,
    )
    .await;
    assert_eq!(status, 303);
    let declined = page(&app, &format!("/_sandbox/dashboard/payments/{oolong}")).await;
    assert!(
        declined.contains("Declined by the wallet")
            && declined.contains("No wallet action applies")
    );

    // Resend the delivered notification: a new cycle, delivered again.
    let id = timeline
        .split("../notifications/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let (status, location) = form(
        &app,
        &format!("/_sandbox/dashboard/notifications/{id}/resend"),
        "",
        Some(&app.base_url),
    )
    .await;
    assert_eq!(
        (status, location.starts_with(&format!("../{id}?done="))),
        (303, true)
    );
    receiver.wait_for(2, Duration::from_secs(10)).await;
    let mut shown = String::new();
    for _ in 0..50 {
        shown = page(&app, &format!("/_sandbox/dashboard/notifications/{id}")).await;
        if shown.matches("acknowledged").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(shown.matches("acknowledged").count() >= 2, "{shown}");
    assert!(
        shown.contains("{&quot;resCd&quot;:&quot;0000&quot;"),
        "the body as sent (resCd first), escaped"
    );

    let charged = page(&app, &format!("/_sandbox/dashboard/payments/{card}")).await;
    assert!(charged.contains("Charged (billing key)") && charged.contains("15,000 KRW"));
    let missing = app
        .get("/_sandbox/dashboard/payments/00000000000000000000")
        .await;
    assert_eq!(missing.status(), 200);
    assert!(missing.text().await.unwrap().contains("F001"));
}

/// An order past its pay window is expired on the dashboard as everywhere else: listed under
/// `expired`, not `pending`, with no wallet action offered.
async fn an_order_past_its_window_is_listed_as_expired(backend: Backend) {
    let app = spawn_with(backend, |config| config.order_ttl = Duration::from_secs(1)).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    let pending = page(&app, "/_sandbox/dashboard?state=pending").await;
    assert!(pending.contains(&pg_cno), "{pending}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let pending = page(&app, "/_sandbox/dashboard?state=pending").await;
    assert!(!pending.contains(&pg_cno), "{pending}");
    let expired = page(&app, "/_sandbox/dashboard?state=expired").await;
    assert!(expired.contains(&pg_cno), "{expired}");
    let detail = page(&app, &format!("/_sandbox/dashboard/payments/{pg_cno}")).await;
    assert!(detail.contains(">expired</span>"), "{detail}");
    assert!(detail.contains("No wallet action applies"), "{detail}");
}

on_both_backends!(
    lists_filter_by_method_state_merchant_and_number,
    timeline_actions_and_resend,
    an_order_past_its_window_is_listed_as_expired
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_is_sandbox_only() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.sandbox = false;
        config.notify.policy.allow_internal = false;
    })
    .await;
    assert_eq!(app.get("/_sandbox/dashboard").await.status(), 404);
}
