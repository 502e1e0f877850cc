//! Merchant SDK for the KICC EasyPay payment API, against KICC's hosts or a self-hosted gateway
//! such as `easypay serve`.
//!
//! It does by itself what KICC asks every merchant to do by hand:
//!
//! - **Typed calls** for every endpoint, built from the wire types the gateway uses
//!   (`easypay-api`), checked with the same field rules before anything is sent.
//! - **Transport**: a 30-second timeout per attempt; an idempotency key (`shopTransactionId`)
//!   generated per call and reused on every retry; retries only where safe (connection errors,
//!   timeouts, HTTP 5xx, `D003`) with capped exponential backoff; request dates in Seoul time.
//!   With the defaults (4 attempts) a call that never gets an answer gives up after at most about
//!   2 minutes (4 × 30 s plus up to 3.5 s of backoff), and a charge or a billing-key issuance
//!   after twice that (it then looks its answer up with `retrieveTransaction`, retried alike): for
//!   calls made while a shopper waits, set a shorter [`ClientBuilder::timeout`] and fewer attempts
//!   ([`ClientBuilder::retry`]).
//! - **Integrity**: approval answers have their `msgAuthValue` verified; a WeChat payment whose
//!   approved amount is not the order's is cancelled at once ([`Client::confirm_wechat`]); a
//!   payment the merchant cannot record is cancelled ([`Client::record_or_cancel`],
//!   [`Client::record_charge_or_cancel`]); lost answers are recovered by a status query; an
//!   outcome the SDK cannot know (no answer, `D003`, an unreadable or unverifiable answer) is
//!   never reported as a decline ([`Error::outcome_unknown`]).
//! - **Receiving**: notifications parsed and acknowledged ([`webhook`]); this gateway's Standard
//!   Webhooks signature verified ([`webhook::WebhookVerifier`]; KICC's own hosts send none, so
//!   against them parse with [`webhook::Notification::parse`] and confirm with a status query,
//!   as [`Client::settle_wechat`] does); `returnUrl` form posts ([`return_url`]); signatures for
//!   the merchant's own tests ([`testing`]).
//!
//! ```no_run
//! use easypay_client::{Client, Money, TradeType};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new("http://127.0.0.1:8080", "T5102001", "easypay-sandbox-secret")?;
//! let order = client
//!     .create_wechat(TradeType::Native, "ORDER-1001", "Green tea", Money::krw(1000))
//!     .return_url("https://shop.example/return")
//!     .notify_url("https://shop.example/notify")
//!     .send()
//!     .await?;
//! // … the customer scans order.payment_page_url; the notification arrives, or not. Either way:
//! let paid = client.confirm_wechat(&order.pg_cno, Money::krw(1000)).await?;
//! println!("{:?}", paid.status);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod billing;
mod card_cancel;
mod charge;
mod client;
mod customer;
mod error;
mod keys;
mod money;
mod recover;
mod retry;
pub mod return_url;
mod settle;
mod settle_card;
pub mod testing;
mod transport;
mod verify;
pub mod webhook;
mod wechat;
mod wechat_cancel;

pub use billing::{BillingKey, OpenBillingWindow};
pub use card_cancel::{CancelCard, CardCancel};
pub use charge::{CardCharge, Charge, Tax};
/// The `chrono` this crate's dates and times come from (`seoul_date`, webhook timestamps).
pub use chrono;
pub use client::{Client, ClientBuilder, DEFAULT_TIMEOUT, PRODUCTION_URL, TEST_URL};
pub use customer::Customer;
/// The wire types, field rules and codes the client speaks, re-exported so that a merchant needs
/// this crate alone (`easypay_client::api::wechat::CreateWechatResponse`, notification bodies…).
pub use easypay_api as api;
pub use easypay_api::wechat::{Currency, TradeType};
pub use easypay_api::{FieldError, ResCode};
pub use error::{Error, Integrity, Refusal};
pub use keys::{new_shop_transaction_id, seoul_date, seoul_today};
pub use money::Money;
pub use retry::RetryPolicy;
pub use settle::SettleError;
pub use settle_card::ChargeNotRecorded;
pub use wechat::{Approval, CreateWechat, WechatOrder, WechatPayment, WechatStatus};
pub use wechat_cancel::{CancelWechat, WechatCancel};
