//! Billing keys and recurring charges through the SDK, against the real gateway.

use std::time::Duration;

use chrono::Utc;
use easypay_api::ResCode;
use easypay_client::webhook::Notification;
use easypay_client::{seoul_date, Client, Error, Integrity, RetryPolicy};
use easypay_gateway::sandbox::{SANDBOX_MALL_ID, SANDBOX_SECRET_KEY};
use serde_json::{json, Value};

use crate::cardholder::{billing_key_for, register_card, CARD, SLOW_CARD};
use crate::gateway::{client_for, order_no, start};
use crate::proxy::{Fault, FaultProxy};
use crate::receiver::Receiver;

async fn billing_key(client: &Client) -> String {
    let (shop_order_no, back) = register_card(client).await;
    let authorization = back.authorization_id().expect("the card was registered");
    client
        .issue_billing_key(authorization, &shop_order_no)
        .await
        .expect("the key is issued")
        .batch_key
}

#[tokio::test]
async fn a_card_is_registered_keyed_charged_notified_and_removed() {
    let gateway = start().await;
    let client = gateway.client();
    let receiver = Receiver::start().await;
    gateway.set_noti_url(&receiver.url).await;

    let (shop_order_no, back) = register_card(&client).await;
    assert_eq!(back.res_cd, "0000", "{back:?}");
    assert_eq!(back.shop_order_no, shop_order_no);
    assert_eq!(back.shop_value(1), "plan-basic");
    let authorization = back.authorization_id().unwrap();
    let key = client
        .issue_billing_key(authorization, &shop_order_no)
        .await
        .unwrap();
    assert!(!key.recovered);
    assert!(!key.batch_key.is_empty() && key.batch_key.len() <= 20);
    assert!(
        key.card_mask_no.starts_with(&CARD[..6]),
        "{}",
        key.card_mask_no
    );
    assert_eq!(key.transaction_date.len(), 14);
    let reused = client
        .issue_billing_key(authorization, &shop_order_no)
        .await
        .unwrap_err();
    assert!(
        reused.refusal().unwrap().is(ResCode::AuthorizationUsed),
        "{reused}"
    );

    let charge_order = order_no("SUB");
    let charged = client
        .charge(&key.batch_key, &charge_order, "Monthly plan", 9_900)
        .send()
        .await
        .unwrap();
    assert_eq!(charged.amount, 9_900);
    assert!(!charged.recovered && !charged.approval_no.is_empty());
    // The date it was sent with, the other half of what looks it up (the Seoul day of its
    // approval, unless it was sent in the last moments before midnight).
    let found = client
        .recover_charge(&charged.shop_transaction_id, &charged.approval_req_date)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.pg_cno.as_deref(), Some(charged.pg_cno.as_str()));
    assert_eq!(key.approval_req_date.len(), 8);
    let notified = receiver.wait_for(1).await;
    let Some(Notification::CardApproval(card)) =
        notified[0].verified.as_ref().map(|v| &v.notification)
    else {
        panic!("{:?}", notified[0]);
    };
    assert_eq!(
        (
            card.pg_cno.as_str(),
            card.amount.as_str(),
            card.noti_type.as_str()
        ),
        (charged.pg_cno.as_str(), "9900", "10")
    );

    client.remove_billing_key(&key.batch_key).await.unwrap();
    let after = client
        .charge(&key.batch_key, &order_no("SUB"), "Monthly plan", 9_900)
        .send()
        .await
        .unwrap_err();
    assert!(
        after.refusal().unwrap().is(ResCode::BatchKeyRemoved),
        "{after}"
    );
    assert_eq!(gateway.count("card_payments").await, 1);
}

#[tokio::test]
async fn a_decline_is_a_refusal_with_the_issuers_code() {
    let gateway = start().await;
    let client = gateway.client();
    let key = billing_key(&client).await;
    let declined = client
        .charge(&key, &order_no("SUB"), "Monthly plan", 10_000_001)
        .send()
        .await
        .unwrap_err();
    let refusal = declined.refusal().expect("a decline");
    assert!(refusal.is(ResCode::CardLimitExceeded), "{refusal}");
    let invalid = client
        .charge(&key, &order_no("SUB"), "Monthly plan", 9_900)
        .installment_month(1)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(invalid, Error::InvalidRequest(_)), "{invalid}");
    assert_eq!(gateway.count("card_payments").await, 0);
}

fn double_the_amount(answer: &mut Value) {
    answer["amount"] = json!(answer["amount"].as_u64().unwrap() * 2);
}

fn forge_the_signature(answer: &mut Value) {
    answer["msgAuthValue"] = json!("0".repeat(64));
}

fn drop_the_signature(answer: &mut Value) {
    answer.as_object_mut().unwrap().remove("msgAuthValue");
}

