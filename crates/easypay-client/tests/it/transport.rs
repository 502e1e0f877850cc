//! Transport through a fault-injecting proxy: answers lost after the gateway committed are
//! recovered by retrying with the same key, and nothing happens twice; definitive answers are
//! never retried; a call without a key is not retried once sent.

use std::time::Duration;

use easypay_api::ResCode;
use easypay_client::{Client, Error, Money, RetryPolicy, TradeType, WechatOrder};
use easypay_gateway::config::IdempotencyMode;
use easypay_gateway::sandbox::{SANDBOX_MALL_ID, SANDBOX_SECRET_KEY};

use crate::cardholder::{billing_key_for, CARD};
use crate::gateway::{order_no, quick_retries, start, start_with};
use crate::proxy::{Fault, FaultProxy, Seen};

/// A client through the proxy, with a short timeout so that a hang costs one second.
fn client_via(proxy: &FaultProxy, retry: RetryPolicy) -> Client {
    Client::builder(&proxy.url, SANDBOX_MALL_ID, SANDBOX_SECRET_KEY)
        .timeout(Duration::from_secs(1))
        .retry(retry)
        .build()
        .unwrap()
}

async fn create(client: &Client, shop_order_no: &str) -> Result<WechatOrder, Error> {
    client
        .create_wechat(
            TradeType::Native,
            shop_order_no,
            "Green tea",
            Money::krw(1000),
        )
        .return_url("https://shop.example/return")
        .notify_url("https://shop.example/notify")
        .send()
        .await
}

fn keys(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| s.body["shopTransactionId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_answer_lost_after_the_gateway_committed_is_recovered_by_the_same_key() {
    let gateway = start().await;
    for (done, fault) in [
        Fault::HangAfterForward,
        Fault::StatusAfterForward(502),
        Fault::ResetAfterForward,
    ]
    .into_iter()
    .enumerate()
    {
        let proxy = FaultProxy::start(&gateway.url, vec![fault.clone()]).await;
        let order = create(&client_via(&proxy, quick_retries()), &order_no("T"))
            .await
            .unwrap_or_else(|error| panic!("{fault:?}: {error}"));
        let seen = proxy.seen();
        assert_eq!(seen.len(), 2, "{fault:?}: one retry");
        assert_eq!(keys(&seen), vec![order.shop_transaction_id.clone(); 2]);
        let committed = seen[0]
            .answer
            .as_ref()
            .expect("the first attempt reached the gateway");
        assert_eq!(
            committed["pgCno"],
            order.pg_cno.as_str(),
            "{fault:?}: the replayed answer"
        );
        assert_eq!(
            gateway.count("payments").await,
            done as i64 + 1,
            "{fault:?}: one payment"
        );
    }
}

#[tokio::test]
async fn in_progress_is_retried_until_the_answer_comes() {
    let gateway = start().await;
    let busy = r#"{"resCd":"D003","resMsg":"a request with this shopTransactionId is still being processed"}"#;
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::Reply(busy), Fault::Reply(busy)]).await;
    let order = create(&client_via(&proxy, quick_retries()), &order_no("T"))
        .await
        .unwrap();
    let seen = proxy.seen();
    assert_eq!(keys(&seen), vec![order.shop_transaction_id; 3]);
    assert_eq!(gateway.count("payments").await, 1);
}

#[tokio::test]
async fn still_in_progress_after_every_attempt_is_an_unknown_outcome() {
    let gateway = start().await;
    let busy = r#"{"resCd":"D003","resMsg":"a request with this shopTransactionId is still being processed"}"#;
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::Reply(busy); 4]).await;
    let error = create(&client_via(&proxy, quick_retries()), &order_no("T"))
        .await
        .unwrap_err();
    let Error::InProgress {
        attempts: 4,
        shop_transaction_id: Some(key),
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert!(error.outcome_unknown() && error.refusal().is_none());
    assert_eq!(keys(&proxy.seen()), vec![key.clone(); 4]);
}

