//! The mobile-web cashier, i.e. the simulated WeChat wallet (decisions 16–17):
//! `GET /wechat/cashier/{token}`, `POST …/pay`, `POST …/cancel`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use easypay_api::wechat::TradeType;
use easypay_api::ResCode;

use super::error::{self, PageError};
use super::i18n::Lang;
use super::layout::{details, escape, path_segment, status_line, with_lang, Page};
use super::money;
use super::origin::from_own_site;
use super::shown_order::ShownOrder;
use super::status::{live_status, tone, Live};
use crate::app::AppState;
use crate::domain::wechat_payment::{PaymentState, WalletEvent, WechatPayment};
use crate::processor::wechat_wallet::{self, OrderRef};

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    lang: Lang,
) -> Result<Response, PageError> {
    let here = Here::new(&token, "");
    let payment = error::load(&state.db, &token, lang, &here.cashier()).await?;
    let payment = error::payable_or_closed(payment, lang, &here.cashier())?;
    Ok(cashier(&payment, lang, &here).into_response())
}

pub async fn pay(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    lang: Lang,
) -> Result<Response, PageError> {
    act(&state, &token, &headers, lang, Action::Pay).await
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    lang: Lang,
) -> Result<Response, PageError> {
    act(&state, &token, &headers, lang, Action::Cancel).await
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Pay,
    Cancel,
}

/// Applies the customer's choice, then shows the outcome for the order's state, so a repeated
/// click (or a choice made on a stale page) answers what already happened instead of an error.
async fn act(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    lang: Lang,
    action: Action,
) -> Result<Response, PageError> {
    // The result page lives at `{token}/pay`; its links lead back to the cashier.
    let here = Here::new(token, "../");
    let href = here.cashier();
    if !from_own_site(&state.settings.public_url, headers) {
        tracing::warn!("refused a cashier POST from another site");
        return Err(PageError::refused(lang, &href));
    }
    let event = move |payment: &WechatPayment| match action {
        // The wallet does not pay an order that has run out of time.
        Action::Pay if payment.state_at(Utc::now()) == PaymentState::Expired => WalletEvent::Expire,
        Action::Pay => WalletEvent::Approve {
            amount: payment.amount,
        },
        Action::Cancel => WalletEvent::CustomerCancel,
    };
    let payment = match wechat_wallet::apply(&state.db, OrderRef::PageToken(token), event).await {
        Ok(payment) => error::shown(&state.db, payment, lang, &href).await?,
        Err(refused) if refused.code() == ResCode::TransitionNotAllowed => {
            error::load(&state.db, token, lang, &href).await?
        }
        Err(failed) => return Err(PageError::from_api(&failed, lang, &href)),
    };
    let now = payment.state_at(Utc::now());
    let page = match (now, payment.trade_type) {
        (PaymentState::Pending, TradeType::Native | TradeType::Mweb) => {
            return Ok(cashier(&payment, lang, &here).into_response())
        }
        (
            PaymentState::Approved
            | PaymentState::Declined
            | PaymentState::CancelledByCustomer
            | PaymentState::Expired
            | PaymentState::Voided
            | PaymentState::PartiallyCancelled
            | PaymentState::Cancelled,
            TradeType::Mweb,
        ) => return_page(&payment, now, lang),
        (
            PaymentState::Approved
            | PaymentState::Declined
            | PaymentState::CancelledByCustomer
            | PaymentState::Expired
            | PaymentState::Voided
            | PaymentState::PartiallyCancelled
            | PaymentState::Cancelled,
            TradeType::Native,
        ) => outcome(&payment, now, lang, ""),
    };
    Ok(Page::new(lang, lang.strings().state(now).title, &href, page).into_response())
}

/// Relative links from a page under `/wechat/cashier/`: `up` leads from the page's directory to
/// `/wechat/cashier/` (`""` on the cashier itself, `"../"` on the `{token}/pay` result page).
struct Here {
    up: &'static str,
    token: String,
}

