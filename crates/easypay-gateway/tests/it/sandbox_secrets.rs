//! The sandbox's secrets are public (README, docs/notifications.md): outside sandbox mode no
//! merchant holding one takes payments, and `easypay merchant activate` refuses until both are
//! rotated.

use easypay_gateway::app;
use serde_json::json;

use crate::helpers::{create_body, spawn_app, spawn_with, Backend, TestApp, MALL_ID};
use crate::on_both_backends;
use crate::process::{cancel_signed_with, easypay, stdout};
use easypay_gateway::sandbox::SANDBOX_SECRET_KEY;

/// The error output of a command that must fail.
fn refusal(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn the_sandbox_merchant_is_activated_only_with_both_secrets_rotated(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let pg_cno = app.create_ok(&create_body("native")).await;
    app.restart_with(|config| config.sandbox = false).await;
    let db = app.database_url.clone();
    let db = db.as_str();

    let refused = refusal(&easypay(&["merchant", "activate", MALL_ID], db));
    assert!(
        refused.contains(
            "merchant T5102001 still has the public sandbox secret key and webhook secret"
        ) && refused.contains(
            "rotate first with `easypay merchant update T5102001 --new-secret-key \
             --new-webhook-secret`"
        ),
        "{refused}"
    );
    assert!(stdout(&easypay(&["merchant", "show", MALL_ID], db)).contains("inactive"));

    // The key alone is not enough: notifications would still be signed with the public secret.
    stdout(&easypay(
        &["merchant", "update", MALL_ID, "--new-secret-key"],
        db,
    ));
    let refused = refusal(&easypay(&["merchant", "activate", MALL_ID], db));
    assert!(
        refused.contains("the public sandbox webhook secret")
            && refused.contains("update T5102001 --new-webhook-secret`"),
        "{refused}"
    );
    assert!(stdout(&easypay(&["merchant", "show", MALL_ID], db)).contains("inactive"));
    // Nor may the public key be put back by hand.
    let refused = refusal(&easypay(
        &[
            "merchant",
            "update",
            MALL_ID,
            "--secret-key",
            SANDBOX_SECRET_KEY,
        ],
        db,
    ));
    assert!(
        refused.contains("--secret-key: is the sandbox's public key"),
        "{refused}"
    );

    stdout(&easypay(
        &["merchant", "update", MALL_ID, "--new-webhook-secret"],
        db,
    ));
    stdout(&easypay(&["merchant", "activate", MALL_ID], db));
    // Active again, and the public key signs nothing.
    let answer = cancel_signed_with(&app, MALL_ID, &pg_cno, SANDBOX_SECRET_KEY).await;
    assert_eq!(answer["resCd"], "C009", "{answer}");
    app.create_ok(&create_body("native")).await;
}

/// A merchant whose secret key was rotated but whose webhook secret is still the public one
/// (following the old advice) is deactivated by a start outside sandbox mode.
async fn a_public_webhook_secret_alone_is_retired_outside_sandbox_mode(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let db = app.database_url.clone();
    stdout(&easypay(
        &["merchant", "update", MALL_ID, "--new-secret-key"],
        &db,
    ));
    // A sandbox-mode start leaves it as it is.
    app.restart().await;
    app.create_ok(&create_body("native")).await;
    app.restart_with(|config| config.sandbox = false).await;
    let mut body = create_body("native");
    body["shopOrderNo"] = json!("ORDER-AFTER-RETIREMENT");
    assert_eq!(app.create(&body).await["resCd"], "M002");
    assert!(stdout(&easypay(&["merchant", "show", MALL_ID], &db)).contains("inactive"));
}

/// `merchant activate` of the active sandbox merchant (a sandbox database) changes nothing and
/// says so, instead of asking for a rotation.
async fn activating_the_active_sandbox_merchant_says_it_is_active(backend: Backend) {
    let app = spawn_app(backend).await;
    let said = stdout(&easypay(
        &["merchant", "activate", MALL_ID],
        &app.database_url,
    ));
    assert_eq!(said.trim(), "merchant T5102001 is already active");
    app.create_ok(&create_body("native")).await;
}

/// A sandbox start on a database whose sandbox merchant was deactivated says so in its log,
/// before it listens.
async fn a_sandbox_start_warns_of_a_deactivated_sandbox_merchant(backend: Backend) {
    let app = spawn_with(backend, |config| {
        config.card_key = Some(CARD_KEY.into());
        config.card_key_file = None;
    })
    .await;
    stdout(&easypay(
        &["merchant", "deactivate", MALL_ID],
        &app.database_url,
    ));
    let log = serve_log_until_listening(&app.database_url);
    assert!(
        log.contains("the sandbox merchant T5102001 is deactivated on this database")
            && log.contains("easypay merchant activate T5102001"),
        "{log}"
    );
}

/// Once a database has been served outside sandbox mode, a sandbox-mode start on it is refused:
/// its control plane answers anyone, and would approve real merchants' orders and replace their
/// keys. Nothing is changed by the refused start, and production starts go on.
async fn a_database_served_in_production_is_never_served_in_sandbox_mode(backend: Backend) {
    let mut app = spawn_with(backend, |config| {
        config.card_key = Some(CARD_KEY.into());
        config.card_key_file = None;
    })
    .await;
    app.restart_with(|config| config.sandbox = false).await;
    let db = app.database_url.clone();
    stdout(&easypay(
        &["merchant", "add", "P0000001", "--name", "Real shop"],
        &db,
    ));
    let refused = refused_sandbox_start(&app).await;
    assert!(
        refused.contains("this database has been served outside sandbox mode (--no-sandbox) since")
            && refused.contains("start with --no-sandbox"),
        "{refused}"
    );
    // The sandbox merchant the production start deactivated stays so.
    assert!(stdout(&easypay(&["merchant", "show", MALL_ID], &db)).contains("inactive"));
    // `easypay serve` says the same and exits non-zero.
    let log = serve_log_until_listening(&db);
    assert!(log.contains("served outside sandbox mode"), "{log}");
    app.restart().await;
    let mut body = create_body("native");
    body["mallId"] = json!("T5102001");
    assert_eq!(app.create(&body).await["resCd"], "M002");
}

/// Why a sandbox-mode start on `app`'s database, with its other settings, is refused.
async fn refused_sandbox_start(app: &TestApp) -> String {
    let mut sandbox = app.config().clone();
    sandbox.sandbox = true;
    sandbox.addr = "127.0.0.1:0".parse().unwrap();
    let refused = app::start(sandbox).await.err();
    format!("{:#}", refused.expect("a sandbox start is refused"))
}

/// The card key of the test gateway and of the `easypay serve` started on its database.
const CARD_KEY: &str = "ZWFzeXBheS10ZXN0LWNhcmQta2V5LTMyLWJ5dGVzISE=";

/// What `easypay serve` (sandbox mode, any free port) logs until it says it is listening.
fn serve_log_until_listening(database_url: &str) -> String {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_easypay"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .env(
            "EASYPAY_CARD_KEY",
            "ZWFzeXBheS10ZXN0LWNhcmQta2V5LTMyLWJ5dGVzISE=",
        )
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("easypay serve starts");
    let mut log = String::new();
    // Bounded: the start logs a few lines, then "listening" (or fails and closes stderr).
    for line in std::io::BufReader::new(child.stderr.take().unwrap())
        .lines()
        .take(200)
    {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("easypay gateway listening") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    log
}

/// A database served outside sandbox mode by a version from before the mark: its `--no-sandbox`
/// start left the public sandbox merchant deactivated, and the upgrade infers the mark from that.
async fn a_production_database_from_before_the_mark_is_marked_on_upgrade(backend: Backend) {
    use sqlx::Connection;
    let mut app = spawn_with(backend, |config| {
        config.card_key = Some(CARD_KEY.into());
        config.card_key_file = None;
    })
    .await;
    app.restart_with(|config| config.sandbox = false).await;
    app.stop().await;
    // Back to the schema before the mark (migrations 10 and later undone).
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    for undo in [
        "DROP TABLE served_in_production",
        "DROP INDEX notifications_by_payment",
        "DROP INDEX billing_registrations_holding_a_card",
        "DELETE FROM _sqlx_migrations WHERE version >= 10 AND version < 1001",
    ] {
        sqlx::query(undo).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    let refused = refused_sandbox_start(&app).await;
    assert!(
        refused.contains("served outside sandbox mode (--no-sandbox) (by an earlier version)"),
        "{refused}"
    );
}

on_both_backends!(
    the_sandbox_merchant_is_activated_only_with_both_secrets_rotated,
    a_public_webhook_secret_alone_is_retired_outside_sandbox_mode,
    activating_the_active_sandbox_merchant_says_it_is_active,
    a_sandbox_start_warns_of_a_deactivated_sandbox_merchant,
    a_database_served_in_production_is_never_served_in_sandbox_mode,
    a_production_database_from_before_the_mark_is_marked_on_upgrade,
);
