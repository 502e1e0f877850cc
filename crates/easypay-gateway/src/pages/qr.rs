//! `GET /wechat/qr/{token}`: the QR page of a `native` order (decision 16).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use easypay_api::wechat::TradeType;
use qrcode::render::svg;
use qrcode::QrCode;

use super::error::{self, PageError};
use super::i18n::Lang;
use super::layout::{details, escape, path_segment, with_lang, Page};
use super::money;
use super::shown_order::ShownOrder;
use super::status::{closed, live_status, Live};
use crate::app::AppState;

/// Seconds between reloads for browsers without JavaScript.
const NOSCRIPT_REFRESH: u32 = 5;

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    lang: Lang,
) -> Result<Response, PageError> {
    let href = path_segment(&token);
    let payment = error::load(&state.db, &token, lang, &href).await?;
    let payment = error::payable_or_closed(payment, lang, &href)?;
    match payment.trade_type {
        TradeType::Native => {}
        // A mobile-web order has no QR code; its page is the cashier.
        TradeType::Mweb => {
            let cashier = with_lang(&format!("../cashier/{href}"), lang);
            return Ok(Redirect::to(&cashier).into_response());
        }
    }
    let svg = qr_svg(&code_url(&payment.page_token)).ok_or_else(|| {
        tracing::error!(pg_cno = %payment.pg_cno, "the code URL does not fit in a QR code");
        PageError::failed(lang, &href)
    })?;
    let body = render(&payment, lang, &href, &svg, state.settings.sandbox);
    let strings = lang.strings();
    let mut page = Page::new(lang, strings.qr_title, &href, body);
    if !closed(payment.state_at(Utc::now())) {
        page.refresh = Some(NOSCRIPT_REFRESH);
    }
    Ok(page.into_response())
}

/// What the QR code holds: the code URL `paymentPageUrl` answers for a native order.
fn code_url(token: &str) -> String {
    format!("weixin://wxpay/bizpayurl?pr={token}")
}

/// An inline `<svg>` QR code of `data` (the XML prologue dropped), or `None` if it is too long.
fn qr_svg(data: &str) -> Option<String> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#111111"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

fn render(payment: &ShownOrder, lang: Lang, href: &str, svg: &str, sandbox: bool) -> String {
    let strings = lang.strings();
    let state = payment.state_at(Utc::now());
    let amount = money::display(payment.currency, payment.customer_amount(), lang);
    let closed_class = if closed(state) { " closed" } else { "" };
    let wallet = if sandbox && !closed(state) {
        format!(
            "<div id=\"sandbox\" class=\"actions\"><a class=\"button primary\" href=\"{}\">{}</a>\
             <p class=\"note\">{}</p></div>",
            escape(&with_lang(&format!("../cashier/{href}"), lang)),
            escape(strings.open_wallet),
            escape(strings.sandbox_hint),
        )
    } else {
        String::new()
    };
    let status_href = with_lang(&format!("../orders/{href}/status"), lang);
    // Once the order is closed the page says what became of it, and no longer asks for a scan.
    let (title, hint_class) = if closed(state) {
        (strings.state(state).title, " hidden")
    } else {
        (strings.qr_title, "")
    };
    format!(
        "<h1 id=\"qr-title\">{title}</h1>\n<p id=\"amount\" class=\"amount\">{amount}</p>\n\
         <div id=\"qr\" class=\"qr{closed_class}\" role=\"img\" aria-label=\"{alt}\">{svg}</div>\n\
         <p id=\"qr-hint\" class=\"hint{hint_class}\">{hint}</p>\n{status}\n{wallet}\n{details}",
        title = escape(title),
        amount = escape(&amount),
        alt = escape(strings.qr_alt),
        hint = escape(strings.qr_hint),
        status = live_status(lang, state, &status_href, Live::Update),
        details = details(&[
            (strings.goods, payment.goods_name.as_str()),
            (strings.merchant, payment.merchant_name.as_str()),
            (strings.order_no, payment.shop_order_no.as_str()),
        ]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_url_is_the_native_payment_page_url() {
        assert_eq!(code_url("abc123"), "weixin://wxpay/bizpayurl?pr=abc123");
    }

    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let svg = qr_svg(&code_url(&"0f".repeat(16))).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("viewBox"));
        assert!(!svg.contains("<?xml"));
        assert_eq!(svg, qr_svg(&code_url(&"0f".repeat(16))).unwrap());
        assert_ne!(svg, qr_svg(&code_url(&"f0".repeat(16))).unwrap());
    }

    #[test]
    fn data_too_long_for_a_qr_code_is_refused() {
        assert_eq!(qr_svg(&"x".repeat(8000)), None);
    }
}
