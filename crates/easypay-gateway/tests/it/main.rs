//! HTTP-level tests against a spawned gateway, each on SQLite and on PostgreSQL.

mod bad_input;
mod browser;
mod docs;
mod helpers;
mod idempotency;
mod notifications;
mod pages;
mod pages_browser;
mod process;
mod receiver;
mod wechat_create;
mod wechat_find;
