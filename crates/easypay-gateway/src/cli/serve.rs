//! `easypay serve`.

use std::net::SocketAddr;
use std::time::Duration;

use super::progress;
use super::{duration, DatabaseArg};
use crate::app;
use crate::config::{Config, IdempotencyMode};
use crate::notify::schedule::RetrySchedule;
use crate::notify::target::TargetPolicy;
use crate::notify::NotifySettings;
use crate::sandbox::SANDBOX_MALL_ID;

#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "EASYPAY_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    database: DatabaseArg,
    /// Base URL written into page links (default: http://ADDR).
    #[arg(long, env = "EASYPAY_PUBLIC_URL")]
    public_url: Option<String>,
    /// Turn off sandbox mode: no /_sandbox/ control plane, no sandbox merchant.
    /// From the environment: true/false, 1/0, yes/no, on/off.
    #[arg(
        long,
        env = "EASYPAY_NO_SANDBOX",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    no_sandbox: bool,
    /// `strict` refuses every reuse of a shopTransactionId the same day.
    #[arg(
        long,
        env = "EASYPAY_IDEMPOTENCY",
        value_enum,
        default_value = "standard"
    )]
    idempotency: IdempotencyMode,
    /// How long a WeChat order stays payable (e.g. 2h, 30m, 90s).
    #[arg(long, env = "EASYPAY_ORDER_TTL", default_value = "2h", value_parser = duration::parse)]
    order_ttl: Duration,
    /// How long a request waits for another one holding the same key before answering D003.
    #[arg(long, env = "EASYPAY_LOCK_WAIT", default_value = "10s", value_parser = duration::parse)]
    lock_wait: Duration,
    /// Delays between WeChat notification attempts (`3m*10` repeats a delay).
    #[arg(long, env = "EASYPAY_WECHAT_NOTIFY_SCHEDULE", value_parser = RetrySchedule::parse,
          default_value = "10s,30s,1m,2m,5m,10m,20m,30m,1h,1h,2h,2h,4h,4h,6h")]
    wechat_notify_schedule: RetrySchedule,
    /// Delays between card notification attempts.
    #[arg(long, env = "EASYPAY_CARD_NOTIFY_SCHEDULE", value_parser = RetrySchedule::parse, default_value = "3m*10")]
    card_notify_schedule: RetrySchedule,
    /// How long a merchant has to answer a notification.
    #[arg(long, env = "EASYPAY_NOTIFY_TIMEOUT", default_value = "10s", value_parser = duration::parse)]
    notify_timeout: Duration,
    /// Notifications in flight at once.
    #[arg(long, env = "EASYPAY_NOTIFY_CONCURRENCY", default_value_t = 32)]
    notify_concurrency: usize,
    /// Outside sandbox mode, internal networks notifications may still go to (CIDR, repeatable).
    #[arg(
        long = "notify-allow",
        env = "EASYPAY_NOTIFY_ALLOW",
        value_delimiter = ','
    )]
    notify_allow: Vec<ipnet::IpNet>,
    /// Key that seals card data at rest: base64 of 32 bytes (prefer the environment variable).
    #[arg(long, env = "EASYPAY_CARD_KEY", hide_env_values = true)]
    card_key: Option<String>,
    /// File holding the card key, created (mode 0600) if missing. Default: beside the SQLite
    /// file (`easypay.db.card-key`), or ./easypay-card.key for PostgreSQL.
    #[arg(long, env = "EASYPAY_CARD_KEY_FILE")]
    card_key_file: Option<std::path::PathBuf>,
    /// How long a stop (SIGTERM, Ctrl-C) waits for in-flight requests before closing them.
    #[arg(long, env = "EASYPAY_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = duration::parse)]
    shutdown_timeout: Duration,
}

impl ServeArgs {
    /// The gateway's configuration these settings describe.
    pub fn config(self) -> Config {
        let args = self;
        Config {
            addr: args.addr,
            database_url: args.database.database_url,
            public_url: args.public_url,
            sandbox: !args.no_sandbox,
            idempotency: args.idempotency,
            order_ttl: args.order_ttl,
            lock_wait: args.lock_wait,
            notify: NotifySettings {
                wechat_schedule: args.wechat_notify_schedule,
                card_schedule: args.card_notify_schedule,
                timeout: args.notify_timeout,
                concurrency: args.notify_concurrency,
                policy: TargetPolicy {
                    allow_internal: !args.no_sandbox,
                    allowlist: args.notify_allow,
                },
                ..NotifySettings::defaults(!args.no_sandbox)
            },
            card_key: args.card_key,
            card_key_file: args.card_key_file,
            shutdown_timeout: args.shutdown_timeout,
        }
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.config();
    let sandbox = config.sandbox;
    // A gateway that can no longer make SQLite commits durable stops, rather than answer them.
    crate::store::group_sync::stop_process_when_not_durable();
    // Listening for the stop signals before the gateway answers: a SIGTERM sent as soon as
    // /readyz says ready must stop it cleanly, not kill it.
    let stop = shutdown_signal();
    let gateway = progress::step(
        "starting: opening the database and applying migrations",
        app::start(config),
    )
    .await?;
    tracing::info!(
        addr = %gateway.addr,
        url = %gateway.public_url,
        api_reference = %format!("{}/docs/api", gateway.public_url),
        "easypay gateway listening"
    );
    if sandbox {
        // The sandbox secret key is in the README; it is not logged (no secret ever is).
        tracing::info!(
            mall_id = SANDBOX_MALL_ID,
            "sandbox mode: control plane at /_sandbox/, dashboard at /_sandbox/dashboard"
        );
    }
    stop.await;
    tracing::info!(
        in_flight = gateway.in_flight(),
        "shutting down: finishing in-flight requests, then stopping the notification worker"
    );
    progress::step("stopping: finishing in-flight requests", gateway.stop()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM; the handlers are installed when this is called, not
/// when it is awaited.
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler installs");
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler installs");
    async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    }
}

#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
