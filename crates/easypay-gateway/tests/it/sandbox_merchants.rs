//! `PUT /_sandbox/merchants/{mallId}`: create a merchant, then change only what an update sends.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

async fn put(app: &TestApp, mall_id: &str, body: Value) -> Value {
    app.client
        .put(app.url(&format!("/_sandbox/merchants/{mall_id}")))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The first column of the row `sql` selects, if any.
async fn stored(app: &TestApp, sql: &str) -> Option<String> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let row: Option<(String,)> = sqlx::query_as(sql).fetch_optional(&mut conn).await.unwrap();
    row.map(|(value,)| value)
}

async fn an_update_changes_only_what_it_sends(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = put(
        &app,
        "T7000001",
        json!({"secretKey": "first-secret-key", "notiUrl": "https://shop.example/noti"}),
    )
    .await;
    assert_eq!(created["resCd"], "0000", "{created}");
    let webhook_secret = created["webhookSecret"].as_str().unwrap().to_owned();

    // A new secret key alone keeps the notiUrl and the webhook secret.
    let updated = put(&app, "T7000001", json!({"secretKey": "second-secret-key"})).await;
    assert_eq!(updated["notiUrl"], "https://shop.example/noti", "{updated}");
    assert_eq!(updated["webhookSecret"], webhook_secret.as_str());

    // A notiUrl alone keeps the secret key: the merchant's signed requests still pass.
    let updated = put(
        &app,
        "T7000001",
        json!({"notiUrl": "https://shop.example/other"}),
    )
    .await;
    assert_eq!(updated["resCd"], "0000", "{updated}");
    assert_eq!(updated["notiUrl"], "https://shop.example/other");
    let secret = stored(
        &app,
        "SELECT secret_key FROM merchants WHERE mall_id = 'T7000001'",
    )
    .await;
    assert_eq!(secret.as_deref(), Some("second-secret-key"));

    // null removes it.
    let updated = put(&app, "T7000001", json!({"notiUrl": null})).await;
    assert_eq!(updated["notiUrl"], Value::Null, "{updated}");
    assert_eq!(updated["webhookSecret"], webhook_secret.as_str());
}

async fn a_new_merchant_needs_a_secret_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let refused = put(
        &app,
        "T7000002",
        json!({"notiUrl": "https://shop.example/noti"}),
    )
    .await;
    assert_eq!(refused["resCd"], "V002", "{refused}");
    assert_eq!(refused["resMsg"], "secretKey: is required");
    let found = stored(
        &app,
        "SELECT mall_id FROM merchants WHERE mall_id = 'T7000002'",
    )
    .await;
    assert_eq!(found, None);
}

on_both_backends!(
    an_update_changes_only_what_it_sends,
    a_new_merchant_needs_a_secret_key,
);
