//! `easypay card-key rotate` (docs/cards.md §9): every stored card moves to the new key in one
//! transaction; a gateway still on the old key stores no card data and charges nothing until it is
//! restarted with the new one.

use std::process::Command;

use crate::card_flow::{
    billing_key, charge, charge_body, hidden, issue, issue_body, open_window, registered,
    submit_card, submit_card_with, webpay_body, window_page, FAR_EXPIRY, GOOD_CARD,
};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

const EASYPAY: &str = env!("CARGO_BIN_EXE_easypay");

/// Runs `easypay card-key rotate` on the app's database; answers (success, stdout, stderr).
fn rotate(
    app: &TestApp,
    current_key_file: &std::path::Path,
    new: &[&str],
) -> (bool, String, String) {
    let output = Command::new(EASYPAY)
        .args(["card-key", "rotate", "--database-url", &app.database_url])
        .arg("--card-key-file")
        .arg(current_key_file)
        .args(new)
        .env_remove("EASYPAY_CARD_KEY")
        .env_remove("EASYPAY_NEW_CARD_KEY")
        .output()
        .expect("easypay runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn rotating_the_card_key_reseals_every_stored_card(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let old_key_file = app.config().card_key_file.clone().unwrap();
    let key = billing_key(&app, GOOD_CARD).await;
    // A completed registration whose key is not issued yet holds the card too.
    let (order, authorization) = registered(&app, GOOD_CARD).await;
    // A window shown before the rotation, whose card is posted after it.
    let shown_before = open_window(&app, &webpay_body("https://shop.example/return")).await;
    let (_, page) = window_page(&app, &shown_before).await;
    let form_token = hidden(&page, "formToken").unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let new_key_file = keys_dir.path().join("new.key");

    let (ok, stdout, stderr) = rotate(
        &app,
        &old_key_file,
        &["--new-card-key-file", new_key_file.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("re-sealed 1 billing keys and 1 registrations"),
        "{stdout}"
    );
    assert!(new_key_file.exists(), "the new key file is made");
    assert!(old_key_file.exists(), "the old key is kept");

    // The gateway still on the old key: charges of stored keys fail without an effect, and no card
    // is stored under the old key (issuance and the window refuse).
    let (status, stale) = app
        .post("/api/trades/approval/batch", &charge_body(&key, 1000))
        .await;
    assert_eq!(
        (status, stale["resCd"].as_str()),
        (500, Some("E500")),
        "{stale}"
    );
    let (status, stale) = app
        .post(
            "/api/ep9/trades/approval",
            &issue_body(&order, &authorization),
        )
        .await;
    assert_eq!(
        (status, stale["resCd"].as_str()),
        (500, Some("E500")),
        "{stale}"
    );
    let mut english = webpay_body("https://shop.example/return");
    english["langFlag"] = serde_json::json!("ENG");
    let token = open_window(&app, &english).await;
    let (status, page) = window_page(&app, &token).await;
    assert_eq!(
        status, 500,
        "the window asks for no card it could not store"
    );
    assert!(
        page.contains("Something went wrong"),
        "in the window's language: {page}"
    );
    let (status, _) =
        submit_card_with(&app, &shown_before, &form_token, GOOD_CARD, FAR_EXPIRY).await;
    assert_eq!(status, 500, "no card is stored under the old key");

    // Its readiness says so, so a load balancer takes it out.
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["cardKey"], "rotated", "{ready}");

    // Rotating again from the old key is refused and changes nothing.
    let (ok, _, stderr) = rotate(
        &app,
        &old_key_file,
        &[
            "--new-card-key",
            "bmV3ZXItY2FyZC1rZXktb2YtMzItYnl0ZXMhISEhISE=",
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("is not this database's key"), "{stderr}");

    app.restart_with(|config| config.card_key_file = Some(new_key_file.clone()))
        .await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    let charged = charge(&app, &charge_body(&key, 1000)).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
    let issued = issue(&app, &issue_body(&order, &authorization)).await;
    assert_eq!(issued["resCd"], "0000", "nothing was used up: {issued}");
    let new_key = issued["paymentInfo"]["cardInfo"]["cardNo"]
        .as_str()
        .unwrap();
    let charged = charge(&app, &charge_body(new_key, 2000)).await;
    assert_eq!(charged["resCd"], "0000", "{charged}");
    let (status, page) = submit_card(&app, &token, GOOD_CARD, FAR_EXPIRY).await;
    assert_eq!(
        status, 200,
        "the window opened before the rotation still works: {page}"
    );

    // A gateway given the old key refuses to start.
    let mut old = app.config().clone();
    old.card_key_file = Some(old_key_file.clone());
    let refused = easypay_gateway::app::start(old)
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{refused:#}").contains("sealed with another card key"),
        "{refused:#}"
    );
}

/// What `rotate` refuses before it changes anything.
async fn rotation_refuses_a_missing_or_same_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let old_key_file = app.config().card_key_file.clone().unwrap();
    billing_key(&app, GOOD_CARD).await;
    let current = std::fs::read_to_string(&old_key_file).unwrap();
    let (ok, _, stderr) = rotate(&app, &old_key_file, &["--new-card-key", current.trim()]);
    assert!(!ok);
    assert!(
        stderr.contains("the new card key is the current one"),
        "{stderr}"
    );
    let (ok, _, stderr) = rotate(&app, &old_key_file, &["--new-card-key", "c2hvcnQ="]);
    assert!(!ok);
    assert!(
        stderr.contains("--new-card-key (EASYPAY_NEW_CARD_KEY) must be base64 of 32 bytes"),
        "{stderr}"
    );
    let missing = old_key_file.with_file_name("missing.key");
    let (ok, _, stderr) = rotate(&app, &missing, &["--new-card-key-file", "/tmp/unused.key"]);
    assert!(!ok);
    assert!(stderr.contains("no card key file at"), "{stderr}");
    assert!(!missing.exists(), "the current key is never made up");
    // A current key that is not the database's: refused before the new key file is made.
    let wrong = old_key_file.with_file_name("wrong.key");
    std::fs::write(&wrong, "bmV3ZXItY2FyZC1rZXktb2YtMzItYnl0ZXMhISEhISE=\n").unwrap();
    let new_file = old_key_file.with_file_name("never-made.key");
    let (ok, _, stderr) = rotate(
        &app,
        &wrong,
        &["--new-card-key-file", new_file.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(stderr.contains("is not this database's key"), "{stderr}");
    assert!(!new_file.exists(), "refused before any change");
    let (ok, _, stderr) = rotate(&app, &old_key_file, &[]);
    assert!(!ok);
    assert!(stderr.contains("--new-card-key"), "{stderr}");
    // A new key file in a missing directory is named by its own flag.
    let nowhere = old_key_file.with_file_name("missing-dir").join("new.key");
    let (ok, _, stderr) = rotate(
        &app,
        &old_key_file,
        &["--new-card-key-file", nowhere.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(
        stderr.contains("--new-card-key-file: cannot create the new card key file there"),
        "{stderr}"
    );
    // Nothing changed: the gateway still charges with its key.
    let key = billing_key(&app, GOOD_CARD).await;
    assert_eq!(
        charge(&app, &charge_body(&key, 1000)).await["resCd"],
        "0000"
    );
}

on_both_backends!(
    rotating_the_card_key_reseals_every_stored_card,
    rotation_refuses_a_missing_or_same_key,
);
