//! How a gateway runs: the settings of `easypay serve` (decision 25).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::notify::NotifySettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IdempotencyMode {
    /// Same key and same request replays the first answer; a different request is refused.
    Standard,
    /// Every reuse of a key the same day is refused, as KICC's documents word it.
    Strict,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Base URL written into page links; `http://{addr}` when not given.
    pub public_url: Option<String>,
    pub sandbox: bool,
    pub idempotency: IdempotencyMode,
    /// How long a WeChat order stays payable.
    pub order_ttl: Duration,
    /// How long a request waits for a concurrent request holding the same key (or SQLite's writer).
    pub lock_wait: Duration,
    pub notify: NotifySettings,
    /// Key sealing card data (base64 of 32 bytes); else [`Config::card_key_file`] is used.
    pub card_key: Option<String>,
    /// Where the card key lives; default beside the SQLite file, or `./easypay-card.key`.
    pub card_key_file: Option<PathBuf>,
    /// How long a stop waits for in-flight requests before closing them.
    pub shutdown_timeout: Duration,
}

impl Config {
    pub fn new(addr: SocketAddr, database_url: impl Into<String>) -> Self {
        Config {
            addr,
            database_url: database_url.into(),
            public_url: None,
            sandbox: true,
            idempotency: IdempotencyMode::Standard,
            order_ttl: Duration::from_secs(2 * 60 * 60),
            lock_wait: Duration::from_secs(10),
            notify: NotifySettings::defaults(true),
            card_key: None,
            card_key_file: None,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// What can be checked without opening anything (`easypay config` runs it): the database URL's
    /// kind, the public URL, the card key's format, the order TTL's range.
    pub fn validate(&self) -> anyhow::Result<()> {
        use anyhow::{bail, Context};
        let url = &self.database_url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bail!(
                "--database-url must start with sqlite: or postgres:// (got {})",
                crate::store::redact(url)
            );
        }
        if let Some(public_url) = &self.public_url {
            url::Url::parse(public_url).context("--public-url is not an absolute URL")?;
            // The rule of every URL a merchant sends (`http:/host` is a path to a browser).
            if easypay_api::values::HttpUrl::parse("--public-url", public_url, usize::MAX).is_err()
            {
                bail!("--public-url must be an http:// or https:// URL with a host (got {public_url})");
            }
        }
        if let Some(key) = &self.card_key {
            crate::vault::decode_key(key).context("--card-key")?;
        }
        chrono::Duration::from_std(self.order_ttl).context("--order-ttl is too long")?;
        if self.order_ttl < Duration::from_secs(1) {
            bail!("--order-ttl must be at least 1s (an order must be payable for some time)");
        }
        if self.notify.concurrency == 0 {
            bail!("--notify-concurrency must be at least 1");
        }
        if self.notify.timeout.is_zero() {
            bail!(
                "--notify-timeout must be more than 0s: no merchant answers in no time, so every \
                 notification would end failed"
            );
        }
        // PostgreSQL reads a lock timeout of 0 as no bound at all.
        if self.lock_wait < Duration::from_millis(1) {
            bail!("--lock-wait must be at least 1ms (0 would let a write wait for a lock forever)");
        }
        Ok(())
    }
}
