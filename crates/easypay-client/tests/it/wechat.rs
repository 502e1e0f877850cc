//! Every WeChat endpoint through the SDK, against the real gateway.

use easypay_api::ResCode;
use easypay_client::{Client, Customer, Error, Money, TradeType, WechatOrder, WechatStatus};

use crate::gateway::{order_no, start};

async fn create(client: &Client, trade_type: TradeType, amount: Money) -> WechatOrder {
    client
        .create_wechat(trade_type, &order_no("W"), "Green tea", amount)
        .return_url("https://shop.example/return")
        .notify_url("https://shop.example/notify")
        .customer(
            Customer::default()
                .name("John Doe")
                .contact_no("01012345678"),
        )
        .send()
        .await
        .expect("the order is created")
}

#[tokio::test]
async fn native_and_mweb_orders_are_created_with_their_page_urls() {
    let gateway = start().await;
    let client = gateway.client();
    let native = create(&client, TradeType::Native, Money::krw(1000)).await;
    assert_eq!(native.pg_cno.len(), 20);
    assert!(
        native
            .payment_page_url
            .starts_with("weixin://wxpay/bizpayurl?pr="),
        "{}",
        native.payment_page_url
    );
    assert_eq!(
        native.response.shop_transaction_id.as_deref(),
        Some(native.shop_transaction_id.as_str())
    );
    let mweb = create(&client, TradeType::Mweb, Money::usd_cents(1203)).await;
    assert!(mweb
        .payment_page_url
        .starts_with(&format!("{}/wechat/cashier/", gateway.url)));
    assert_eq!(gateway.count("payments").await, 2);
}

#[tokio::test]
async fn a_request_that_breaks_a_field_rule_is_not_sent() {
    let gateway = start().await;
    let error = gateway
        .client()
        .create_wechat(TradeType::Native, "ORDER-1", "녹차", Money::krw(1000))
        .return_url("https://shop.example/return")
        .notify_url("https://shop.example/notify")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request: goodsName: must be English only (printable ASCII), got '녹'"
    );
    let missing = gateway
        .client()
        .create_wechat(TradeType::Native, "ORDER-1", "Tea", Money::krw(1000))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "invalid request: returnUrl: is required"
    );
    assert_eq!(gateway.count("payments").await, 0);
}

#[tokio::test]
async fn refusals_carry_their_code_and_the_same_key_replays() {
    let gateway = start().await;
    let client = gateway.client();
    let unknown = client
        .find_wechat("00000000000000000000")
        .await
        .unwrap_err();
    let refusal = unknown.refusal().expect("a refusal");
    assert!(refusal.is(ResCode::TransactionNotFound), "{refusal}");
    assert_eq!(refusal.body["pgCno"], "00000000000000000000");
    assert!(!unknown.outcome_unknown());
    let order = order_no("DUP");
    let send = |key: &str| {
        client
            .create_wechat(TradeType::Native, &order, "Tea", Money::krw(1000))
            .return_url("https://shop.example/return")
            .notify_url("https://shop.example/notify")
            .shop_transaction_id(key)
            .send()
    };
    let first = send("dup-key-1").await.unwrap();
    // The same order number under a new key.
    let duplicate = send("dup-key-2").await.unwrap_err();
    assert!(
        matches!(&duplicate, Error::Refused(r) if r.is(ResCode::DuplicateOrder)),
        "{duplicate}"
    );
    // The same key and request: the first answer again.
    assert_eq!(send("dup-key-1").await.unwrap(), first);
    assert_eq!(gateway.count("payments").await, 1);
}

