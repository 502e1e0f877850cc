//! Assembles and runs a gateway: database, sandbox bootstrap, notification worker, HTTP server,
//! graceful stop.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, IdempotencyMode};
use crate::notify::Notifier;
use crate::observe::Metrics;
use crate::service::in_flight::InFlight;
use crate::service::merchant_gate::SeenActive;
use crate::store::Db;
use crate::vault::{CardVault, KeySource};

/// Shared by every handler: cloned for each request, so one reference count to raise, not one
/// per part (the card vault alone is a copy of an AES key schedule).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
pub struct Shared {
    pub db: Db,
    pub settings: Settings,
    pub notifier: Notifier,
    pub vault: CardVault,
    pub metrics: Arc<Metrics>,
    /// Set when the gateway starts stopping: `/readyz` answers 503 from then on.
    pub stopping: Arc<AtomicBool>,
    /// Card requests being worked on, which `retrieveTransaction` answers as still in progress.
    pub in_flight: InFlight,
    /// The merchants last found active: a hint of where to check a merchant, never the answer.
    pub seen_active: SeenActive,
}

/// The parts of [`Config`] handlers need, resolved (e.g. the public URL once the port is known).
#[derive(Debug)]
pub struct Settings {
    pub public_url: String,
    pub sandbox: bool,
    pub idempotency: IdempotencyMode,
    pub order_ttl: chrono::Duration,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// An absolute URL of one of the gateway's pages.
    pub fn page_url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.public_url)
    }
}

/// A gateway serving on [`RunningGateway::addr`] until [`RunningGateway::stop`].
pub struct RunningGateway {
    pub addr: SocketAddr,
    pub public_url: String,
    pub db: Db,
    stop_server: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
    stop_worker: watch::Sender<bool>,
    worker: JoinHandle<()>,
    /// Erases the cards of lapsed registrations; stopped with the worker.
    card_retention: JoinHandle<()>,
    metrics: Arc<Metrics>,
    stopping: Arc<AtomicBool>,
    shutdown_timeout: Duration,
}

pub async fn start(config: Config) -> anyhow::Result<RunningGateway> {
    // The checks `easypay config` makes: a setting it refuses never starts a gateway.
    config.validate()?;
    // What can fail without creating anything goes first: the listen address, then where the
    // card key comes from. Only then the database file and a new key file are made.
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let key_source = KeySource::find(
        config.card_key.as_deref(),
        config.card_key_file.as_deref(),
        &config.database_url,
    )?;
    let db = Db::connect(&config.database_url, config.lock_wait).await?;
    if let KeySource::NewFile(path) = &key_source {
        if crate::store::card_key_check::has_a_key(db.pool()).await? {
            anyhow::bail!(
                "no card key file at {}, but this database's card data is sealed with a card key: \
                 give this process that key (--card-key, EASYPAY_CARD_KEY, --card-key-file, or a \
                 copy of the key file the others use); no new key was made (docs/cards.md)",
                path.display()
            );
        }
    }
    let new_key_file = match &key_source {
        KeySource::NewFile(path) => Some(path.clone()),
        KeySource::Known(_) => None,
    };
    let vault = key_source.open()?;
    if !crate::store::card_key_check::holds_the_key(db.pool(), &vault).await? {
        // Another process recorded its key first: the file made just now seals nothing, and left
        // in place it would refuse every later start from this directory the same way.
        if let Some(path) = new_key_file {
            let _ = std::fs::remove_file(path);
        }
        anyhow::bail!(
            "this database's card data is sealed with another card key: give this process the \
             key the others use (--card-key, EASYPAY_CARD_KEY, or a copy of their key file); \
             with this one no stored billing key could be charged (docs/cards.md)"
        );
    }
    let addr = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let metrics = Arc::new(Metrics::default());
    let stopping = Arc::new(AtomicBool::new(false));
    let notifier = Notifier::new(db.clone(), config.notify.clone(), metrics.clone())?;
    let state = AppState(Arc::new(Shared {
        db: db.clone(),
        settings: Settings {
            public_url: public_url.clone(),
            sandbox: config.sandbox,
            idempotency: config.idempotency,
            order_ttl: chrono::Duration::from_std(config.order_ttl)
                .context("--order-ttl is too long")?,
        },
        notifier: notifier.clone(),
        vault,
        metrics: metrics.clone(),
        stopping: stopping.clone(),
        in_flight: InFlight::default(),
        seen_active: SeenActive::default(),
    }));
    if config.sandbox {
        refuse_sandbox_on_a_production_database(&db).await?;
        crate::sandbox::ensure_sandbox_merchant(&state).await?;
    } else {
        crate::sandbox::retire_public_secrets(&state).await?;
        crate::store::production_mark::record(db.pool(), chrono::Utc::now()).await?;
    }
    let (stop_worker, worker_stopped) = watch::channel(false);
    let card_retention = crate::service::card_retention::spawn(
        db.clone(),
        crate::service::card_retention::SWEEP_EVERY,
        worker_stopped.clone(),
    );
    let worker = notifier.spawn(worker_stopped);
    let router = crate::http::router(state);
    let (stop_server, server_stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = server_stopped.await;
            })
            .await
    });
    Ok(RunningGateway {
        addr,
        public_url,
        db,
        stop_server,
        server,
        stop_worker,
        worker,
        card_retention,
        metrics,
        stopping,
        shutdown_timeout: config.shutdown_timeout,
    })
}

