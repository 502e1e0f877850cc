//! The `easypay` binary itself: durability across `kill -9`, and merchant administration.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{create_body, fresh_database, new_key, spawn_with, Backend, TestApp, MALL_ID};
use crate::on_both_backends;
use crate::receiver::Receiver;

const EASYPAY: &str = env!("CARGO_BIN_EXE_easypay");

struct ServeProcess {
    child: Child,
    base_url: String,
}

impl ServeProcess {
    async fn start(database_url: &str) -> ServeProcess {
        ServeProcess::start_with(database_url, &[]).await
    }

    async fn start_with(database_url: &str, extra: &[&str]) -> ServeProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(EASYPAY)
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                database_url,
            ])
            .args(extra)
            // A fixed card key, so no key file lands in the working directory (PostgreSQL's default).
            .env(
                "EASYPAY_CARD_KEY",
                "ZWFzeXBheS10ZXN0LWNhcmQta2V5LTMyLWJ5dGVzISE=",
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("easypay serve starts");
        let base_url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .post(format!("{base_url}/api/trades/wechatpay"))
                .body("{}")
                .send()
                .await
                .is_ok()
            {
                return ServeProcess { child, base_url };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("easypay serve did not start listening within 10 s");
    }

    async fn post(&self, path: &str, body: &Value) -> String {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base_url))
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }
}

/// A `"0000"` answer is committed before it is sent: SIGKILL right after loses nothing.
async fn answered_orders_survive_kill_9(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(&backend, &dir).await;
    let gateway = ServeProcess::start(&database_url).await;
    let create = create_body("native");
    let created = gateway.post("/api/trades/wechatpay", &create).await;
    let pg_cno = serde_json::from_str::<Value>(&created).unwrap()["pgCno"]
        .as_str()
        .unwrap()
        .to_owned();
    gateway
        .post(&format!("/_sandbox/wechat/{pg_cno}/approve"), &json!({}))
        .await;
    gateway.kill_9();

    let gateway = ServeProcess::start(&database_url).await;
    assert_eq!(
        gateway.post("/api/trades/wechatpay", &create).await,
        created
    );
    let find = json!({"mallId": MALL_ID, "shopTransactionId": new_key(), "pgCno": pg_cno});
    let found: Value =
        serde_json::from_str(&gateway.post("/api/trades/wechatpay/find", &find).await).unwrap();
    assert_eq!(
        (found["resCd"].as_str(), found["statusCd"].as_str()),
        (Some("0000"), Some("TS01"))
    );
    gateway.kill_9();
}

pub(crate) fn easypay(args: &[&str], database_url: &str) -> Output {
    Command::new(EASYPAY)
        .args(args)
        .args(["--database-url", database_url])
        .output()
        .expect("easypay runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

async fn merchants_are_administered_from_the_cli(backend: Backend) {
    let app = spawn_with(backend, |_| {}).await;
    let db = app.database_url.as_str();

    let added = stdout(&easypay(
        &["merchant", "add", "T0000077", "--name", "Coffee Shop"],
        db,
    ));
    let secret = added
        .lines()
        .find_map(|line| line.strip_prefix("secret key: "))
        .expect("add prints the secret key")
        .to_owned();
    let webhook_secret = added
        .lines()
        .find_map(|line| line.strip_prefix("webhook secret: "))
        .expect("add prints the webhook secret")
        .to_owned();
    assert!(webhook_secret.starts_with("whsec_"));
    assert_eq!(secret.len(), 48);

    let listed = stdout(&easypay(&["merchant", "list"], db));
    assert!(
        listed.contains("T0000077") && listed.contains(MALL_ID),
        "{listed}"
    );
    let shown = stdout(&easypay(&["merchant", "show", "T0000077"], db));
    assert!(
        shown.contains("Coffee Shop") && shown.contains("active"),
        "{shown}"
    );
    for output in [&listed, &shown] {
        assert!(!output.contains(&secret), "the secret key leaked: {output}");
        assert!(
            !output.contains(&webhook_secret),
            "the webhook secret leaked: {output}"
        );
        assert!(
            !output.contains("easypay-sandbox-secret"),
            "the sandbox key leaked: {output}"
        );
    }
    assert!(
        shown.contains(&format!("********{}", &secret[secret.len() - 4..])),
        "{shown}"
    );

    let again = easypay(&["merchant", "add", "T0000077"], db);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = easypay(&["merchant", "add", "TOO-LONG-ID"], db);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("mallId: at most 8 bytes"));
    // IDs no request (or HTTP Basic user name) could carry are refused, not stored.
    for unusable in ["", "T5:02", "T51 02", "한글"] {
        let refused = easypay(&["merchant", "add", unusable], db);
        assert!(!refused.status.success(), "{unusable:?} was added");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("mallId: "), "{unusable:?}: {stderr}");
    }
    let listed = stdout(&easypay(&["merchant", "list"], db));
    assert_eq!(
        listed.lines().count(),
        3,
        "header, sandbox, T0000077: {listed}"
    );

    // `merchant list | head -0`: the reader is gone before the list is printed; no panic.
    let mut piped = Command::new(EASYPAY)
        .args(["merchant", "list", "--database-url", db])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(piped.stdout.take());
    let closed = piped.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&closed.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(closed.status.code(), Some(101), "{stderr}");

    // A mistyped database path is an error, and creates nothing.
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let typo_url = format!("sqlite://{}", typo.display());
    for args in [&["merchant", "list"][..], &["notifications", "list"][..]] {
        let missing = easypay(args, &typo_url);
        assert!(!missing.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&missing.stderr);
        assert!(stderr.contains("no database at"), "{args:?}: {stderr}");
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());

    let mut body = create_body("native");
    body["mallId"] = json!("T0000077");
    app.create_ok(&body).await;
    stdout(&easypay(&["merchant", "deactivate", "T0000077"], db));
    body["shopTransactionId"] = json!(new_key());
    assert_eq!(app.create(&body).await["resCd"], "M002");
    stdout(&easypay(&["merchant", "activate", "T0000077"], db));
    body["shopOrderNo"] = json!("ORDER-AFTER-REACTIVATION");
    app.create_ok(&body).await;
}

