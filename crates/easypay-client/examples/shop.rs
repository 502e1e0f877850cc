//! A small web shop on the SDK: sells green tea by WeChat QR and a monthly plan by billing key,
//! against a local gateway (`cargo run -- serve` in another terminal), then:
//!
//! ```sh
//! cargo run --release -p easypay-client --example shop      # http://127.0.0.1:3000
//! ```
//!
//! Settings (environment): `EASYPAY_URL` (default `http://127.0.0.1:8080`), `SHOP_ADDR`
//! (default `127.0.0.1:3000`), `EASYPAY_MALL_ID`, `EASYPAY_SECRET_KEY` and
//! `EASYPAY_WEBHOOK_SECRET` (default: the sandbox merchant's).
//!
//! What it shows: an order is created with `create_wechat`; the customer pays on the gateway's QR
//! page; the approval notification is verified (`WebhookVerifier`), and the payment is settled
//! with `settle_wechat` — confirmed by a status query, cancelled at once if the approved amount
//! is not the order's, cancelled if the shop cannot record it. The order page's "Check status"
//! recovers a payment whose notification never came. The plan registers a card in the gateway's
//! window, issues a billing key and charges the first month with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use easypay_client::return_url::{BillingReturn, WechatReturn};
use easypay_client::webhook::{ack_body, resend_body, Notification, WebhookVerifier};
use easypay_client::{Client, Error, Money, SettleError, TradeType, WechatStatus};

const TEA_PRICE: Money = Money::krw(1000);
const PLAN_PRICE: u64 = 9_900;

#[derive(Clone)]
struct Shop {
    client: Client,
    verifier: WebhookVerifier,
    gateway_url: String,
    shop_url: String,
    orders: Arc<Mutex<HashMap<String, Order>>>,
}

