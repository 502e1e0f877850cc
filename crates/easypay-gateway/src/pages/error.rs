//! Pages that fail answer HTML in the page's language, never the API's JSON envelope.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use easypay_api::ResCode;

use super::i18n::Lang;
use super::layout::{escape, Page};
use super::shown_order::ShownOrder;
use crate::domain::wechat_payment::{PaymentState, WechatPayment};
use crate::http::error::ApiError;
use crate::processor::wechat_wallet::{self, OrderRef};
use crate::store::Db;

#[derive(Debug)]
pub struct PageError {
    lang: Lang,
    href: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NotFound,
    Failed,
    /// A form POST made by another site.
    Refused,
    /// The order's merchant is deactivated: it takes no payments.
    NotAccepting,
}

impl PageError {
    /// `error` from loading or changing the order behind the page at `href`.
    pub fn from_api(error: &ApiError, lang: Lang, href: &str) -> Self {
        let kind = match error.code() {
            ResCode::TransactionNotFound => Kind::NotFound,
            ResCode::MerchantInactive => Kind::NotAccepting,
            _ => Kind::Failed,
        };
        PageError {
            lang,
            href: href.to_owned(),
            kind,
        }
    }

    /// A form POST whose `Origin` is another site (HTTP 403).
    pub fn refused(lang: Lang, href: &str) -> Self {
        PageError {
            lang,
            href: href.to_owned(),
            kind: Kind::Refused,
        }
    }

    /// An open order of a deactivated merchant (HTTP 403, as other refusals).
    pub fn not_accepting(lang: Lang, href: &str) -> Self {
        PageError {
            lang,
            href: href.to_owned(),
            kind: Kind::NotAccepting,
        }
    }

    pub fn failed(lang: Lang, href: &str) -> Self {
        PageError {
            lang,
            href: href.to_owned(),
            kind: Kind::Failed,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let strings = self.lang.strings();
        let (status, title, text) = match self.kind {
            Kind::NotFound => (
                StatusCode::NOT_FOUND,
                strings.not_found_title,
                strings.not_found_text,
            ),
            Kind::Failed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                strings.error_title,
                strings.error_text,
            ),
            Kind::Refused => (
                StatusCode::FORBIDDEN,
                strings.refused_title,
                strings.refused_text,
            ),
            Kind::NotAccepting => (
                StatusCode::FORBIDDEN,
                strings.not_accepting_title,
                strings.not_accepting_text,
            ),
        };
        let body = format!(
            "<h1>{}</h1>\n<p class=\"hint\">{}</p>",
            escape(title),
            escape(text)
        );
        let mut page = Page::new(self.lang, title, &self.href, body);
        page.status = status;
        page.into_response()
    }
}

/// The order behind a page token, or the error page for it.
pub async fn load(db: &Db, token: &str, lang: Lang, href: &str) -> Result<ShownOrder, PageError> {
    let payment = wechat_wallet::load(db, OrderRef::PageToken(token))
        .await
        .map_err(|error| PageError::from_api(&error, lang, href))?;
    shown(db, payment, lang, href).await
}

/// `order` if it may be paid from a page now: an open order of a deactivated merchant is refused.
pub fn payable_or_closed(
    order: ShownOrder,
    lang: Lang,
    href: &str,
) -> Result<ShownOrder, PageError> {
    let open = order.state_at(chrono::Utc::now()) == PaymentState::Pending;
    if open && !order.merchant_active {
        return Err(PageError::not_accepting(lang, href));
    }
    Ok(order)
}

/// `payment` as a page shows it, or the error page.
pub async fn shown(
    db: &Db,
    payment: WechatPayment,
    lang: Lang,
    href: &str,
) -> Result<ShownOrder, PageError> {
    ShownOrder::of(db, payment)
        .await
        .map_err(|error| PageError::from_api(&ApiError::from(error), lang, href))
}