#[tokio::test]
async fn an_altered_or_unsigned_answer_is_an_integrity_error() {
    let gateway = start().await;
    let key = billing_key(&gateway.client()).await;
    for (case, (alter, expected)) in [
        (
            double_the_amount as fn(&mut Value),
            Integrity::BadMsgAuthValue,
        ),
        (forge_the_signature, Integrity::BadMsgAuthValue),
        (drop_the_signature, Integrity::MissingMsgAuthValue),
    ]
    .into_iter()
    .enumerate()
    {
        let proxy = FaultProxy::start(&gateway.url, vec![Fault::Tamper(alter)]).await;
        let error = client_for(&proxy.url)
            .charge(&key, &order_no("SUB"), "Monthly plan", 9_900)
            .shop_transaction_id(format!("altered-charge-{case}"))
            .send()
            .await
            .unwrap_err();
        let Error::Integrity {
            problem,
            shop_transaction_id,
            pg_cno,
        } = &error
        else {
            panic!("{error}");
        };
        assert_eq!(*problem, expected);
        // The card may have been charged: never a decline, and the error says where to look.
        assert!(error.outcome_unknown(), "{error}");
        assert_eq!(
            shop_transaction_id.as_deref(),
            Some(format!("altered-charge-{case}").as_str())
        );
        assert_eq!(pg_cno.as_ref().map(String::len), Some(20), "{error}");
    }

    let (shop_order_no, back) = register_card(&gateway.client()).await;
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::Tamper(forge_the_signature)]).await;
    let error = client_for(&proxy.url)
        .issue_billing_key(back.authorization_id().unwrap(), &shop_order_no)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Integrity {
                problem: Integrity::BadMsgAuthValue,
                ..
            }
        ),
        "{error}"
    );
    // The key the SDK made for the call finds the issuance that did happen.
    let issued = gateway
        .client()
        .recover_billing_key(
            error.shop_transaction_id().unwrap(),
            &seoul_date(Utc::now()),
        )
        .await
        .unwrap()
        .expect("the key was issued");
    assert_eq!(issued.res_cd, "0000");
}