impl Here {
    fn new(token: &str, up: &'static str) -> Self {
        Here {
            up,
            token: path_segment(token),
        }
    }

    fn cashier(&self) -> String {
        format!("{}{}", self.up, self.token)
    }

    fn action(&self, action: &str) -> String {
        format!("{}{}/{action}", self.up, self.token)
    }

    fn status(&self) -> String {
        format!("{}../orders/{}/status", self.up, self.token)
    }
}

/// The cashier for the order as it stands: Pay and Cancel while pending, else its state.
fn cashier(payment: &ShownOrder, lang: Lang, here: &Here) -> Response {
    let strings = lang.strings();
    let now = payment.state_at(Utc::now());
    let (title, body) = match now {
        PaymentState::Pending => (strings.cashier_title, payable(payment, lang, here)),
        PaymentState::Approved
        | PaymentState::Declined
        | PaymentState::CancelledByCustomer
        | PaymentState::Expired
        | PaymentState::Voided
        | PaymentState::PartiallyCancelled
        | PaymentState::Cancelled => {
            let back = match payment.trade_type {
                TradeType::Mweb => return_form(payment, now, lang, false),
                TradeType::Native => String::new(),
            };
            (strings.state(now).title, outcome(payment, now, lang, &back))
        }
    };
    Page::new(lang, title, &here.cashier(), body).into_response()
}

/// A pending order: what it is, and the two buttons.
fn payable(payment: &ShownOrder, lang: Lang, here: &Here) -> String {
    let strings = lang.strings();
    let button = |action: &str, class: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"{}\"><button class=\"button {class}\" type=\"submit\">{}</button></form>",
            escape(&with_lang(&here.action(action), lang)),
            escape(label),
        )
    };
    format!(
        "<h1>{title}</h1>\n<p class=\"amount\">{amount}</p>\n{details}\n<p class=\"note\">{note}</p>\n\
         <div class=\"actions\">{pay}{cancel}</div>\n{live}",
        title = escape(strings.cashier_title),
        amount = escape(&money::display(payment.currency, payment.amount, lang)),
        details = order_details(payment, lang),
        note = escape(strings.simulated_note),
        pay = button("pay", "primary", strings.pay),
        cancel = button("cancel", "secondary", strings.cancel),
        live = live_status(lang, PaymentState::Pending, &here.status(), Live::Reload),
    )
}

/// A closed order: its state, what it was, and `extra` (a way back to the merchant, if any).
fn outcome(payment: &ShownOrder, state: PaymentState, lang: Lang, extra: &str) -> String {
    let strings = lang.strings();
    let text = strings.state(state);
    let hint = if extra.is_empty() {
        format!("<p class=\"hint\">{}</p>", escape(strings.close_hint))
    } else {
        String::new()
    };
    format!(
        "<h1>{title}</h1>\n<p class=\"amount\">{amount}</p>\n{status}\n{details}\n{hint}{extra}",
        title = escape(text.title),
        amount = escape(&money::display(
            payment.currency,
            payment.customer_amount(),
            lang
        )),
        status = status_line("result", tone(state), text.text),
        details = order_details(payment, lang),
    )
}

/// After the customer's choice on an mweb order: the outcome, then straight back to `returnUrl`.
fn return_page(payment: &WechatPayment, state: PaymentState, lang: Lang) -> String {
    let strings = lang.strings();
    let text = strings.state(state);
    format!(
        "<h1>{title}</h1>\n{status}\n<p class=\"hint\">{returning}</p>\n{form}",
        title = escape(text.title),
        status = status_line("result", tone(state), text.text),
        returning = escape(strings.returning),
        form = return_form(payment, state, lang, true),
    )
}

