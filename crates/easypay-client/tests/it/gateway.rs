//! A real gateway per test, in-process on port 0 with a fresh SQLite file, and clients for it.

use std::time::Duration;

use easypay_client::{Client, RetryPolicy};
use easypay_gateway::app::{self, RunningGateway};
use easypay_gateway::config::Config;
use easypay_gateway::sandbox::{SANDBOX_MALL_ID, SANDBOX_SECRET_KEY};
use serde_json::{json, Value};

/// Quick retries, so transport tests stay fast.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    }
}

pub struct TestGateway {
    pub running: RunningGateway,
    pub url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn start() -> TestGateway {
    start_with(|_| {}).await
}

/// A gateway with settings of its own.
pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestGateway {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("easypay.db").display());
    let mut config = Config::new("127.0.0.1:0".parse().unwrap(), database_url);
    config.notify.poll_interval = Duration::from_millis(50);
    adjust(&mut config);
    let running = app::start(config).await.expect("the gateway starts");
    TestGateway {
        url: running.public_url.clone(),
        running,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl TestGateway {
    /// The sandbox merchant's client, straight to the gateway.
    pub fn client(&self) -> Client {
        client_for(&self.url)
    }

    /// `POST /_sandbox/wechat/{pgCno}/{action}`: the simulated wallet.
    pub async fn wallet(&self, pg_cno: &str, action: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .post(format!("{}/_sandbox/wechat/{pg_cno}/{action}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(answer["resCd"], "0000", "{action}: {answer}");
        answer
    }

    /// Registers the sandbox merchant's card notification URL.
    pub async fn set_noti_url(&self, url: &str) {
        let answer: Value = self
            .http
            .put(format!("{}/_sandbox/merchants/{SANDBOX_MALL_ID}", self.url))
            .json(&json!({"secretKey": SANDBOX_SECRET_KEY, "notiUrl": url}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["resCd"], "0000", "{answer}");
    }

    /// `SELECT COUNT(*) FROM {from}` on the gateway's database: what really exists there.
    pub async fn count(&self, from: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {from}"))
            .fetch_one(self.running.db.pool())
            .await
            .unwrap()
    }
}

pub fn client_for(url: &str) -> Client {
    Client::builder(url, SANDBOX_MALL_ID, SANDBOX_SECRET_KEY)
        .retry(quick_retries())
        .build()
        .expect("a valid client")
}

/// A fresh order number.
pub fn order_no(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &easypay_client::new_shop_transaction_id()[..18]
    )
}
