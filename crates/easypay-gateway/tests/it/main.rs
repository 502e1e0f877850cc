//! HTTP-level tests against a spawned gateway, each on SQLite and on PostgreSQL.

mod helpers;
