//! Gateways the tool starts itself: a fresh database (a SQLite file or a new PostgreSQL database),
//! `easypay serve` processes on loopback ports, `kill -9` and restart on the same port.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::Connection;
use tokio::process::{Child, Command};

/// When set, `easypay-bench` runs as the gateway itself (`easypay-bench serve …` is `easypay
/// serve …`): see [`GatewayBin::SelfBinary`].
pub const AS_GATEWAY_ENV: &str = "EASYPAY_BENCH_AS_GATEWAY";

/// The PostgreSQL server the tool creates its databases on, unless `--postgres-url` says otherwise.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long a gateway may take to answer after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// Which program runs the gateway.
#[derive(Clone, Debug)]
pub enum GatewayBin {
    /// The `easypay` binary at this path (normally `target/release/easypay`).
    Path(PathBuf),
    /// This very binary, linked with the gateway library, acting as `easypay` (for tests: the
    /// gateway is then built in the same profile as the tool, and always up to date).
    SelfBinary,
}

impl GatewayBin {
    /// `--gateway-bin`: a path, `self`, or (absent) the release `easypay` of this workspace.
    pub fn resolve(flag: Option<&str>) -> anyhow::Result<GatewayBin> {
        match flag {
            Some("self") => Ok(GatewayBin::SelfBinary),
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    bail!("--gateway-bin {}: no such file", path.display());
                }
                Ok(GatewayBin::Path(path))
            }
            None => {
                let mut candidates = Vec::new();
                if let Ok(exe) = std::env::current_exe() {
                    if let Some(dir) = exe.parent() {
                        if dir.file_name().is_some_and(|name| name == "release") {
                            candidates.push(dir.join("easypay"));
                        }
                    }
                }
                let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
                candidates.push(workspace.join("target/release/easypay"));
                match candidates.iter().find(|path| path.is_file()) {
                    Some(path) => Ok(GatewayBin::Path(path.clone())),
                    None => bail!(
                        "no release gateway binary at {}: build it first with \
                         `cargo build --release -p easypay-gateway` (or pass --gateway-bin PATH)",
                        candidates
                            .last()
                            .map(|path| path.display().to_string())
                            .unwrap_or_default()
                    ),
                }
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            GatewayBin::Path(path) => path.display().to_string(),
            GatewayBin::SelfBinary => "easypay-bench (self, as the gateway)".into(),
        }
    }

    fn command(&self) -> anyhow::Result<Command> {
        Ok(match self {
            GatewayBin::Path(path) => Command::new(path),
            GatewayBin::SelfBinary => {
                let mut command = Command::new(std::env::current_exe()?);
                command.env(AS_GATEWAY_ENV, "1");
                command
            }
        })
    }
}

/// A fresh database for one run, removed at the end (unless kept).
pub struct Database {
    pub url: String,
    /// The card key file every gateway on this database shares.
    pub card_key_file: PathBuf,
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Database {
    pub async fn fresh(kind: BackendKind, postgres_admin_url: &str) -> anyhow::Result<Database> {
        let dir = tempfile::Builder::new()
            .prefix("easypay-bench-")
            .tempdir()?;
        let card_key_file = dir.path().join("easypay-card.key");
        match kind {
            BackendKind::Sqlite => Ok(Database {
                url: format!("sqlite://{}", dir.path().join("easypay.db").display()),
                card_key_file,
                dir,
                postgres: None,
            }),
            BackendKind::Postgres => {
                sqlx::any::install_default_drivers();
                let name = format!("easypay_bench_{}", crate::ids::random_hex(6));
                let mut admin = sqlx::AnyConnection::connect(postgres_admin_url)
                    .await
                    .with_context(|| format!("PostgreSQL at {postgres_admin_url}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .context("CREATE DATABASE")?;
                let _ = admin.close().await;
                let mut url = url::Url::parse(postgres_admin_url)?;
                url.set_path(&name);
                Ok(Database {
                    url: url.to_string(),
                    card_key_file,
                    dir,
                    postgres: Some((postgres_admin_url.to_owned(), name)),
                })
            }
        }
    }

    /// Drops the PostgreSQL database (the SQLite file goes with the temporary directory).
    pub async fn remove(self) {
        if let Some((admin_url, name)) = &self.postgres {
            if let Ok(mut admin) = sqlx::AnyConnection::connect(admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
                let _ = admin.close().await;
            }
        }
    }
}

/// One `easypay serve` process; restarted on the same port and database after a kill.
pub struct Gateway {
    pub index: usize,
    pub addr: SocketAddr,
    pub base_url: String,
    bin: GatewayBin,
    database_url: String,
    card_key_file: PathBuf,
    extra: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
    pub starts: u32,
}

impl Gateway {
    /// Starts `easypay serve` on a free loopback port and waits until it answers.
    pub async fn start(
        index: usize,
        bin: &GatewayBin,
        database: &Database,
        extra: &[String],
    ) -> anyhow::Result<Gateway> {
        let addr = free_port()?;
        let mut gateway = Gateway {
            index,
            addr,
            base_url: format!("http://{addr}"),
            bin: bin.clone(),
            database_url: database.url.clone(),
            card_key_file: database.card_key_file.clone(),
            extra: extra.to_vec(),
            log: database.dir.path().join(format!("gateway-{index}.log")),
            child: None,
            starts: 0,
        };
        gateway.spawn().await?;
        Ok(gateway)
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut command = self.bin.command()?;
        command
            .arg("serve")
            .arg("--addr")
            .arg(self.addr.to_string())
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--card-key-file")
            .arg(&self.card_key_file)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        let mut child = command.spawn().context("starting the gateway")?;
        self.starts += 1;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let answered = client
                .post(format!("{}/api/trades/wechatpay", self.base_url))
                .body("{}")
                .send()
                .await
                .is_ok();
            if answered {
                self.child = Some(child);
                return Ok(());
            }
            if let Some(status) = child.try_wait()? {
                bail!(
                    "gateway {} exited ({status}) before answering; its log:\n{}",
                    self.index,
                    self.log_tail()
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill().await;
                bail!(
                    "gateway {} did not answer within {READY_TIMEOUT:?}; its log:\n{}",
                    self.index,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight is cut.
    pub async fn kill_9(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.start_kill()?;
            child.wait().await?;
        }
        Ok(())
    }

    /// Starts the gateway again on the same port and database.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill_9().await?;
        self.spawn().await
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The process's resident memory in KiB (Linux), if it runs.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid()?)
    }

    /// The last lines of the gateway's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// A process's resident memory in KiB (Linux), if it runs.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A loopback address with a port nobody listens on right now.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}
