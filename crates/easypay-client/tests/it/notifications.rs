//! Notifications really sent by the gateway, verified and acknowledged with the SDK.

use std::time::Duration;

use chrono::Utc;
use easypay_client::webhook::{Notification, WebhookError, WebhookVerifier};
use easypay_client::{Money, TradeType};
use easypay_gateway::sandbox::SANDBOX_WEBHOOK_SECRET;

use crate::gateway::{order_no, start, TestGateway};
use crate::receiver::Receiver;

/// Waits until the gateway has recorded `count` notifications as acknowledged.
async fn acknowledged(gateway: &TestGateway, count: i64) {
    for _ in 0..300 {
        if gateway
            .count("notifications WHERE delivered_at IS NOT NULL")
            .await
            == count
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the gateway did not record {count} acknowledgements");
}

#[tokio::test]
async fn approval_and_cancel_notifications_verify_and_are_acknowledged() {
    let gateway = start().await;
    let client = gateway.client();
    let receiver = Receiver::start().await;
    let order = client
        .create_wechat(
            TradeType::Native,
            &order_no("N"),
            "Green tea",
            Money::krw(1000),
        )
        .return_url("https://shop.example/return")
        .notify_url(&receiver.url)
        .send()
        .await
        .unwrap();
    gateway.wallet(&order.pg_cno, "approve", None).await;

    let arrived = receiver.wait_for(1).await;
    let verified = arrived[0]
        .verified
        .clone()
        .expect("the notification verifies");
    assert!(verified.id.starts_with("msg_"), "{}", verified.id);
    assert!((Utc::now() - verified.timestamp).num_seconds() < 60);
    let Notification::WechatApproval(approval) = &verified.notification else {
        panic!("{verified:?}");
    };
    assert_eq!(approval.pg_cno, order.pg_cno);
    assert_eq!(approval.amount_info.amount, 1000);
    assert_eq!(approval.amount_info.currency, "KRW");
    acknowledged(&gateway, 1).await;

    let cancel = client.cancel_wechat(&order.pg_cno).send().await.unwrap();
    let arrived = receiver.wait_for(2).await;
    let Some(Notification::WechatCancel(cancelled)) =
        arrived[1].verified.as_ref().map(|v| &v.notification)
    else {
        panic!("{:?}", arrived[1]);
    };
    assert_eq!(cancelled.cancel_pg_cno, cancel.cancel_pg_cno);
    assert_eq!(cancelled.amount_info.amount, 1000);
    acknowledged(&gateway, 2).await;
    assert_eq!(
        receiver.wait_for(2).await.len(),
        2,
        "acknowledged once, sent once"
    );
}

#[tokio::test]
async fn an_altered_replayed_or_foreign_notification_is_refused() {
    let gateway = start().await;
    let client = gateway.client();
    let receiver = Receiver::start().await;
    let order = client
        .create_wechat(
            TradeType::Native,
            &order_no("N"),
            "Green tea",
            Money::krw(1000),
        )
        .return_url("https://shop.example/return")
        .notify_url(&receiver.url)
        .send()
        .await
        .unwrap();
    gateway.wallet(&order.pg_cno, "approve", None).await;
    let real = receiver.wait_for(1).await.remove(0);
    let verifier = WebhookVerifier::new(SANDBOX_WEBHOOK_SECRET).unwrap();
    assert!(verifier.verify(&real.headers, &real.body).is_ok());

    let altered = String::from_utf8(real.body.to_vec())
        .unwrap()
        .replace("\"amount\":1000", "\"amount\":10");
    assert_ne!(altered.as_bytes(), &real.body[..]);
    assert_eq!(
        verifier.verify(&real.headers, altered.as_bytes()),
        Err(WebhookError::BadSignature)
    );
    let later = Utc::now() + chrono::Duration::minutes(10);
    assert!(matches!(
        verifier.verify_at(&real.headers, &real.body, later),
        Err(WebhookError::OutsideTolerance { .. })
    ));
    let foreign = WebhookVerifier::new("whsec_YW5vdGhlci1tZXJjaGFudHMta2V5LTI0").unwrap();
    assert_eq!(
        foreign.verify(&real.headers, &real.body),
        Err(WebhookError::BadSignature)
    );
}
