//! Hosted pages: the QR page and the mobile-web cashier.

use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