/// Sandbox mode's control plane answers anyone: on a database a gateway has served outside
/// sandbox mode, it would let anyone approve real merchants' orders and replace their keys.
async fn refuse_sandbox_on_a_production_database(db: &Db) -> anyhow::Result<()> {
    use crate::store::production_mark::{self, Served};
    let since = match production_mark::served(db.pool()).await? {
        Served::NeverInProduction => return Ok(()),
        Served::InProductionSince(Some(at)) => format!(
            " since {} Seoul time",
            at.with_timezone(&easypay_api::seoul_time::seoul())
                .format("%Y-%m-%d %H:%M:%S")
        ),
        // An earlier version's --no-sandbox start deactivated the public sandbox merchant.
        Served::InProductionSince(None) => " (by an earlier version)".to_owned(),
    };
    anyhow::bail!(
        "this database has been served outside sandbox mode (--no-sandbox){since}: sandbox mode \
         would open its unauthenticated control plane (/_sandbox/) on its merchants, letting \
         anyone approve their orders and replace their keys; start with --no-sandbox \
         (EASYPAY_NO_SANDBOX=true), or give the sandbox a database of its own"
    )
}

impl RunningGateway {
    /// Requests being handled now.
    pub fn in_flight(&self) -> i64 {
        self.metrics.in_flight()
    }

    /// Stops accepting connections, lets in-flight requests (for at most the shutdown timeout)
    /// and notification attempts finish, closes the database. `/readyz` answers 503 meanwhile.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stopping.store(true, Ordering::Relaxed);
        let _ = self.stop_server.send(());
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
        let mut server = self.server;
        match tokio::time::timeout_at(deadline, &mut server).await {
            Ok(finished) => finished.context("the server task panicked")??,
            Err(_) => {
                tracing::warn!(
                    in_flight = self.metrics.in_flight(),
                    timeout = ?self.shutdown_timeout,
                    "requests still running after the shutdown timeout; closing them"
                );
                server.abort();
            }
        }
        // A request whose client went away runs on after its connection closed: let it finish.
        while self.metrics.in_flight() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.stop_worker.send(true);
        self.worker
            .await
            .context("the notification worker panicked")?;
        self.card_retention
            .await
            .context("the card retention sweep panicked")?;
        self.db.close().await;
        Ok(())
    }
}