#[tokio::test]
async fn find_reports_every_state() {
    let gateway = start().await;
    let client = gateway.client();
    let pending = create(&client, TradeType::Native, Money::krw(1000)).await;
    assert_eq!(
        client.find_wechat(&pending.pg_cno).await.unwrap().status,
        WechatStatus::Pending
    );

    gateway.wallet(&pending.pg_cno, "approve", None).await;
    let paid = client.find_wechat(&pending.pg_cno).await.unwrap();
    let WechatStatus::Approved(approval) = &paid.status else {
        panic!("{paid:?}");
    };
    assert_eq!(approval.amount, Money::krw(1000));
    assert_eq!(approval.approval_date.len(), 14);
    assert!(paid.shop_order_no.unwrap().starts_with("W-"));

    gateway.wallet(&pending.pg_cno, "void", None).await;
    assert!(matches!(
        client.find_wechat(&pending.pg_cno).await.unwrap().status,
        WechatStatus::Voided(_)
    ));

    for (action, expected) in [
        ("decline", WechatStatus::Declined { detail: None }),
        ("expire", WechatStatus::Expired),
    ] {
        let order = create(&client, TradeType::Mweb, Money::krw(500)).await;
        gateway.wallet(&order.pg_cno, action, None).await;
        let status = client.find_wechat(&order.pg_cno).await.unwrap().status;
        match (status, expected) {
            (WechatStatus::Declined { detail }, WechatStatus::Declined { .. }) => {
                assert!(detail.is_some_and(|text| !text.contains('%')));
            }
            (status, expected) => assert_eq!(status, expected),
        }
    }

    let abandoned = create(&client, TradeType::Mweb, Money::krw(500)).await;
    reqwest::Client::new()
        .post(format!("{}/cancel", abandoned.payment_page_url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        client.find_wechat(&abandoned.pg_cno).await.unwrap().status,
        WechatStatus::CancelledByCustomer
    );
}

#[tokio::test]
async fn partial_then_full_cancels_are_signed_dated_and_found() {
    let gateway = start().await;
    let client = gateway.client();
    let order = create(&client, TradeType::Native, Money::krw(1000)).await;
    gateway.wallet(&order.pg_cno, "approve", None).await;

    let partial = client
        .cancel_wechat(&order.pg_cno)
        .partial(Money::krw(300))
        .memo("one cup short")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.amount, Some(Money::krw(300)));
    assert_eq!(
        partial.cancel_req_date,
        easypay_client::seoul_date(chrono::Utc::now())
    );
    assert!(matches!(
        client.find_wechat(&order.pg_cno).await.unwrap().status,
        WechatStatus::PartiallyCancelled(_)
    ));
    let found = client
        .find_wechat_cancel(&order.pg_cno, &partial.cancel_pg_cno)
        .await
        .unwrap();
    assert_eq!(found.cancel_status.as_deref(), Some("TS06"));

    let too_much = client
        .cancel_wechat(&order.pg_cno)
        .partial(Money::krw(701))
        .send()
        .await
        .unwrap_err();
    assert!(too_much
        .refusal()
        .unwrap()
        .is(ResCode::CancelExceedsRemaining));

    // Resending the same cancel (same key, same date) replays it: nothing is cancelled twice.
    let again = client
        .cancel_wechat(&order.pg_cno)
        .partial(Money::krw(300))
        .memo("one cup short")
        .shop_transaction_id(&partial.shop_transaction_id)
        .cancel_req_date(&partial.cancel_req_date)
        .send()
        .await
        .unwrap();
    assert_eq!(again.cancel_pg_cno, partial.cancel_pg_cno);

    let rest = client.cancel_wechat(&order.pg_cno).send().await.unwrap();
    assert_eq!(rest.amount, Some(Money::krw(700)));
    assert!(matches!(
        client.find_wechat(&order.pg_cno).await.unwrap().status,
        WechatStatus::Cancelled(_)
    ));
    let found = client
        .find_wechat_cancel(&order.pg_cno, &rest.cancel_pg_cno)
        .await
        .unwrap();
    assert_eq!(found.cancel_status.as_deref(), Some("TS02"));
    assert_eq!(gateway.count("cancels").await, 2);
}

#[tokio::test]
async fn a_cancel_signed_with_another_key_is_refused() {
    let gateway = start().await;
    let order = create(&gateway.client(), TradeType::Native, Money::krw(1000)).await;
    gateway.wallet(&order.pg_cno, "approve", None).await;
    let impostor = Client::new(&gateway.url, "T5102001", "not-the-secret").unwrap();
    let refused = impostor
        .cancel_wechat(&order.pg_cno)
        .send()
        .await
        .unwrap_err();
    assert!(
        refused.refusal().unwrap().is(ResCode::MsgAuthValueMismatch),
        "{refused}"
    );
}
