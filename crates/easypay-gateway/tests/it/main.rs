//! HTTP-level tests against a spawned gateway, each on SQLite and on PostgreSQL.

mod bad_input;
mod browser;
mod card_flow;
mod cards_browser;
mod cards_cancel;
mod cards_charges;
mod cards_keys;
mod cards_retrieve;
mod cards_secrets;
mod cards_webpay;
mod cards_window;
mod config_cli;
mod dashboard;
mod dashboard_browser;
mod docs;
mod helpers;
mod idempotency;
mod notifications;
mod operability;
mod pages;
mod pages_browser;
mod process;
mod receiver;
mod wechat_cancel;
mod wechat_create;
mod wechat_find;
