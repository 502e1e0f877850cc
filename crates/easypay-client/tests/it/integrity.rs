//! KICC's integrity rules, done by the SDK against the real gateway: a payment approved for
//! another amount is cancelled at once; a payment the merchant cannot record is cancelled.

use easypay_client::{Client, Money, SettleError, TradeType, WechatOrder, WechatStatus};
use serde_json::json;

use crate::gateway::{client_for, order_no, start};
use crate::proxy::{Fault, FaultProxy};

async fn order(client: &Client, amount: Money) -> WechatOrder {
    client
        .create_wechat(TradeType::Native, &order_no("I"), "Green tea", amount)
        .return_url("https://shop.example/return")
        .notify_url("https://shop.example/notify")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_approval_of_another_amount_is_cancelled_at_once() {
    let gateway = start().await;
    let client = gateway.client();
    let order = order(&client, Money::krw(1000)).await;
    gateway
        .wallet(&order.pg_cno, "approve", Some(json!({"amount": 900})))
        .await;

    let error = client
        .confirm_wechat(&order.pg_cno, Money::krw(1000))
        .await
        .unwrap_err();
    let SettleError::AmountMismatch {
        expected,
        approved,
        cancel,
    } = error
    else {
        panic!("{error}");
    };
    assert_eq!((expected, approved), (Money::krw(1000), Money::krw(900)));
    let cancel = cancel.expect("the cancel was accepted");
    assert_eq!(cancel.amount, Some(Money::krw(900)));

    let found = client.find_wechat(&order.pg_cno).await.unwrap();
    assert_eq!(found.response.status_cd.as_deref(), Some("TS02"));
    assert!(matches!(found.status, WechatStatus::Cancelled(_)));
    // Asked again (a duplicate notification), it is no longer approved: nothing more happens.
    assert!(matches!(
        client.confirm_wechat(&order.pg_cno, Money::krw(1000)).await,
        Err(SettleError::NotApproved(WechatStatus::Cancelled(_)))
    ));
    assert_eq!(gateway.count("cancels").await, 1);
}

/// The cancel of another amount is refused (here by a proxy that never forwards it): the payment is
/// still approved, so the settlement must run again (a notification answered with a resend), and
/// run again it cancels.
#[tokio::test]
async fn a_mismatch_whose_cancel_failed_must_be_settled_again() {
    let gateway = start().await;
    let order = order(&gateway.client(), Money::krw(1000)).await;
    gateway
        .wallet(&order.pg_cno, "approve", Some(json!({"amount": 900})))
        .await;
    let refuse_the_cancel = Fault::Reply(r#"{"resCd":"E500","resMsg":"internal error"}"#);
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::Pass, refuse_the_cancel]).await;

    let error = client_for(&proxy.url)
        .confirm_wechat(&order.pg_cno, Money::krw(1000))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SettleError::AmountMismatch { cancel: Err(_), .. }),
        "{error}"
    );
    assert!(error.must_run_again(), "{error}");
    assert!(error.to_string().contains("the cancel FAILED"), "{error}");
    assert_eq!(gateway.count("cancels").await, 0);

    let again = client_for(&proxy.url)
        .confirm_wechat(&order.pg_cno, Money::krw(1000))
        .await
        .unwrap_err();
    assert!(
        matches!(&again, SettleError::AmountMismatch { cancel: Ok(_), .. }),
        "{again}"
    );
    assert!(!again.must_run_again());
    assert_eq!(gateway.count("cancels").await, 1);
}

#[tokio::test]
async fn another_currency_is_a_mismatch_too() {
    let gateway = start().await;
    let client = gateway.client();
    let order = order(&client, Money::usd_cents(1000)).await;
    gateway.wallet(&order.pg_cno, "approve", None).await;
    let error = client
        .confirm_wechat(&order.pg_cno, Money::krw(1000))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SettleError::AmountMismatch { cancel: Ok(_), .. }),
        "{error}"
    );
}

#[tokio::test]
async fn the_right_amount_is_confirmed_and_recorded_without_a_cancel() {
    let gateway = start().await;
    let client = gateway.client();
    let order = order(&client, Money::krw(1000)).await;
    assert!(matches!(
        client.confirm_wechat(&order.pg_cno, Money::krw(1000)).await,
        Err(SettleError::NotApproved(WechatStatus::Pending))
    ));
    gateway.wallet(&order.pg_cno, "approve", None).await;
    let recorded = client
        .settle_wechat(&order.pg_cno, Money::krw(1000), |payment| async move {
            Ok::<_, std::io::Error>(format!("order paid by {}", payment.pg_cno))
        })
        .await
        .unwrap();
    assert_eq!(recorded, format!("order paid by {}", order.pg_cno));
    assert!(matches!(
        client.find_wechat(&order.pg_cno).await.unwrap().status,
        WechatStatus::Approved(_)
    ));
    assert_eq!(gateway.count("cancels").await, 0);
}

#[tokio::test]
async fn a_payment_the_merchant_cannot_record_is_cancelled() {
    let gateway = start().await;
    let client = gateway.client();
    let order = order(&client, Money::krw(1000)).await;
    gateway.wallet(&order.pg_cno, "approve", None).await;
    let error = client
        .settle_wechat(&order.pg_cno, Money::krw(1000), |_payment| async {
            Err::<(), _>(std::io::Error::other("the orders table is locked"))
        })
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("the orders table is locked"),
        "{error}"
    );
    let SettleError::RecordFailed { cancel, .. } = error else {
        panic!("{error}");
    };
    assert_eq!(cancel.unwrap().amount, Some(Money::krw(1000)));
    assert!(matches!(
        client.find_wechat(&order.pg_cno).await.unwrap().status,
        WechatStatus::Cancelled(_)
    ));

    // The same rule on its own, for a payment confirmed earlier.
    let second = self::order(&client, Money::krw(500)).await;
    gateway.wallet(&second.pg_cno, "approve", None).await;
    let payment = client
        .confirm_wechat(&second.pg_cno, Money::krw(500))
        .await
        .unwrap();
    let failed = client
        .record_or_cancel(&payment, async { Err::<(), _>("disk full") })
        .await;
    assert!(matches!(
        failed,
        Err(SettleError::RecordFailed {
            source: "disk full",
            cancel: Ok(_)
        })
    ));
    assert!(matches!(
        client.find_wechat(&second.pg_cno).await.unwrap().status,
        WechatStatus::Cancelled(_)
    ));
}
