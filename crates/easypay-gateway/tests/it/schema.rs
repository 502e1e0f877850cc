//! Each backend's schema: the shared migrations, then PostgreSQL's own.

use sqlx::Connection;

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(each_backend_has_its_own_migrations);

async fn each_backend_has_its_own_migrations(backend: Backend) {
    let is_postgres = matches!(backend, Backend::Postgres { .. });
    let app = spawn_app(backend).await;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let shared: Vec<i64> = (1..=13).collect();
    if !is_postgres {
        assert_eq!(versions, shared);
        return;
    }
    assert_eq!(versions, [shared, vec![1001, 1002]].concat());
    // Payments no longer lock their merchant's row; the other tables keep their keys.
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(conrelid::regclass AS TEXT) || '.' || conname FROM pg_constraint \
         WHERE contype = 'f' AND CAST(confrelid::regclass AS TEXT) = 'merchants' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        !keys.iter().any(|key| key.starts_with("payments.")),
        "{keys:?}"
    );
    assert!(keys.contains(&"card_payments.card_payments_mall_id_fkey".to_owned()));
}