/// A charge the issuer is still working on when the client gives up is an unknown outcome, never
/// a decline: the gateway's lookup answers `D003`, and once the issuer answers, the same key finds
/// the charge that was made.
#[tokio::test]
async fn a_charge_still_in_progress_is_an_unknown_outcome_not_a_decline() {
    let gateway = start().await;
    let client = gateway.client();
    let key = billing_key_for(&client, SLOW_CARD).await;
    let impatient = Client::builder(&gateway.url, SANDBOX_MALL_ID, SANDBOX_SECRET_KEY)
        .timeout(Duration::from_secs(1))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let error = impatient
        .charge(&key, &order_no("SUB"), "Monthly plan", 9_900)
        .shop_transaction_id("slow-charge-1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InProgress { .. }), "{error}");
    assert!(error.outcome_unknown() && error.refusal().is_none());
    assert_eq!(error.shop_transaction_id(), Some("slow-charge-1"));

    let today = seoul_date(Utc::now());
    let mut found = None;
    for _ in 0..50 {
        match client.recover_charge("slow-charge-1", &today).await {
            Ok(Some(charge)) => {
                found = Some(charge);
                break;
            }
            Err(Error::InProgress { .. }) => {}
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let charge = found.expect("the charge was made once the issuer answered");
    assert_eq!(
        (charge.res_cd.as_str(), charge.amount),
        ("0000", Some(9_900))
    );
}

/// An issuance under the merchant's own key: sent again (a process that died before the answer),
/// it replays the same billing key instead of `B002`, and the lookup finds it.
#[tokio::test]
async fn an_issuance_under_the_merchants_key_can_be_sent_again() {
    let gateway = start().await;
    let client = gateway.client();
    let (shop_order_no, back) = register_card(&client).await;
    let authorization = back.authorization_id().unwrap();
    let first = client
        .issue_billing_key_under("issue-under-1", authorization, &shop_order_no)
        .await
        .unwrap();
    assert_eq!(first.shop_transaction_id, "issue-under-1");
    let again = client
        .issue_billing_key_under("issue-under-1", authorization, &shop_order_no)
        .await
        .unwrap();
    assert_eq!(again.batch_key, first.batch_key);
    let found = client
        .recover_billing_key("issue-under-1", &seoul_date(Utc::now()))
        .await
        .unwrap()
        .expect("found under the merchant's key");
    assert_eq!(
        found.payment_info.unwrap().card_info.card_no,
        first.batch_key
    );
}

/// KICC's rule for a charge the merchant cannot record: cancel it at once.
#[tokio::test]
async fn a_charge_the_merchant_cannot_record_is_cancelled() {
    let gateway = start().await;
    let client = gateway.client();
    let key = billing_key(&client).await;
    let kept = client
        .charge(&key, &order_no("SUB"), "Monthly plan", 5_000)
        .send()
        .await
        .unwrap();
    let recorded = client
        .record_charge_or_cancel(&kept, async { Ok::<_, std::io::Error>("stored") })
        .await
        .unwrap();
    assert_eq!(recorded, "stored");

    let lost = client
        .charge(&key, &order_no("SUB"), "Monthly plan", 5_000)
        .send()
        .await
        .unwrap();
    let failed = client
        .record_charge_or_cancel(&lost, async {
            Err::<(), _>(std::io::Error::other("the database is down"))
        })
        .await
        .unwrap_err();
    assert_eq!(failed.pg_cno, lost.pg_cno);
    let cancel = failed.cancel.as_ref().expect("cancelled at once");
    assert_eq!((cancel.cancel_amount, cancel.remain_amount), (5_000, 0));
    assert!(
        failed.to_string().contains("the database is down"),
        "{failed}"
    );
    // The kept charge is untouched: it can still be cancelled.
    assert_eq!(
        client
            .cancel_card(&kept.pg_cno)
            .send()
            .await
            .unwrap()
            .cancel_amount,
        5_000
    );
}

#[tokio::test]
async fn card_charges_are_cancelled_in_part_then_in_full() {
    let gateway = start().await;
    let client = gateway.client();
    let key = billing_key(&client).await;
    let charge = client
        .charge(&key, &order_no("SUB"), "Monthly plan", 10_000)
        .send()
        .await
        .unwrap();
    // With the cancelled amount's tax parts and who asked, as KICC's cancel takes them.
    let part = client
        .cancel_card(&charge.pg_cno)
        .partial(4_000)
        .expect_remaining(6_000)
        .tax(easypay_client::Tax {
            tax_amount: 3_637,
            free_amount: 0,
            vat_amount: 363,
        })
        .client_id("ops-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            part.cancel_amount,
            part.remain_amount,
            part.status_code.as_str()
        ),
        (4_000, 6_000, "TS06")
    );
    let wrong = client
        .cancel_card(&charge.pg_cno)
        .partial(1_000)
        .expect_remaining(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong, Error::Refused(refusal) if refusal.is(ResCode::RemainAmountMismatch)),
        "{wrong}"
    );
    let rest = client.cancel_card(&charge.pg_cno).send().await.unwrap();
    assert_eq!(
        (
            rest.cancel_amount,
            rest.remain_amount,
            rest.status_code.as_str()
        ),
        (6_000, 0, "TS02")
    );
    let again = client.cancel_card(&charge.pg_cno).send().await.unwrap_err();
    assert!(
        matches!(&again, Error::Refused(refusal) if refusal.is(ResCode::AlreadyCancelled)),
        "{again}"
    );
}

fn charge_less(request: &mut Value) {
    if request.get("payMethodInfo").is_some() {
        request["amount"] = json!(9_000);
    }
}

/// A charge approved for another amount than the merchant asked is cancelled by the SDK at once.
#[tokio::test]
async fn a_charge_approved_for_another_amount_is_cancelled_at_once() {
    let gateway = start().await;
    let key = billing_key(&gateway.client()).await;
    // Something between merchant and gateway changes the amount: the gateway signs what it did.
    let proxy = FaultProxy::start(&gateway.url, vec![Fault::TamperRequest(charge_less)]).await;
    let error = client_for(&proxy.url)
        .charge(&key, &order_no("SUB"), "Monthly plan", 10_000)
        .send()
        .await
        .unwrap_err();
    assert!(!error.outcome_unknown(), "settled by the cancel: {error}");
    let Error::Integrity {
        problem:
            Integrity::AmountMismatch {
                requested,
                approved,
                pg_cno,
                cancel,
            },
        ..
    } = error
    else {
        panic!("{error}");
    };
    assert_eq!((requested, approved), (10_000, 9_000));
    assert!(cancel.is_ok(), "{cancel:?}");
    let again = gateway
        .client()
        .cancel_card(&pg_cno)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&again, Error::Refused(refusal) if refusal.is(ResCode::AlreadyCancelled)),
        "{again}"
    );
}

/// The charge of another amount is approved, and the SDK's cancel of it is refused: the card is
/// charged, so the error is an unknown outcome that names the charge, and a cancel of it succeeds.
#[tokio::test]
async fn a_charge_of_another_amount_whose_cancel_failed_is_not_settled() {
    let gateway = start().await;
    let key = billing_key(&gateway.client()).await;
    let refuse_the_cancel = Fault::Reply(r#"{"resCd":"E500","resMsg":"internal error"}"#);
    let faults = vec![Fault::TamperRequest(charge_less), refuse_the_cancel];
    let proxy = FaultProxy::start(&gateway.url, faults).await;
    let error = client_for(&proxy.url)
        .charge(&key, &order_no("SUB"), "Monthly plan", 10_000)
        .send()
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "charged, not cancelled: {error}");
    let charged = error.pg_cno().expect("the charge is named").to_owned();
    assert!(error.to_string().contains("the cancel FAILED"), "{error}");
    assert!(
        matches!(
            &error,
            Error::Integrity {
                problem: Integrity::AmountMismatch { cancel: Err(_), .. },
                ..
            }
        ),
        "{error}"
    );
    let cancelled = gateway.client().cancel_card(&charged).send().await.unwrap();
    assert_eq!(cancelled.cancel_amount, 9_000);
}
