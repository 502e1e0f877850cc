//! A gateway per test: spawned on port 0 with a fresh database (SQLite file or PostgreSQL database).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Once;

use easypay_gateway::app::{self, RunningGateway};
use easypay_gateway::config::{Config, IdempotencyMode};
use easypay_gateway::sandbox::SANDBOX_SECRET_KEY;
use serde_json::{json, Value};
use sqlx::Connection;

pub const MALL_ID: &str = "T5102001";

/// Runs each listed test once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = $crate::helpers::Backend::postgres() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

const POSTGRES_URL_VAR: &str = "EASYPAY_TEST_POSTGRES_URL";
const REQUIRE_POSTGRES_VAR: &str = "EASYPAY_TEST_REQUIRE_POSTGRES";

impl Backend {
    /// PostgreSQL when `EASYPAY_TEST_POSTGRES_URL` is set; otherwise the test is skipped, loudly
    /// (or fails, when `EASYPAY_TEST_REQUIRE_POSTGRES=1`, as in CI).
    pub fn postgres() -> Option<Backend> {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(admin_url) if !admin_url.is_empty() => Some(Backend::Postgres { admin_url }),
            _ => {
                assert!(
                    std::env::var(REQUIRE_POSTGRES_VAR).as_deref() != Ok("1"),
                    "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set"
                );
                static WARN: Once = Once::new();
                WARN.call_once(|| {
                    // Written straight to stderr so the test harness's capture does not hide it.
                    let _ = writeln!(
                        std::io::stderr(),
                        "\n*** PostgreSQL suite SKIPPED: set {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres to run it ***\n"
                    );
                });
                None
            }
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base_url: String,
    pub database_url: String,
    pub client: reqwest::Client,
    gateway: Option<RunningGateway>,
    config: Config,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(&backend, &dir).await;
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), database_url.clone());
    // Every test's card key beside its database, PostgreSQL included (not in the working directory).
    config.card_key_file = Some(dir.path().join("easypay-card.key"));
    adjust(&mut config);
    let gateway = app::start(config.clone()).await.expect("gateway starts");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        addr: gateway.addr,
        base_url: gateway.public_url.clone(),
        database_url,
        client,
        gateway: Some(gateway),
        config,
        _dir: dir,
    }
}

/// The URL of a new, empty database: a file in `dir` or a fresh PostgreSQL database.
pub async fn fresh_database(backend: &Backend, dir: &tempfile::TempDir) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("easypay.db").display()),
        Backend::Postgres { admin_url } => fresh_postgres_database(admin_url).await,
    }
}

/// A new, empty PostgreSQL database; answers its URL. Its name carries its creation time, so that
/// a later run can drop it: the first database a test process creates is preceded by dropping
/// those of runs that ended hours ago (tests do not drop their own: a test that fails leaves its
/// database to look at).
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    sqlx::any::install_default_drivers();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let name = format!("{TEST_DATABASE_PREFIX}{now}_{}", uuid_like());
    let mut admin = sqlx::AnyConnection::connect(admin_url)
        .await
        .expect("PostgreSQL from EASYPAY_TEST_POSTGRES_URL is reachable");
    static SWEPT: Once = Once::new();
    let mut sweep = false;
    SWEPT.call_once(|| sweep = true);
    if sweep {
        drop_stale_test_databases(&mut admin, now).await;
    }
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let mut url = url::Url::parse(admin_url).expect("a postgres:// URL");
    url.set_path(&name);
    url.to_string()
}

const TEST_DATABASE_PREFIX: &str = "easypay_test_";

/// Test databases older than this are dropped by the next test process.
const STALE_AFTER_SECS: u64 = 6 * 3600;

