//! Operations endpoints: `/healthz`, `/readyz`, `/metrics`, `/openapi.json` and the API reference
//! page `/docs/api`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::observe::metrics::PoolUse;
use crate::openapi::{self, wire::Health};

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .route("/docs/api", get(reference))
}

fn health(status: StatusCode, health: Health) -> Response {
    let mut response = (status, axum::Json(health)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn healthz() -> Response {
    health(
        StatusCode::OK,
        Health {
            status: "ok".into(),
            database: None,
            card_key: None,
        },
    )
}

/// Ready when the database answers a query of its schema within 2 s, this process holds the
/// database's card key, and the gateway is not stopping.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.stopping.load(Ordering::Relaxed) {
        return health(
            StatusCode::SERVICE_UNAVAILABLE,
            Health {
                status: "stopping".into(),
                database: None,
                card_key: None,
            },
        );
    }
    // A table of the schema, not just `SELECT 1`: a database recreated empty under a running
    // gateway answers, but serves nothing. The table records the card key: a process left on a
    // rotated-out key can take no card request, and should be restarted.
    let probe =
        sqlx::query_as::<_, (String,)>("SELECT fingerprint FROM card_key_check WHERE id = 1")
            .fetch_optional(state.db.pool());
    let unavailable = |database: String, card_key: Option<&str>| {
        health(
            StatusCode::SERVICE_UNAVAILABLE,
            Health {
                status: "unavailable".into(),
                database: Some(database),
                card_key: card_key.map(Into::into),
            },
        )
    };
    match tokio::time::timeout(READY_TIMEOUT, probe).await {
        Ok(Ok(Some((fingerprint,)))) if fingerprint != state.vault.fingerprint() => {
            tracing::warn!("readiness: the card key was rotated; restart with the new key");
            unavailable("ok".into(), Some("rotated"))
        }
        Ok(Ok(_)) => health(
            StatusCode::OK,
            Health {
                status: "ready".into(),
                database: Some("ok".into()),
                card_key: Some("ok".into()),
            },
        ),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database did not answer");
            unavailable(format!("error: {error}"), None)
        }
        Err(_) => unavailable(format!("no answer within {READY_TIMEOUT:?}"), None),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let pool = state.db.pool();
    let batches = state.db.batch_counts().unwrap_or_default();
    let text = state.metrics.render(
        PoolUse {
            size: pool.size(),
            idle: pool.num_idle() as u32,
            max: pool.options().get_max_connections(),
            sections: batches.sections,
            batches: batches.batches,
            reruns: batches.reruns,
            wal_fsyncs: state
                .db
                .group_commit_counts()
                .map_or(0, |(_, fsyncs)| fsyncs),
            sqlite_memory_bytes: crate::store::inline_sqlite::memory_used(),
        },
        state.notifier.in_flight(),
    );
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    axum::Json(openapi::document(
        &state.settings.public_url,
        state.settings.sandbox,
    ))
    .into_response()
}

async fn reference(State(state): State<AppState>) -> Response {
    let document = openapi::document(&state.settings.public_url, state.settings.sandbox);
    let mut response = Html(openapi::reference::render(&document)).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    response
}
