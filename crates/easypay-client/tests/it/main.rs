//! The SDK against the real gateway, started in-process for each test.

mod cardholder;
mod cards;
mod gateway;
mod integrity;
mod notifications;
mod proxy;
mod receiver;
mod transport;
mod wechat;