#[derive(Clone, Debug)]
struct Order {
    no: String,
    what: &'static str,
    pg_cno: String,
    /// The QR page (for tea) or the masked card (for the plan).
    detail: String,
    state: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let setting =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let gateway_url = setting("EASYPAY_URL", "http://127.0.0.1:8080");
    let addr = setting("SHOP_ADDR", "127.0.0.1:3000");
    let mall_id = setting("EASYPAY_MALL_ID", "T5102001");
    let secret = setting("EASYPAY_SECRET_KEY", "easypay-sandbox-secret");
    let webhook_secret = setting(
        "EASYPAY_WEBHOOK_SECRET",
        "whsec_ZWFzeXBheS1zYW5kYm94LXdlYmhvb2sta2V5LTIwMjY=",
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let shop = Shop {
        client: Client::new(&gateway_url, &mall_id, &secret)?,
        verifier: WebhookVerifier::new(&webhook_secret)?,
        shop_url: format!("http://{}", listener.local_addr()?),
        gateway_url,
        orders: Arc::default(),
    };
    register_card_notifications(&shop, &mall_id, &secret).await;
    let app = Router::new()
        .route("/", get(home))
        .route("/buy", post(buy))
        .route("/orders/{no}", get(order_page))
        .route("/orders/{no}/check", post(check))
        .route("/return", post(wechat_return))
        .route("/notify", post(notify))
        .route("/subscribe", post(subscribe))
        .route("/billing/return", post(billing_return))
        .with_state(shop.clone());
    println!(
        "shop on {} (EasyPay at {})",
        shop.shop_url, shop.gateway_url
    );
    axum::serve(listener, app).await?;
    Ok(())
}

/// Card notifications go to a URL registered for the merchant; the sandbox lets us set it.
async fn register_card_notifications(shop: &Shop, mall_id: &str, secret: &str) {
    let registered = reqwest::Client::new()
        .put(format!("{}/_sandbox/merchants/{mall_id}", shop.gateway_url))
        .json(&serde_json::json!({"secretKey": secret, "notiUrl": format!("{}/notify", shop.shop_url)}))
        .send()
        .await;
    if !registered.is_ok_and(|answer| answer.status().is_success()) {
        println!(
            "card notifications: could not register /notify (is the gateway in sandbox mode?)"
        );
    }
}

async fn home(State(shop): State<Shop>) -> Html<String> {
    let orders: String = shop
        .orders
        .lock()
        .unwrap()
        .values()
        .map(|o| {
            format!(
                "<li><a href=\"/orders/{0}\">{0}</a> {1}: {2}</li>",
                escape(&o.no),
                o.what,
                escape(&o.state)
            )
        })
        .collect();
    page(format!(
        "<h1>Tea shop</h1>\
         <form method=post action=/buy><p>Green tea, {TEA_PRICE} <button>Buy with WeChat Pay</button></p></form>\
         <form method=post action=/subscribe><p>Monthly plan, KRW {PLAN_PRICE} a month \
         <button>Subscribe by card</button></p></form><h2>Orders</h2><ul>{orders}</ul>"
    ))
}

async fn buy(State(shop): State<Shop>) -> Response {
    let no = format!("TEA-{}", &easypay_client::new_shop_transaction_id()[..8]);
    let created = shop
        .client
        .create_wechat(TradeType::Native, &no, "Green tea", TEA_PRICE)
        .return_url(format!("{}/return", shop.shop_url))
        .notify_url(format!("{}/notify", shop.shop_url))
        .send()
        .await;
    match created {
        Ok(order) => {
            // The code URL's `pr=` token names the gateway's own QR page for it.
            let token = order
                .payment_page_url
                .rsplit("pr=")
                .next()
                .unwrap_or_default();
            shop.save(Order {
                no: no.clone(),
                what: "green tea",
                pg_cno: order.pg_cno,
                detail: format!("{}/wechat/qr/{token}", shop.gateway_url),
                state: "waiting for payment".into(),
            });
            Redirect::to(&format!("/orders/{no}")).into_response()
        }
        Err(error) => failed(error),
    }
}

async fn order_page(State(shop): State<Shop>, Path(no): Path<String>) -> Response {
    let Some(order) = shop.order(&no) else {
        return (StatusCode::NOT_FOUND, "no such order").into_response();
    };
    // Only a WeChat order has a status query ("Check status"); a card charge is answered at once.
    let link = match order.what {
        "green tea" => format!(
            "<p><a href=\"{0}\" target=_blank>Open the WeChat QR page</a> and pay there.</p>\
             <form method=post action=\"/orders/{1}/check\"><button>Check status</button></form>",
            escape(&order.detail),
            escape(&order.no)
        ),
        _ => format!("<p>Card {}</p>", escape(&order.detail)),
    };
    page(format!(
        "<meta http-equiv=refresh content=2><h1>Order {}</h1><p>{}: <b>{}</b> (pgCno {})</p>{link}\
         <p><a href=/>Back to the shop</a></p>",
        escape(&order.no),
        order.what,
        escape(&order.state),
        escape(&order.pg_cno)
    ))
    .into_response()
}

/// Recovery when no notification came: the same settlement, started by the customer's click.
async fn check(State(shop): State<Shop>, Path(no): Path<String>) -> Response {
    if let Some(order) = shop.order(&no).filter(|order| order.what == "green tea") {
        shop.settle(&order.pg_cno).await;
    }
    Redirect::to(&format!("/orders/{no}")).into_response()
}

/// The browser's return after an `mweb` payment: not proof of anything, so just show the order.
async fn wechat_return(body: Bytes) -> Response {
    match WechatReturn::parse(&body) {
        Ok(back) => Redirect::to(&format!("/orders/{}", back.shop_order_no)).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

async fn notify(State(shop): State<Shop>, headers: HeaderMap, body: Bytes) -> Response {
    let verified = match shop.verifier.verify(&headers, &body) {
        Ok(verified) => verified,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    match verified.notification {
        Notification::WechatApproval(approval) => {
            if !shop.settle(&approval.pg_cno).await {
                return resend_body("status query failed, send again").into_response();
            }
        }
        Notification::CardApproval(card) => println!("card charge {} notified", card.pg_cno),
        other => println!("notification {other:?}"),
    }
    ack_body().into_response()
}

async fn subscribe(State(shop): State<Shop>) -> Response {
    let no = format!("PLAN-{}", &easypay_client::new_shop_transaction_id()[..8]);
    let window = shop
        .client
        .open_billing_window(
            &no,
            "Monthly plan",
            &format!("{}/billing/return", shop.shop_url),
        )
        .send()
        .await;
    match window {
        Ok(auth_page_url) => Redirect::to(&auth_page_url).into_response(),
        Err(error) => failed(error),
    }
}

async fn billing_return(State(shop): State<Shop>, body: Bytes) -> Response {
    let back = match BillingReturn::parse(&body) {
        Ok(back) => back,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let Some(authorization) = back.authorization_id() else {
        return page(format!(
            "<p>No card registered: {}</p>",
            escape(&back.res_msg)
        ))
        .into_response();
    };
    // In a real shop the key is stored with the customer and charged every month.
    let first_month = format!("{}-1", back.shop_order_no);
    // The same return again (a reload, the back button): its authorizationId is used up (B002),
    // and the first month was charged or refused already.
    if shop.order(&first_month).is_some() {
        return Redirect::to(&format!("/orders/{first_month}")).into_response();
    }
    let key = match shop
        .client
        .issue_billing_key(authorization, &back.shop_order_no)
        .await
    {
        Ok(key) => key,
        Err(error) => return failed(error),
    };
    match shop
        .client
        .charge(&key.batch_key, &first_month, "Monthly plan", PLAN_PRICE)
        .send()
        .await
    {
        Ok(charged) => {
            shop.save(Order {
                no: first_month.clone(),
                what: "monthly plan",
                pg_cno: charged.pg_cno,
                detail: key.card_mask_no,
                state: format!("paid KRW {}", charged.amount),
            });
            Redirect::to(&format!("/orders/{first_month}")).into_response()
        }
        // The card may have been charged (no answer, still in progress, a cancel of another
        // amount that failed…): never call it declined. Keep the order with the key to resend
        // or look it up with, and the charge to cancel when the error names one.
        Err(error) if error.outcome_unknown() => {
            shop.save(Order {
                no: first_month.clone(),
                what: "monthly plan",
                pg_cno: error.pg_cno().unwrap_or_default().to_owned(),
                detail: key.card_mask_no,
                state: format!(
                    "outcome unknown ({error}); look it up under shopTransactionId {}",
                    error.shop_transaction_id().unwrap_or("-")
                ),
            });
            Redirect::to(&format!("/orders/{first_month}")).into_response()
        }
        // A decline (8521 limit, 8035 balance…) is the card's answer, not a failure of the shop.
        Err(Error::Refused(refusal)) => {
            shop.save(Order {
                no: first_month.clone(),
                what: "monthly plan",
                pg_cno: String::new(),
                detail: key.card_mask_no,
                state: format!("declined: {} {}", refusal.res_cd, refusal.res_msg),
            });
            Redirect::to(&format!("/orders/{first_month}")).into_response()
        }
        Err(error) => failed(error),
    }
}

impl Shop {
    fn order(&self, no: &str) -> Option<Order> {
        self.orders.lock().unwrap().get(no).cloned()
    }

    fn save(&self, order: Order) {
        self.orders.lock().unwrap().insert(order.no.clone(), order);
    }

    /// Confirms the payment by a status query and records it, with KICC's rules. Answers false
    /// when the status could not be learnt (the notification should then be sent again).
    async fn settle(&self, pg_cno: &str) -> bool {
        let Some(order) = self
            .orders
            .lock()
            .unwrap()
            .values()
            .find(|o| o.pg_cno == pg_cno)
            .cloned()
        else {
            return self.cancel_unknown(pg_cno).await;
        };
        let settled = self
            .client
            .settle_wechat(pg_cno, TEA_PRICE, |payment| async {
                self.update(&order.no, "paid".into());
                Ok::<_, std::convert::Infallible>(payment)
            })
            .await;
        let state = match settled {
            Ok(_) => return true,
            Err(SettleError::Client(error)) => {
                println!("status query failed: {error}");
                return false;
            }
            // Not paid yet, or already settled before (a notification may come twice).
            Err(SettleError::NotApproved(WechatStatus::Pending)) => return true,
            Err(SettleError::NotApproved(_)) if order.state != "waiting for payment" => {
                return true
            }
            Err(SettleError::NotApproved(status)) => format!("not paid: {status:?}"),
            Err(other) => {
                // A cancel KICC requires failed: have the notification sent again, which
                // settles (and cancels) again.
                let again = other.must_run_again();
                self.update(&order.no, other.to_string());
                return !again;
            }
        };
        self.update(&order.no, state);
        true
    }

    /// A payment of no order this shop knows (its orders are in memory: a restart forgets them)
    /// cannot be recorded, so KICC's rule cancels it: the SDK cancels what `record` refuses.
    async fn cancel_unknown(&self, pg_cno: &str) -> bool {
        let settled = self
            .client
            .settle_wechat(pg_cno, TEA_PRICE, |_| async {
                Err::<(), _>("no order of this shop has this payment")
            })
            .await;
        match settled {
            Ok(()) => true,
            Err(SettleError::Client(error)) => {
                println!("status query failed: {error}");
                false
            }
            // Not paid (yet), or cancelled already by an earlier copy of this notification.
            Err(SettleError::NotApproved(_)) => true,
            Err(other) => {
                println!("payment {pg_cno} of no known order: {other}");
                !other.must_run_again()
            }
        }
    }

    fn update(&self, no: &str, state: String) {
        if let Some(order) = self.orders.lock().unwrap().get_mut(no) {
            order.state = state;
        }
    }
}

fn failed(error: Error) -> Response {
    (
        StatusCode::BAD_GATEWAY,
        page(format!("<p>EasyPay: {}</p>", escape(&error.to_string()))),
    )
        .into_response()
}

fn page(body: String) -> Html<String> {
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Tea shop</title>{body}"
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