/// The POST back to the merchant's `returnUrl` with `resCd`, `resMsg`, `shopOrderNo`, `pgCno`
/// (decision 17): submitted by script on the result page, by the customer's tap elsewhere.
fn return_form(payment: &WechatPayment, state: PaymentState, lang: Lang, auto: bool) -> String {
    let Some(ReturnForm { action, fields }) = return_to_merchant(payment, state) else {
        return String::new();
    };
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let button = format!(
        "<button class=\"button primary\" type=\"submit\">{}</button>",
        escape(lang.strings().return_to_merchant)
    );
    let (button, script) = if auto {
        (
            format!("<noscript>{button}</noscript>"),
            "\n<script>document.forms[0].submit()</script>",
        )
    } else {
        (button, "")
    };
    format!(
        "<form class=\"actions\" method=\"post\" action=\"{action}\">{inputs}{button}</form>{script}",
        action = escape(action),
    )
}

/// Where and what an mweb order in `state` posts back to the merchant; nothing while it is pending
/// (or if its `returnUrl` is not http(s)).
#[derive(Debug, serde::Serialize)]
pub struct ReturnForm<'a> {
    pub action: &'a str,
    /// In this order: `resCd`, `resMsg`, `shopOrderNo`, `pgCno`.
    pub fields: [(&'static str, &'a str); 4],
}

pub fn return_to_merchant(payment: &WechatPayment, state: PaymentState) -> Option<ReturnForm<'_>> {
    let (code, message) = return_code(state)?;
    let Some(action) = http_url(payment.return_url.as_str()) else {
        tracing::warn!(pg_cno = %payment.pg_cno, "returnUrl is not http(s); no return form");
        return None;
    };
    Some(ReturnForm {
        action,
        fields: [
            ("resCd", code.as_str()),
            ("resMsg", message),
            ("shopOrderNo", payment.shop_order_no.as_str()),
            ("pgCno", &payment.pg_cno),
        ],
    })
}

/// What the return to the merchant says for an order in `state`; nothing while it is pending.
fn return_code(state: PaymentState) -> Option<(ResCode, &'static str)> {
    match state {
        PaymentState::Pending => None,
        // The customer paid; what the merchant cancelled since is the merchant's own doing.
        PaymentState::Approved | PaymentState::PartiallyCancelled | PaymentState::Cancelled => {
            Some((ResCode::Success, "Success"))
        }
        PaymentState::Declined => Some((
            ResCode::DeclinedByWallet,
            "declined: the WeChat wallet declined the payment",
        )),
        PaymentState::CancelledByCustomer => Some((
            ResCode::CancelledByCustomer,
            "cancelled: the customer cancelled the payment in the cashier",
        )),
        PaymentState::Expired => Some((
            ResCode::OrderExpired,
            "expired: the order was not paid in time",
        )),
        // Not paid in the end: the wallet took the approval back (network cancel).
        PaymentState::Voided => Some((
            ResCode::DeclinedByWallet,
            "voided: the WeChat wallet voided the payment (network cancel)",
        )),
    }
}

/// `url` if it is an http(s) URL (validated on the way in; checked again before a form uses it).
fn http_url(url: &str) -> Option<&str> {
    let scheme = url.split_once("://")?.0;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(url)
}

