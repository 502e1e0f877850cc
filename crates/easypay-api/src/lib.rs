//! EasyPay wire protocol: request parsing with KICC's field rules, response types, response codes,
//! Seoul time formats and `msgAuthValue`. Pure functions only: no I/O, shared by the gateway and SDK.

#![warn(missing_docs)]

pub mod billing;
pub mod billing_key;
pub mod card_batch;
pub mod card_input;
pub mod card_revise;
pub mod codes;
pub mod euc_kr;
pub mod lenient;
pub mod msg_auth;
pub mod notification;
pub mod reader;
pub mod retrieve;
pub mod rules;
pub mod seoul_time;
pub mod values;
pub mod webhook_signature;
pub mod wechat;
pub mod wechat_revise;

pub use codes::ResCode;
pub use rules::{FieldError, Rule};