/// A WeChat cancel of an unpaid order signed with `secret_key`: `C001` once the signature passes,
/// `C009` when the key is not the merchant's.
pub(crate) async fn cancel_signed_with(
    app: &TestApp,
    mall_id: &str,
    pg_cno: &str,
    secret_key: &str,
) -> Value {
    let key = new_key();
    let body = json!({
        "mallId": mall_id, "shopTransactionId": key, "pgCno": pg_cno, "reviseTypeCode": "40",
        "cancelReqDate": easypay_api::seoul_time::date(chrono::Utc::now()),
        "msgAuthValue": easypay_api::msg_auth::sign(secret_key, &[pg_cno, &key]),
    });
    app.post("/api/trades/wechatpay/revise", &body).await.1
}

async fn a_merchant_is_updated_from_the_cli(backend: Backend) {
    let app = spawn_with(backend, |_| {}).await;
    let db = app.database_url.as_str();
    let added = stdout(&easypay(&["merchant", "add", "T0000078"], db));
    let old_key = added
        .lines()
        .find_map(|line| line.strip_prefix("secret key: "))
        .unwrap()
        .to_owned();
    let mut body = create_body("native");
    body["mallId"] = json!("T0000078");
    let pg_cno = app.create_ok(&body).await;

    // A key set by hand must be long enough to be one; a refused update changes nothing.
    let short = easypay(
        &["merchant", "update", "T0000078", "--secret-key", "short"],
        db,
    );
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("--secret-key: at least 16 bytes (got 5)")
    );
    let nothing = easypay(&["merchant", "update", "T0000078"], db);
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("nothing to change"));
    let unknown = easypay(&["merchant", "update", "T0000404", "--name", "x"], db);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no merchant T0000404"));
    let unknown = easypay(&["notifications", "list", "--mall-id", "T0000404"], db);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no merchant T0000404"));
    let answer = cancel_signed_with(&app, "T0000078", &pg_cno, &old_key).await;
    assert_eq!(answer["resCd"], "C001", "{answer}");

    // `--database-url` before the subcommand works too.
    let new_key_value = "rotated-secret-key-0001";
    let updated = Command::new(EASYPAY)
        .args(["merchant", "--database-url", db, "update", "T0000078"])
        .args(["--secret-key", new_key_value, "--name", "Tea House"])
        .args([
            "--noti-url",
            "https://shop.example/card-notify",
            "--new-webhook-secret",
        ])
        .output()
        .unwrap();
    let updated = stdout(&updated);
    assert!(updated.contains("name:          Tea House"), "{updated}");
    assert!(
        updated.contains("https://shop.example/card-notify"),
        "{updated}"
    );
    assert!(
        !updated.contains(new_key_value),
        "a key given by hand is not echoed: {updated}"
    );
    let webhook_secret = updated
        .lines()
        .find_map(|line| line.strip_prefix("webhook secret: "))
        .expect("a new webhook secret is printed once");
    assert!(webhook_secret.starts_with("whsec_"), "{updated}");

    let answer = cancel_signed_with(&app, "T0000078", &pg_cno, &old_key).await;
    assert_eq!(
        answer["resCd"], "C009",
        "the old key no longer signs: {answer}"
    );
    let answer = cancel_signed_with(&app, "T0000078", &pg_cno, new_key_value).await;
    assert_eq!(answer["resCd"], "C001", "{answer}");

    stdout(&easypay(
        &["merchant", "update", "T0000078", "--no-noti-url"],
        db,
    ));
    let shown = stdout(&easypay(&["merchant", "show", "T0000078"], db));
    assert!(shown.contains("notiUrl:       -"), "{shown}");
    assert!(shown.contains("Tea House"), "{shown}");
}

