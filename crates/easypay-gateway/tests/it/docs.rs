//! The README's promises: its `resCd` table matches the gateway's codes, and its tour runs as printed.

use std::path::PathBuf;
use std::process::Command;

use easypay_api::ResCode;

use crate::helpers::{spawn_app, Backend};

fn readme() -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&path).expect("README.md at the repository root");
    (path, text)
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("README has {start}"))
        + start.len();
    let to = from
        + text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("README has {end}"));
    &text[from..to]
}

fn code_table() -> String {
    let mut table = String::from("\n| resCd | HTTP | meaning |\n|---|---|---|\n");
    for code in ResCode::ALL {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code,
            code.http_status(),
            code.meaning()
        ));
    }
    table
}

/// Set `EASYPAY_BLESS=1` to rewrite the README's table from the code.
#[test]
fn the_readme_lists_every_response_code() {
    let (path, text) = readme();
    let (start, end) = ("<!-- rescd-table:start -->", "<!-- rescd-table:end -->");
    let expected = code_table();
    if std::env::var("EASYPAY_BLESS").as_deref() == Ok("1") {
        let from = text.find(start).expect("start marker") + start.len();
        let to = from + text[from..].find(end).expect("end marker");
        std::fs::write(&path, format!("{}{expected}{}", &text[..from], &text[to..])).unwrap();
        return;
    }
    assert_eq!(
        between(&text, start, end),
        expected,
        "run with EASYPAY_BLESS=1 to update README.md"
    );
}

/// The tour's shell lines, run against a fresh gateway in place of 127.0.0.1:8080.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_tour_works_as_printed() {
    let (_, text) = readme();
    let mut script = String::new();
    for block in between(&text, "<!-- tour:start -->", "<!-- tour:end -->")
        .split("```sh")
        .skip(1)
    {
        script.push_str(block.split("```").next().unwrap());
    }
    let app = spawn_app(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let script = script.replace("127.0.0.1:8080", &app.addr.to_string());
    let first = run_bash(&script, dir.path()).await;
    assert!(
        first.contains(r#""paymentPageUrl":"weixin://wxpay/bizpayurl?pr="#),
        "{first}"
    );
    assert!(first.contains(r#""state":"approved""#), "{first}");
    assert!(first.contains(r#""statusCd":"TS01""#), "{first}");
    assert!(first.contains("<svg"), "the QR page was fetched: {first}");

    // Again, as the README promises: the same order and answers, the wallet saying S001.
    let again = run_bash(&script, dir.path()).await;
    let pg_cno = |output: &str| {
        output
            .split("pgCno=")
            .nth(1)
            .map(|rest| rest[..20].to_owned())
    };
    assert_eq!(pg_cno(&again), pg_cno(&first), "{again}");
    assert!(again.contains(r#""resCd":"S001""#), "{again}");
    assert!(again.contains(r#""statusCd":"TS01""#), "{again}");
}

async fn run_bash(script: &str, dir: &std::path::Path) -> String {
    let (script, dir) = (script.to_owned(), dir.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(dir)
            .output()
            .expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
