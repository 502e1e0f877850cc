//! Layered configuration (issue 7): defaults < TOML file < environment < flags, `easypay config`
//! printing the result with secrets masked, and `serve` running on it.

use std::process::{Command, Stdio};
use std::time::Duration;

const EASYPAY: &str = env!("CARGO_BIN_EXE_easypay");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The line of `easypay config`'s output for `key`.
fn line<'a>(output: &'a str, key: &str) -> &'a str {
    output
        .lines()
        .find(|line| {
            line.starts_with(&format!("{key} =")) || line.starts_with(&format!("# {key} ="))
        })
        .unwrap_or_else(|| panic!("no {key} in\n{output}"))
}

#[test]
fn each_layer_overrides_the_one_before_and_secrets_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("easypay.toml");
    std::fs::write(
        &file,
        r#"
addr = "127.0.0.1:9999"
database-url = "postgres://easypay:db-password@db.internal/easypay"
order-ttl = "30m"
lock-wait = "5s"
notify-allow = ["10.0.0.0/8", "192.168.0.0/16"]
no-sandbox = true
notify-concurrency = 8
log-format = "json"
"#,
    )
    .unwrap();
    let key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    let output = Command::new(EASYPAY)
        .args(["config", "--config"])
        .arg(&file)
        .args(["--lock-wait", "3s"])
        .env("EASYPAY_ORDER_TTL", "45m")
        .env("EASYPAY_CARD_KEY", key)
        .env_remove("EASYPAY_ADDR")
        .env_remove("EASYPAY_LOCK_WAIT")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (key, value, source) in [
        ("addr", "\"127.0.0.1:9999\"", "config file"),
        ("order-ttl", "\"45m\"", "environment"),
        ("lock-wait", "\"3s\"", "flag"),
        ("idempotency", "\"standard\"", "default"),
        ("notify-concurrency", "8", "config file"),
        (
            "notify-allow",
            "[\"10.0.0.0/8\", \"192.168.0.0/16\"]",
            "config file",
        ),
        ("no-sandbox", "true", "config file"),
        ("log-format", "\"json\"", "config file"),
        ("card-key", "\"********\"", "environment"),
        (
            "database-url",
            "\"postgres://easypay:***@db.internal/easypay\"",
            "config file",
        ),
    ] {
        let found = line(&stdout, key);
        assert!(
            found.starts_with(&format!("{key} = {value} "))
                && found.ends_with(&format!("# {source}")),
            "{found}"
        );
    }
    assert!(line(&stdout, "public-url").starts_with("# public-url ="));
    assert!(
        !stdout.contains(key) && !stdout.contains("db-password"),
        "{stdout}"
    );
}

#[test]
fn a_bad_file_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    for (text, reason) in [
        ("addres = \"x\"", "unknown setting \"addres\""),
        ("order-ttl = \"2d\"", "the unit must be ms, s, m or h"),
        ("addr = [", "not valid TOML"),
        ("card-key = \"c2hvcnQ=\"", "--card-key"),
        ("order-ttl = \"0s\"", "--order-ttl must be at least 1s"),
        (
            "notify-concurrency = 0",
            "--notify-concurrency must be at least 1",
        ),
        (
            "notify-timeout = \"0s\"",
            "--notify-timeout must be more than 0s",
        ),
        (
            "card-key-file = \"/nonexistent/dir/k.key\"",
            "the directory /nonexistent/dir does not exist",
        ),
        ("lock-wait = \"0ms\"", "--lock-wait must be at least 1ms"),
        ("wechat-notify-schedule = \"10s,,5m\"", "an empty delay"),
        ("card-notify-schedule = \"3m*0\"", "1 to 100 repeats"),
        (
            "public-url = \"ftp://pay.example\"",
            "--public-url must be an http",
        ),
        (
            "public-url = \"http:/pay.example\"",
            "--public-url must be an http",
        ),
    ] {
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, text).unwrap();
        let output = Command::new(EASYPAY)
            .args(["config", "--config"])
            .arg(&file)
            .env_remove("EASYPAY_CARD_KEY")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{text}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(reason), "{text}: {stderr}");
    }
}

/// `serve` refuses what `config` refuses, before it opens anything.
#[test]
fn serve_refuses_a_setting_that_config_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("e.db").display());
    let output = Command::new(EASYPAY)
        .args([
            "serve",
            "--public-url",
            "not-a-url",
            "--database-url",
            &database,
        ])
        .args(["--addr", &format!("127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--public-url is not an absolute URL"),
        "{stderr}"
    );
    assert!(!dir.path().join("e.db").exists(), "nothing was opened");
}

/// A PostgreSQL that is not there is named as such at once, not after a pool's timeout.
#[test]
fn an_unreachable_postgres_is_refused_with_its_cause() {
    let database = format!("postgres://postgres@127.0.0.1:{}/none", free_port());
    let started = std::time::Instant::now();
    let output = Command::new(EASYPAY)
        .args(["serve", "--database-url", &database])
        .args(["--addr", &format!("127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// A file that is not a SQLite database, and a database in a directory that does not exist, are
/// named as such at once.
#[test]
fn a_sqlite_path_that_cannot_be_a_database_is_refused_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_database = dir.path().join("notes.db");
    std::fs::write(&not_a_database, "hello, this is not SQLite\n").unwrap();
    let started = std::time::Instant::now();
    let output = Command::new(EASYPAY)
        .args(["merchant", "list", "--database-url"])
        .arg(format!("sqlite://{}", not_a_database.display()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("file is not a database"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    let missing = dir.path().join("no-such-dir").join("easypay.db");
    let output = Command::new(EASYPAY)
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
        .arg("--database-url")
        .arg(format!("sqlite://{}", missing.display()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-dir does not exist"), "{stderr}");
}

/// `--mall-id` narrows `resend --failed`; with one notification's id it would be ignored, so it
/// is refused before anything is resent.
#[test]
fn resend_refuses_a_mall_id_beside_a_notification_id() {
    let output = Command::new(EASYPAY)
        .args(["notifications", "resend", "msg_x", "--mall-id", "T0000002"])
        .args(["--database-url", "sqlite:///nonexistent/none.db"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot be used with '--mall-id"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_on_the_file_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("easypay.toml");
    std::fs::write(
        &file,
        format!(
            "addr = \"127.0.0.1:{port}\"\ndatabase-url = \"sqlite://{}\"\ncard-key-file = \"{}\"\nlog-format = \"json\"\n",
            dir.path().join("easypay.db").display(),
            dir.path().join("card.key").display()
        ),
    )
    .unwrap();
    let log = dir.path().join("log");
    let mut child = Command::new(EASYPAY)
        .arg("serve")
        .env("EASYPAY_CONFIG", &file)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if let Ok(answer) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            ready = answer.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the gateway listens on the file's address");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut status = None;
    for _ in 0..200 {
        if let Some(exited) = child.try_wait().unwrap() {
            status = Some(exited);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.expect("the gateway stops after SIGTERM");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{text}");
    for message in [
        "easypay gateway listening",
        "notification worker stopped",
        "\"stopped\"",
    ] {
        assert!(text.contains(message), "{message} in\n{text}");
    }
    for entry in text.lines() {
        serde_json::from_str::<serde_json::Value>(entry).expect("JSON log lines");
    }
}