/// The SQLite file moved away under a running `serve`: every commit from then on would go to a file
/// a restart does not find, so the gateway stops (exit status 74) instead of answering them.
#[tokio::test]
async fn serve_stops_when_its_sqlite_file_is_moved_away() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(&Backend::Sqlite, &dir).await;
    let mut gateway = ServeProcess::start(&database_url).await;
    let created: Value = serde_json::from_str(
        &gateway
            .post("/api/trades/wechatpay", &create_body("native"))
            .await,
    )
    .unwrap();
    assert_eq!(created["resCd"], "0000");
    std::fs::rename(
        dir.path().join("easypay.db"),
        dir.path().join("moved-away.db"),
    )
    .unwrap();
    let mut status = None;
    for _ in 0..100 {
        status = gateway.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(74),
        "it stopped within 10 s"
    );
}

/// Receiver down, notification pending, gateway killed, restarted, receiver up: it arrives.
async fn a_pending_notification_survives_kill_9(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(&backend, &dir).await;
    // Attempts every 200 ms: the kill may cut one, whose lease (the 2 s timeout + 30 s) must then
    // run out before the restarted gateway tries again, hence the wait of up to 45 s below.
    let fast = [
        "--wechat-notify-schedule",
        "200ms*100",
        "--notify-timeout",
        "2s",
    ];
    let mut receiver = Receiver::stopped().await;
    let gateway = ServeProcess::start_with(&database_url, &fast).await;
    let mut body = create_body("native");
    body["notifyUrl"] = json!(receiver.url);
    let created: Value =
        serde_json::from_str(&gateway.post("/api/trades/wechatpay", &body).await).unwrap();
    let pg_cno = created["pgCno"].as_str().unwrap();
    gateway
        .post(&format!("/_sandbox/wechat/{pg_cno}/approve"), &json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    gateway.kill_9();

    let gateway = ServeProcess::start_with(&database_url, &fast).await;
    receiver.resume().await;
    let received = receiver.wait_for(1, Duration::from_secs(45)).await;
    assert!(received[0].body.contains(pg_cno));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listed = stdout(&easypay(
        &["notifications", "list", "--status", "delivered"],
        &database_url,
    ));
    assert!(listed.contains("wechat.approval"), "{listed}");
    let id = &received[0].headers["webhook-id"];
    let shown = stdout(&easypay(&["notifications", "show", id], &database_url));
    assert!(
        shown.contains("connection_refused") && shown.contains("acknowledged"),
        "{shown}"
    );
    gateway.kill_9();
}

on_both_backends!(
    answered_orders_survive_kill_9,
    merchants_are_administered_from_the_cli,
    a_merchant_is_updated_from_the_cli,
    a_pending_notification_survives_kill_9,
);

/// Two gateway processes on one PostgreSQL share the outbox: every notification arrives, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_on_one_postgres_deliver_each_notification_once() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(&backend, &dir).await;
    let receiver = Receiver::start().await;
    let flags = ["--notify-concurrency", "4"];
    let first = ServeProcess::start_with(&database_url, &flags).await;
    let second = ServeProcess::start_with(&database_url, &flags).await;
    const ORDERS: usize = 60;
    for i in 0..ORDERS {
        let mut body = create_body("native");
        body["notifyUrl"] = json!(receiver.url);
        let gateway = if i % 2 == 0 { &first } else { &second };
        let created: Value =
            serde_json::from_str(&gateway.post("/api/trades/wechatpay", &body).await).unwrap();
        let pg_cno = created["pgCno"].as_str().unwrap();
        gateway
            .post(&format!("/_sandbox/wechat/{pg_cno}/approve"), &json!({}))
            .await;
    }
    receiver.wait_for(ORDERS, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received = receiver.received();
    let ids: std::collections::HashSet<&str> = received
        .iter()
        .map(|r| r.headers["webhook-id"].as_str())
        .collect();
    assert_eq!((received.len(), ids.len()), (ORDERS, ORDERS));
    first.kill_9();
    second.kill_9();
}

/// SQLite runs in WAL mode; commits write the WAL (`synchronous = NORMAL`) and each answer waits
/// for a shared fsync of it (group commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commits_wait_for_a_shared_wal_fsync() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let pool = app.gateway().db.pool();
    for _ in 0..4 {
        let mut conn = pool.acquire().await.unwrap();
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 1));
    }
    let (commits_before, syncs_before) = app
        .gateway()
        .db
        .group_commit_counts()
        .expect("group commit");
    let bodies: Vec<Value> = (0..40).map(|_| create_body("native")).collect();
    let answers = futures_util::future::join_all(bodies.iter().map(|body| app.create(body))).await;
    assert!(answers.iter().all(|answer| answer["resCd"] == "0000"));
    let (commits, syncs) = app.gateway().db.group_commit_counts().unwrap();
    let (commits, syncs) = (commits - commits_before, syncs - syncs_before);
    // Batching puts several creates in one transaction: 40 answers took 1 to 40 commits.
    assert!((1..=40).contains(&commits), "{commits} commits");
    // Every answer waited for an fsync, and there are no more fsyncs than commits (plus one that
    // may have been under way at the first count). How many commits share one fsync depends on
    // the disk; group_sync's unit test shows the sharing itself.
    assert!(
        (1..=commits + 1).contains(&syncs),
        "{syncs} fsyncs for {commits} commits"
    );
}
