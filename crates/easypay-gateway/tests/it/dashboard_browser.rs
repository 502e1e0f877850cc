//! The sandbox dashboard in a real headless Chromium (issue 7): filter the payments, open a
//! timeline, approve with the button, watch the notification arrive, resend it. Screenshots for
//! the docs with `EASYPAY_SCREENSHOTS=1`.

use std::time::Duration;

use fantoccini::Locator;

use crate::browser::Browser;
use crate::dashboard::seed;
use crate::helpers::{spawn_with, Backend};
use crate::receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_approves_a_payment_and_resends_its_notification() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let app = spawn_with(Backend::Sqlite, crate::notifications::fast_retries).await;
    let receiver = Receiver::start().await;
    let (tea, oolong, card) = seed(&app, &receiver).await;
    let client = &browser.client;

    client.goto(&app.url("/_sandbox/dashboard")).await.unwrap();
    let text = browser.wait_for_text("Payments").await;
    for pg_cno in [&tea, &oolong, &card] {
        assert!(text.contains(pg_cno.as_str()), "{pg_cno} in {text}");
    }
    browser.screenshot("dashboard-payments").await;

    // Filter: pending WeChat orders only.
    client
        .find(Locator::Css("#filter-state option[value=pending]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("form.filters button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let filtered = browser.wait_for_text("2 shown").await;
    assert!(!filtered.contains(&card), "{filtered}");

    // Open the tea order's timeline and approve it with the button.
    client
        .find(Locator::LinkText(&tea))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("Sandbox actions").await;
    client
        .find(Locator::Css("#action-approve"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("approve: the order is now approved")
        .await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let mut text = String::new();
    for _ in 0..50 {
        client.refresh().await.unwrap();
        text = browser.wait_for_text("Timeline").await;
        if text.contains("Notified: attempt 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        text.contains("Paid") && text.contains("acknowledged"),
        "{text}"
    );
    browser.screenshot("dashboard-timeline").await;

    // Resend the notification from the timeline: a new attempt, acknowledged again.
    client
        .find(Locator::Css("#timeline form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("resent: a new cycle").await;
    receiver.wait_for(2, Duration::from_secs(10)).await;
    for _ in 0..50 {
        client.refresh().await.unwrap();
        let text = browser.wait_for_text("Attempts").await;
        if text.matches("acknowledged").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.screenshot("dashboard-notification").await;

    // The notifications tab, filtered to delivered ones.
    client
        .goto(&app.url("/_sandbox/dashboard/notifications?status=delivered"))
        .await
        .unwrap();
    let text = browser.wait_for_text("wechat.approval").await;
    assert!(text.contains(&tea), "{text}");
    browser.screenshot("dashboard-notifications").await;
    client
        .goto(&app.url("/_sandbox/dashboard/keys"))
        .await
        .unwrap();
    browser.wait_for_text("546465********41").await;
    browser.close().await;
}