/// Drops the test databases created more than [`STALE_AFTER_SECS`] before `now` (and those named
/// before names carried a time). Best effort: a database still in use is left alone.
async fn drop_stale_test_databases(admin: &mut sqlx::AnyConnection, now: u64) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'easypay\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let created = name
            .strip_prefix(TEST_DATABASE_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(secs, _)| secs.parse::<u64>().ok())
            .unwrap_or(0);
        if created + STALE_AFTER_SECS < now {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut *admin)
                .await;
        }
    }
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POSTs a JSON body; answers the HTTP status and the parsed JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, body.to_string()).await
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json; charset=utf-8")
            .body(body)
            .send()
            .await
            .expect("request is answered");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("answer is JSON: {status} {text}"));
        (status, value)
    }

    /// POSTs and returns the raw answer text (for byte-for-byte comparisons).
    pub async fn post_text(&self, path: &str, body: &Value) -> (u16, String) {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET is answered")
    }

    pub async fn create(&self, body: &Value) -> Value {
        let (status, answer) = self.post("/api/trades/wechatpay", body).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// Creates an order and asserts success; answers its `pgCno`.
    pub async fn create_ok(&self, body: &Value) -> String {
        let answer = self.create(body).await;
        assert_eq!(answer["resCd"], "0000", "{answer}");
        answer["pgCno"].as_str().unwrap().to_owned()
    }

    pub async fn find(&self, pg_cno: &str) -> Value {
        let body = json!({"mallId": MALL_ID, "shopTransactionId": new_key(), "pgCno": pg_cno});
        let (status, answer) = self.post("/api/trades/wechatpay/find", &body).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    pub async fn sandbox(&self, pg_cno: &str, action: &str) -> (u16, Value) {
        self.post_raw(&format!("/_sandbox/wechat/{pg_cno}/{action}"), "")
            .await
    }

    /// The sandbox wallet approves `amount` instead of the order's (a mismatch to test).
    pub async fn approve_amount(&self, pg_cno: &str, amount: u64) -> (u16, Value) {
        self.post(
            &format!("/_sandbox/wechat/{pg_cno}/approve"),
            &serde_json::json!({ "amount": amount }),
        )
        .await
    }

    /// Stops the gateway (as a clean shutdown) and starts a new one on the same database.
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// [`TestApp::restart`] with settings changed by `adjust`.
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut Config)) {
        adjust(&mut self.config);
        self.gateway.take().expect("running").stop().await.unwrap();
        let gateway = app::start(self.config.clone())
            .await
            .expect("gateway restarts");
        self.addr = gateway.addr;
        self.base_url = gateway.public_url.clone();
        self.gateway = Some(gateway);
    }

    /// Stops the gateway (as a clean shutdown), leaving its database for another start.
    pub async fn stop(&mut self) {
        self.gateway.take().expect("running").stop().await.unwrap();
    }

    pub fn gateway(&self) -> &RunningGateway {
        self.gateway.as_ref().expect("running")
    }

    /// The settings the gateway runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A second gateway on the same database, as another process would be: its own port, pools,
    /// and memory.
    pub async fn beside(&self) -> TestApp {
        let gateway = app::start(self.config.clone())
            .await
            .expect("a second gateway starts");
        TestApp {
            addr: gateway.addr,
            base_url: gateway.public_url.clone(),
            database_url: self.database_url.clone(),
            client: self.client.clone(),
            gateway: Some(gateway),
            config: self.config.clone(),
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }
}

pub fn strict(config: &mut Config) {
    config.idempotency = IdempotencyMode::Strict;
}

/// A call to the merchant's own API (`/api/notifications…`), as the sandbox merchant.
pub async fn merchant_api(app: &TestApp, method: reqwest::Method, path: &str) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .basic_auth(MALL_ID, Some(SANDBOX_SECRET_KEY))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A fresh idempotency key.
pub fn new_key() -> String {
    format!("key-{}", uuid_like())
}

/// Seed 000's request example with fresh identifiers.
pub fn create_body(trade_type: &str) -> Value {
    json!({
        "mallId": MALL_ID,
        "shopTransactionId": new_key(),
        "shopOrderNo": format!("ORDER-{}", uuid_like()),
        "goodsName": "Sample Product",
        "returnUrl": "https://shop.example/return",
        "tradeType": trade_type,
        "notifyUrl": "https://shop.example/notify",
        "amountInfo": {"currency": "KRW", "totalAmount": 1000},
        "customerInfo": {
            "customerId": "User123",
            "customerName": "John Doe",
            "customerMail": "test@email.com",
            "customerContactNo": "01012345678",
            "customerAddr": "Seoul, Korea"
        }
    })
}

/// `hour:minute` today in Seoul, as a UTC time (to set a row's time around midnight).
pub fn today_in_seoul_at(hour: u32, minute: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let seoul = easypay_api::seoul_time::seoul();
    let today = chrono::Utc::now().with_timezone(&seoul).date_naive();
    seoul
        .from_local_datetime(&today.and_hms_opt(hour, minute, 0).expect("a valid time"))
        .single()
        .expect("a fixed offset has no ambiguous local times")
        .with_timezone(&chrono::Utc)
}
