//! Application services: one function per API operation, each one database transaction that holds
//! the idempotency record together with the effect.

pub mod idempotent;
pub mod merchant_gate;
pub mod wechat;
