//! Business objects and their state machines. No I/O: callers load, apply, and store.

pub mod ids;
pub mod merchant;
pub mod wechat_payment;
