//! Business objects and their state machines. No I/O: callers load, apply, and store.

pub mod billing_key;
pub mod billing_registration;
pub mod card_payment;
pub mod ids;
pub mod merchant;
pub mod wechat_payment;
