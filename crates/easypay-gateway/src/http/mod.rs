//! Routes, the request body rules and the error envelope.

pub mod body;
mod cards;
mod dated;
pub mod error;
mod notifications;
mod ops;
mod unique_keys;
mod wechat;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use easypay_api::ResCode;

use crate::app::AppState;
use error::ApiError;

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/api/trades/wechatpay", post(wechat::create))
        .route("/api/trades/wechatpay/find", post(wechat::find))
        .route("/api/trades/wechatpay/revise", post(wechat::revise))
        .route("/api/ep9/trades/webpay", post(cards::webpay))
        .route("/api/ep9/trades/approval", post(cards::issue_key))
        .route("/api/trades/approval/batch", post(cards::batch_approval))
        .route("/api/trades/removeBatchKey", post(cards::remove_key))
        .route("/api/trades/revise", post(cards::revise))
        .route(
            "/api/trades/retrieveTransaction",
            post(cards::retrieve_transaction),
        )
        .route("/api/notifications", get(notifications::list))
        .route("/api/notifications/{id}", get(notifications::show))
        .route(
            "/api/notifications/{id}/resend",
            post(notifications::resend),
        )
        .merge(crate::pages::routes())
        .merge(ops::routes());
    if state.settings.sandbox {
        router = router.merge(crate::sandbox::routes());
    }
    let metrics = state.metrics.clone();
    router
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body::MAX_BODY_BYTES))
        // Request id, span, access log and metrics around every route, fallbacks included.
        .layer(middleware::from_fn_with_state(
            metrics,
            crate::observe::observe,
        ))
        .with_state(state)
}

async fn unknown_path() -> ApiError {
    ApiError::new(ResCode::UnknownPath, "no endpoint at this path")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ResCode::MethodNotAllowed,
        "this endpoint does not take this HTTP method",
    )
}
