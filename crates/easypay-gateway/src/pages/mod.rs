//! Hosted pages: the QR page and the mobile-web cashier (decisions 16–17), in English and Korean.
//!
//! Server-rendered HTML with inline CSS and a few lines of inline script; no external resources.
//! Links between pages are relative, so a path prefix added by a reverse proxy keeps working.

mod billing_text;
mod billing_view;
mod billing_window;
mod cashier;
pub mod dashboard;
mod error;
mod i18n;
mod layout;
mod money;
mod origin;
mod qr;
mod shown_order;
mod status;

use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;

pub use layout::escape;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wechat/qr/{token}", get(qr::page))
        .route("/wechat/orders/{token}/status", get(status::json))
        .route("/wechat/cashier/{token}", get(cashier::page))
        .route("/wechat/cashier/{token}/pay", post(cashier::pay))
        .route("/wechat/cashier/{token}/cancel", post(cashier::cancel))
        .route(
            "/billing/window/{token}",
            get(billing_window::page).post(billing_window::submit),
        )
        .route(
            "/billing/window/{token}/cancel",
            post(billing_window::cancel),
        )
}
