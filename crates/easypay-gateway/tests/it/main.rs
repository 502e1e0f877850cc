//! HTTP-level tests against a spawned gateway, each on SQLite and on PostgreSQL.

mod bad_input;
mod docs;
mod helpers;
mod idempotency;
mod process;
mod wechat_create;
mod wechat_find;
