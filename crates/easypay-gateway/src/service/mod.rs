//! Application services: one function per API operation, each one database transaction that holds
//! the idempotency record together with the effect.

pub mod billing_key;
pub mod card_cancel;
pub mod card_charge;
pub mod card_key_guard;
pub mod card_retention;
pub mod idempotent;
pub mod in_flight;
pub mod merchant_gate;
pub mod registration;
pub mod retrieve;
pub mod wechat;
pub mod wechat_cancel;