fn order_details(payment: &ShownOrder, lang: Lang) -> String {
    let strings = lang.strings();
    details(&[
        (strings.goods, payment.goods_name.as_str()),
        (strings.merchant, payment.merchant_name.as_str()),
        (strings.order_no, payment.shop_order_no.as_str()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use easypay_api::values::{Amount, EnglishText, HttpUrl, MallId, ShopOrderNo};
    use easypay_api::wechat::Currency;

    fn order(trade_type: TradeType, state: PaymentState) -> WechatPayment {
        let now = Utc::now();
        WechatPayment {
            pg_cno: "23031200051212345678".into(),
            mall_id: MallId::from_trusted("T5102001"),
            shop_order_no: ShopOrderNo::from_trusted("ORDER-1"),
            page_token: "token".into(),
            trade_type,
            goods_name: EnglishText::from_trusted("Tea & Cake"),
            currency: Currency::Krw,
            amount: Amount::from_stored(1000),
            return_url: HttpUrl::from_trusted("https://shop.example/return?a=1&b=2"),
            notify_url: HttpUrl::from_trusted("https://shop.example/n"),
            customer: None,
            state,
            approved_amount: None,
            cancelled_amount: 0,
            approved_at: None,
            closed_at: None,
            created_at: now,
            expires_at: now + Duration::hours(2),
            version: 0,
        }
    }

    fn shown(payment: WechatPayment) -> ShownOrder {
        ShownOrder {
            payment,
            merchant_name: "Tea House".into(),
            merchant_active: true,
        }
    }

    #[test]
    fn a_pending_order_offers_pay_and_cancel() {
        let here = Here::new("tok", "");
        let page = payable(
            &shown(order(TradeType::Mweb, PaymentState::Pending)),
            Lang::En,
            &here,
        );
        assert!(page.contains(r#"action="tok/pay?lang=en""#));
        assert!(page.contains(r#"action="tok/cancel?lang=en""#));
        assert!(page.contains(r#"data-url="../orders/tok/status""#));
        assert!(page.contains("Tea &amp; Cake"));
        assert!(
            page.contains("Tea House"),
            "the merchant's name, not its mallId"
        );
        assert!(page.contains("₩1,000"));
    }

    #[test]
    fn a_paid_order_shows_the_amount_the_wallet_approved() {
        let mut paid = order(TradeType::Mweb, PaymentState::Approved);
        paid.approved_amount = Some(easypay_api::values::Amount::from_stored(900));
        let state = paid.state_at(Utc::now());
        let page = outcome(&shown(paid), state, Lang::En, "");
        assert!(page.contains("₩900"), "{page}");
        assert!(!page.contains("₩1,000"), "{page}");
    }

    #[test]
    fn an_expired_order_offers_no_payment() {
        let mut expired = order(TradeType::Native, PaymentState::Pending);
        expired.expires_at = Utc::now() - Duration::seconds(1);
        let state = expired.state_at(Utc::now());
        let page = outcome(&shown(expired), state, Lang::Ko, "");
        assert!(!page.contains("/pay"));
        assert!(page.contains("주문 만료"));
    }

    #[test]
    fn the_result_page_links_back_to_the_cashier() {
        let here = Here::new("tok", "../");
        assert_eq!(here.cashier(), "../tok");
        assert_eq!(here.action("pay"), "../tok/pay");
        assert_eq!(here.status(), "../../orders/tok/status");
    }

    #[test]
    fn the_return_form_carries_exactly_the_four_fields() {
        let form = return_form(
            &order(TradeType::Mweb, PaymentState::Approved),
            PaymentState::Approved,
            Lang::En,
            true,
        );
        assert!(form.contains(r#"action="https://shop.example/return?a=1&amp;b=2""#));
        assert_eq!(form.matches("<input").count(), 4);
        assert!(form.contains(r#"name="resCd" value="0000""#));
        assert!(form.contains(r#"name="resMsg" value="Success""#));
        assert!(form.contains(r#"name="shopOrderNo" value="ORDER-1""#));
        assert!(form.contains(r#"name="pgCno" value="23031200051212345678""#));
        assert!(form.contains("document.forms[0].submit()"));
        assert!(form.contains("<noscript>"));
    }

    #[test]
    fn every_closed_state_returns_a_code() {
        assert_eq!(return_code(PaymentState::Pending), None);
        let codes = [
            (PaymentState::Approved, "0000"),
            (PaymentState::Declined, "W002"),
            (PaymentState::CancelledByCustomer, "W004"),
            (PaymentState::Expired, "W003"),
            (PaymentState::Voided, "W002"),
        ];
        for (state, code) in codes {
            assert_eq!(return_code(state).unwrap().0.as_str(), code, "{state:?}");
        }
    }

    #[test]
    fn only_http_urls_become_form_targets() {
        assert_eq!(http_url("https://a.example/r"), Some("https://a.example/r"));
        assert_eq!(http_url("HTTP://a.example/r"), Some("HTTP://a.example/r"));
        assert_eq!(http_url("javascript://x%0aalert(1)"), None);
        assert_eq!(http_url("/relative"), None);
    }
}
