//! A notification attempt that got no answer is logged with its merchant and why.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::create_body;

const EASYPAY: &str = env!("CARGO_BIN_EXE_easypay");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_logs_its_mall_id_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A port nobody listens on: the attempt fails before any answer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let notify_url = format!(
        "http://127.0.0.1:{}/notify?token=merchant-private",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let log_path = dir.path().join("easypay.log");
    let mut child = Command::new(EASYPAY)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}",
            dir.path().join("easypay.db").display()
        ))
        .args(["--log-format", "json", "--wechat-notify-schedule", ""])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client.get(format!("{base}/readyz")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let post = |path: String, body: Value| {
        let client = client.clone();
        async move {
            let answer: Value = client
                .post(path)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer
        }
    };
    let line = if ready {
        let mut body = create_body("native");
        body["notifyUrl"] = json!(notify_url);
        let created = post(format!("{base}/api/trades/wechatpay"), body).await;
        let pg_cno = created["pgCno"].as_str().unwrap().to_owned();
        post(
            format!("{base}/_sandbox/wechat/{pg_cno}/approve"),
            json!({}),
        )
        .await;
        post(format!("{base}/_sandbox/notifications/flush"), json!({})).await;
        // The log is written by a background thread: wait for the line (bounded).
        let mut found = None;
        for _ in 0..200 {
            let text = std::fs::read_to_string(&log_path).unwrap();
            found = text
                .lines()
                .find(|line| line.contains("notification attempt"))
                .map(str::to_owned);
            if found.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        found
    } else {
        None
    };
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let line = line.unwrap_or_else(|| panic!("no attempt logged (ready: {ready}):\n{log}"));
    let entry: Value = serde_json::from_str(&line).unwrap();
    let fields = if entry["fields"].is_object() {
        &entry["fields"]
    } else {
        &entry
    };
    assert_eq!(fields["mall_id"], "T5102001", "{line}");
    assert_eq!(fields["outcome"], "connection_refused", "{line}");
    let cause = fields["cause"]
        .as_str()
        .unwrap_or_else(|| panic!("no cause: {line}"));
    assert!(
        cause.to_lowercase().contains("connection refused"),
        "{line}"
    );
    assert!(
        !line.contains("merchant-private"),
        "the URL is not logged: {line}"
    );
}
