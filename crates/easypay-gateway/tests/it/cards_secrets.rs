//! Decision 20 end to end: after a full card flow through a real `easypay serve` process logging
//! at debug level, neither the database (SQLite file, WAL and shared memory; or every PostgreSQL
//! row) nor the log holds the card number, the expiry, the birth date or the password; and the
//! log (JSON lines, issue 7) holds no secret: not the merchant's secret key, its webhook secret or
//! the card key.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::card_flow::{charge_body, hidden, issue_body, remove_body, webpay_body};
use crate::helpers::{fresh_database, Backend};
use crate::on_both_backends;

const EASYPAY: &str = env!("CARGO_BIN_EXE_easypay");
const CARD: &str = "4518420000000015";
const TYPO: &str = "4518420000000016";
const BIRTH_DATE: &str = "870523";

async fn post(client: &reqwest::Client, base: &str, path: &str, body: &Value) -> Value {
    client
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn post_form(client: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> String {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Registers `CARD` (after a typo), issues its key, charges it twice and removes it.
async fn full_flow(base: &str) {
    let client = reqwest::Client::new();
    let registration = webpay_body("https://shop.example/return");
    let answer = post(&client, base, "/api/ep9/trades/webpay", &registration).await;
    let window = answer["authPageUrl"].as_str().unwrap().to_owned();
    let page = client
        .get(&window)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form_token = hidden(&page, "formToken").unwrap();
    let mut fields = vec![
        ("formToken", form_token.as_str()),
        ("cardNo", TYPO),
        ("expiry", "0931"),
        ("birthDate", BIRTH_DATE),
        ("cardPassword", "47"),
    ];
    let refused = post_form(&client, &window, &fields).await;
    assert!(
        refused.contains("카드번호가 올바르지 않습니다"),
        "{refused}"
    );
    fields[1] = ("cardNo", CARD);
    let done = post_form(&client, &window, &fields).await;
    let authorization = hidden(&done, "authorizationId").unwrap();
    let order = registration["shopOrderNo"].as_str().unwrap();
    let issued = post(
        &client,
        base,
        "/api/ep9/trades/approval",
        &issue_body(order, &authorization),
    )
    .await;
    assert_eq!(issued["resCd"], "0000", "{issued}");
    let key = issued["paymentInfo"]["cardInfo"]["cardNo"]
        .as_str()
        .unwrap();
    for amount in [1000, 20_000_000] {
        let charged = post(
            &client,
            base,
            "/api/trades/approval/batch",
            &charge_body(key, amount),
        )
        .await;
        assert!(
            charged["resCd"] == "0000" || charged["resCd"] == "8521",
            "{charged}"
        );
    }
    let removed = post(
        &client,
        base,
        "/api/trades/removeBatchKey",
        &remove_body(key),
    )
    .await;
    assert_eq!(removed["resCd"], "0000");
}

/// The card data as it could appear anywhere: digits alone, typed with spaces, or a form body
/// (the two password digits and the four expiry digits are too short to look for alone).
fn secrets() -> Vec<String> {
    let spaced = |number: &str| {
        format!(
            "{} {} {} {}",
            &number[..4],
            &number[4..8],
            &number[8..12],
            &number[12..]
        )
    };
    vec![
        CARD.into(),
        TYPO.into(),
        spaced(CARD),
        BIRTH_DATE.into(),
        "cardPassword=".into(),
        "expiry=".into(),
    ]
}

fn assert_clean(what: &str, bytes: &[u8]) {
    for secret in secrets() {
        assert!(
            !bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes()),
            "{what} contains {secret:?}"
        );
    }
}

async fn no_card_data_in_clear_in_the_database_or_the_logs(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(&backend, &dir).await;
    let log_path = dir.path().join("easypay.log");
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
            &database_url,
            "--log-format",
            "json",
        ])
        .env("RUST_LOG", "debug")
        .env("EASYPAY_CARD_KEY_FILE", dir.path().join("card.key"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("easypay serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/billing/window/x"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    full_flow(&base).await;
    // SIGKILL: whatever the WAL holds stays there to be read.
    child.kill().unwrap();
    child.wait().unwrap();

    let log = std::fs::read(&log_path).unwrap();
    assert!(
        String::from_utf8_lossy(&log).contains("/billing/window/"),
        "the log saw the flow"
    );
    assert_clean("the log", &log);
    let text = String::from_utf8_lossy(&log);
    let card_key = std::fs::read_to_string(dir.path().join("card.key")).unwrap_or_default();
    for secret in [
        easypay_gateway::sandbox::SANDBOX_SECRET_KEY,
        easypay_gateway::sandbox::SANDBOX_WEBHOOK_SECRET,
        card_key.trim(),
    ] {
        assert!(secret.len() >= 16, "the card key file exists");
        assert!(
            !text.contains(secret),
            "the log contains a secret ({} bytes)",
            secret.len()
        );
    }
    // One JSON object per line, and every request's lines carry its request id.
    let mut request_ids = 0;
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("a log line is not JSON: {line}"));
        if entry["message"] == "answered" {
            assert!(entry["span"]["request_id"].is_string(), "{line}");
            request_ids += 1;
        }
    }
    assert!(
        request_ids >= 6,
        "every request logged its answer with its id"
    );
    match backend {
        Backend::Sqlite => {
            let db = dir.path().join("easypay.db");
            let mut scanned = 0;
            for suffix in ["", "-wal", "-shm"] {
                let path = format!("{}{suffix}", db.display());
                if let Ok(bytes) = std::fs::read(&path) {
                    assert_clean(&path, &bytes);
                    scanned += bytes.len();
                }
            }
            assert!(scanned > 0);
        }
        Backend::Postgres { .. } => {
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect(&database_url).await.unwrap();
            let mut rows = String::new();
            for table in [
                "billing_registrations",
                "billing_keys",
                "card_payments",
                "idempotency_keys",
                "notifications",
                "order_numbers",
            ] {
                let all: Vec<(String,)> =
                    sqlx::query_as(&format!("SELECT CAST(t AS TEXT) FROM {table} t"))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                assert!(
                    !all.is_empty() || table == "notifications",
                    "{table} has rows"
                );
                rows.extend(all.into_iter().map(|(row,)| row));
            }
            assert!(rows.contains("451842"), "the masked number is there");
            assert_clean("the PostgreSQL rows", rows.as_bytes());
        }
    }
}

on_both_backends!(no_card_data_in_clear_in_the_database_or_the_logs);
