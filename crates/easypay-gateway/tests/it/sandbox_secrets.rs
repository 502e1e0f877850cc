//! The sandbox's secrets are public (README, docs/notifications.md): outside sandbox mode no
//! merchant holding one takes payments, and `easypay merchant activate` refuses until both are
//! rotated.

use serde_json::json;

use crate::helpers::{create_body, spawn_app, Backend, MALL_ID};
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

on_both_backends!(
    the_sandbox_merchant_is_activated_only_with_both_secrets_rotated,
    a_public_webhook_secret_alone_is_retired_outside_sandbox_mode,
);
