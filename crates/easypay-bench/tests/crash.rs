//! The crash-reconcile suite and a short load run, through the `easypay-bench` binary itself.
//! The gateway is this same binary acting as `easypay` (`--gateway-bin self`), so the suite always
//! runs the gateway code of this checkout, built in the test's profile.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BENCH: &str = env!("CARGO_BIN_EXE_easypay-bench");
const POSTGRES_URL_VAR: &str = "EASYPAY_TEST_POSTGRES_URL";
const REQUIRE_POSTGRES_VAR: &str = "EASYPAY_TEST_REQUIRE_POSTGRES";

/// Runs `easypay-bench ARGS` to its end (killed after `limit`); answers success and the output.
fn bench(args: &[&str], limit: Duration) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.txt");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Command::new(BENCH)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .spawn()
        .expect("easypay-bench starts");
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(&out_path).unwrap_or_default();
    match status {
        Some(status) => (status.success(), output),
        None => (false, format!("{output}\n*** killed after {limit:?} ***")),
    }
}

/// The PostgreSQL admin URL, or `None` after saying loudly that the test is skipped (a failure
/// when `EASYPAY_TEST_REQUIRE_POSTGRES=1`, as in CI).
fn postgres() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var(REQUIRE_POSTGRES_VAR).as_deref() != Ok("1"),
                "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set"
            );
            let _ = writeln!(
                std::io::stderr(),
                "\n*** PostgreSQL crash reconcile SKIPPED: set {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres to run it ***\n"
            );
            None
        }
    }
}

fn crash(backend: &str, postgres_url: Option<&str>) {
    let mut args = vec![
        "crash",
        "--spawn",
        backend,
        "--kills",
        "2",
        "--duration",
        "8s",
        "--connections",
        "4",
        "--gateway-bin",
        "self",
        "--no-progress",
    ];
    if let Some(url) = postgres_url {
        args.extend(["--postgres-url", url]);
    }
    let (ok, output) = bench(&args, Duration::from_secs(240));
    assert!(ok, "crash reconcile failed:\n{output}");
    assert!(output.contains("reconciled: no violation"), "{output}");
    assert!(
        output.contains("2 kill(s), gateway started 3 time(s)"),
        "{output}"
    );
}

#[test]
fn crash_reconcile_on_sqlite() {
    crash("sqlite", None);
}

#[test]
fn crash_reconcile_on_postgres() {
    if let Some(url) = postgres() {
        crash("postgres", Some(&url));
    }
}

/// A short `run` writes the per-endpoint report with the echo ceiling beside it.
#[test]
fn a_short_run_reports_every_endpoint_against_the_echo() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let (ok, output) = bench(
        &[
            "run",
            "--spawn",
            "sqlite",
            "--duration",
            "2s",
            "--warmup",
            "500ms",
            "--echo-duration",
            "1s",
            "--connections",
            "4",
            "--keys",
            "2",
            "--gateway-bin",
            "self",
            "--no-progress",
            "--json",
            json.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    assert!(ok, "run failed:\n{output}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(
        report["echo"]["throughput"].as_f64().unwrap() > 0.0,
        "{report}"
    );
    // The ceiling is the best of its rounds (three by default).
    let rounds: Vec<f64> = report["echo_rounds_rps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rps| rps.as_f64().unwrap())
        .collect();
    assert_eq!(rounds.len(), 3, "{report}");
    let best = rounds.iter().copied().fold(0.0, f64::max);
    assert_eq!(report["echo"]["throughput"].as_f64().unwrap(), best);
    let phase = &report["phases"][0];
    let endpoints: Vec<&str> = phase["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    for endpoint in ["create", "approve", "find", "charge", "cancel"] {
        assert!(
            endpoints.contains(&endpoint),
            "{endpoint} missing: {report}"
        );
    }
    let total = &phase["total"];
    assert!(total["requests"].as_u64().unwrap() > 0, "{report}");
    assert!(
        total["ratio_to_echo"]["throughput"].as_f64().unwrap() > 0.0,
        "{report}"
    );
    assert_eq!(total["errors"], 0, "{report}");
    assert!(output.contains("%echo"), "{output}");
}