#[tokio::test]
async fn definitive_answers_are_never_retried() {
    let gateway = start().await;
    let used = r#"{"resCd":"D002","resMsg":"shopTransactionId: already used for another request"}"#;
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::Reply(used)]).await;
    let error = create(&client_via(&proxy, quick_retries()), &order_no("T"))
        .await
        .unwrap_err();
    assert!(error.refusal().unwrap().is(ResCode::DuplicateRequest));
    assert_eq!(proxy.seen().len(), 1);

    let proxy = FaultProxy::start(&gateway.url, vec![Fault::StatusAfterForward(404)]).await;
    let error = create(&client_via(&proxy, quick_retries()), &order_no("T"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::HttpStatus {
                status: 404,
                attempts: 1,
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.outcome_unknown());
    assert_eq!(proxy.seen().len(), 1);
}

#[tokio::test]
async fn after_the_last_attempt_the_key_resends_the_call_later() {
    let gateway = start().await;
    let faults = vec![Fault::StatusAfterForward(502); 4];
    let proxy = FaultProxy::start(&gateway.url, faults).await;
    let shop_order_no = order_no("T");
    let error = create(&client_via(&proxy, quick_retries()), &shop_order_no)
        .await
        .unwrap_err();
    let Error::HttpStatus {
        status: 502,
        attempts: 4,
        shop_transaction_id: Some(key),
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert!(error.outcome_unknown());
    assert_eq!(keys(&proxy.seen()), vec![key.clone(); 4]);
    // Later, straight to the gateway: the same key gets the answer of the first attempt.
    let order = gateway
        .client()
        .create_wechat(
            TradeType::Native,
            &shop_order_no,
            "Green tea",
            Money::krw(1000),
        )
        .return_url("https://shop.example/return")
        .notify_url("https://shop.example/notify")
        .shop_transaction_id(key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        proxy.seen()[0].answer.as_ref().unwrap()["pgCno"],
        order.pg_cno.as_str()
    );
    assert_eq!(gateway.count("payments").await, 1);
}

#[tokio::test]
async fn connection_refused_is_retried_and_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder(&closed, SANDBOX_MALL_ID, SANDBOX_SECRET_KEY)
        .retry(quick_retries())
        .build()
        .unwrap();
    let error = create(&client, &order_no("T")).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Transport {
                attempts: 4,
                shop_transaction_id: Some(_),
                ..
            }
        ),
        "{error}"
    );
    assert!(error.outcome_unknown());
    // The message says why, not only where.
    assert!(
        error.to_string().to_lowercase().contains("refused"),
        "{error}"
    );
}

#[tokio::test]
async fn a_registration_window_is_not_retried_once_sent() {
    let gateway = start().await;
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::ResetAfterForward]).await;
    let error = client_via(&proxy, quick_retries())
        .open_billing_window(&order_no("REG"), "Monthly plan", "https://shop.example/r")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Transport {
                attempts: 1,
                shop_transaction_id: None,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(proxy.seen().len(), 1);
    assert_eq!(gateway.count("billing_registrations").await, 1);
}

#[tokio::test]
async fn a_lost_charge_is_retried_or_recovered_and_charged_once() {
    let gateway = start().await;
    let client = gateway.client();
    let key = billing_key_for(&client, CARD).await;

    // Retried under the same key.
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::HangAfterForward]).await;
    let charged = client_via(&proxy, quick_retries())
        .charge(&key, &order_no("SUB"), "Monthly plan", 9_900)
        .send()
        .await
        .unwrap();
    assert!(!charged.recovered);
    assert_eq!(
        keys(&proxy.seen()),
        vec![charged.shop_transaction_id.clone(); 2]
    );
    assert_eq!(gateway.count("card_payments").await, 1);

    // No retry allowed: the lost answer is recovered through retrieveTransaction.
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::ResetAfterForward]).await;
    let charged = client_via(&proxy, RetryPolicy::none())
        .charge(&key, &order_no("SUB"), "Monthly plan", 9_900)
        .send()
        .await
        .unwrap();
    assert!(charged.recovered);
    let seen = proxy.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/trades/approval/batch",
            "/api/trades/retrieveTransaction"
        ]
    );
    assert_eq!(
        seen[0].answer.as_ref().unwrap()["pgCno"],
        charged.pg_cno.as_str()
    );
    assert_eq!(gateway.count("card_payments").await, 2);
}

/// A gateway that refuses every reuse of a key (`--idempotency strict`, KICC's wording) answers
/// a retry `D002`: the first attempt got through, so the outcome is unknown, never a refusal. A
/// charge is then recovered through retrieveTransaction; a create says so, with its key.
#[tokio::test]
async fn a_retry_refused_as_a_duplicate_is_an_unknown_outcome() {
    let gateway = start_with(|config| config.idempotency = IdempotencyMode::Strict).await;
    let client = gateway.client();
    let key = billing_key_for(&client, CARD).await;
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::HangAfterForward]).await;
    let charged = client_via(&proxy, quick_retries())
        .charge(&key, &order_no("SUB"), "Monthly plan", 9_900)
        .send()
        .await
        .unwrap();
    assert!(charged.recovered);
    let seen = proxy.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/trades/approval/batch",
            "/api/trades/approval/batch",
            "/api/trades/retrieveTransaction"
        ]
    );
    assert_eq!(seen[1].answer.as_ref().unwrap()["resCd"], "D002");
    assert_eq!(gateway.count("card_payments").await, 1);

    let proxy = FaultProxy::start(&gateway.url, vec![Fault::HangAfterForward]).await;
    let error = create(&client_via(&proxy, quick_retries()), &order_no("T"))
        .await
        .unwrap_err();
    let sent = keys(&proxy.seen());
    assert!(
        matches!(&error, Error::DuplicateOnRetry { attempts: 2, .. }),
        "{error}"
    );
    assert!(error.outcome_unknown());
    assert_eq!(error.shop_transaction_id(), Some(sent[0].as_str()));
    assert_eq!(gateway.count("payments").await, 1);
}
