//! The sandbox dashboard at `/_sandbox/dashboard` (sandbox mode only): payments of every method,
//! billing keys and notifications with filters; one payment's timeline (created, paid, notified
//! with each attempt, cancelled); buttons for the sandbox wallet actions and for resending a
//! notification.
//!
//! Server-rendered HTML with no script. Links are relative, so a path prefix added by a reverse
//! proxy keeps working. Every value shown goes through [`escape`]. Only masked card numbers exist
//! in the database, so only masked card numbers can be shown.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use easypay_api::values::Amount;
use easypay_api::{seoul_time, ResCode};

use super::layout::{escape, path_segment};
use super::origin::from_own_site;
use crate::app::AppState;
use crate::domain::wechat_payment::{WalletEvent, WechatPayment};
use crate::http::body::PathParams;
use crate::http::error::ApiError;
use crate::processor::wechat_wallet::{self, OrderRef};
use crate::store::dashboard::{self, PaymentFilter, PaymentRow};
use crate::store::merchants::from_millis;
use crate::store::notifications::{
    self, DeliveryStatus, NotificationRecord, Resent, VOIDED_APPROVAL_NOT_RESENT,
};

/// The most rows a list shows.
const LIST_LIMIT: i64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_sandbox/dashboard", get(payments_page))
        .route("/_sandbox/dashboard/keys", get(keys_page))
        .route("/_sandbox/dashboard/notifications", get(notifications_page))
        .route("/_sandbox/dashboard/payments/{pg_cno}", get(payment_page))
        .route(
            "/_sandbox/dashboard/payments/{pg_cno}/{action}",
            post(payment_action),
        )
        .route(
            "/_sandbox/dashboard/notifications/{id}",
            get(notification_page),
        )
        .route(
            "/_sandbox/dashboard/notifications/{id}/resend",
            post(resend_notification),
        )
}

/// Query or form fields, leniently: the last of repeated names counts.
fn fields(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default()
}

fn time(millis: i64) -> String {
    from_millis(millis)
        .with_timezone(&seoul_time::seoul())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn amount(currency: &str, minor: i64) -> String {
    let digits = minor.unsigned_abs().to_string();
    let (major, fraction) = if currency == "USD" {
        let padded = format!("{digits:0>3}");
        let (major, cents) = padded.split_at(padded.len() - 2);
        (major.to_owned(), format!(".{cents}"))
    } else {
        (digits, String::new())
    };
    let mut grouped = String::new();
    for (index, ch) in major.chars().enumerate() {
        if index > 0 && (major.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{grouped}{fraction} {currency}")
}

fn tone(state: &str) -> &'static str {
    match state {
        "approved" | "delivered" | "active" | "acknowledged" => "ok",
        "pending" | "partially_cancelled" => "wait",
        _ => "bad",
    }
}

fn badge(state: &str) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        tone(state),
        escape(state)
    )
}

/// The dashboard's shell. `root` is the relative path from this page to `/_sandbox/dashboard`.
fn shell(root: &str, tab: &str, title: &str, body: String) -> Response {
    let tabs = [
        ("payments", "Payments", root.to_owned()),
        ("keys", "Billing keys", format!("{root}/keys")),
        (
            "notifications",
            "Notifications",
            format!("{root}/notifications"),
        ),
    ]
    .iter()
    .map(|(id, label, href)| {
        format!(
            "<a class=\"tab{}\" href=\"{}\">{}</a>",
            if *id == tab { " on" } else { "" },
            escape(href),
            escape(label)
        )
    })
    .collect::<String>();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{title} · easypay sandbox</title>
<style>{CSS}</style>
</head>
<body>
<header class="top"><span class="brand">easypay sandbox</span><nav>{tabs}</nav></header>
<main>
{body}
</main>
</body>
</html>
"#,
        title = escape(title),
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

fn select(name: &str, label: &str, current: &str, options: &[(String, String)]) -> String {
    let options: String = std::iter::once((String::new(), "any".to_owned()))
        .chain(options.iter().cloned())
        .map(|(value, text)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(&value),
                if value == current { " selected" } else { "" },
                escape(&text)
            )
        })
        .collect();
    format!(
        "<label>{} <select name=\"{}\" id=\"filter-{}\">{options}</select></label>",
        escape(label),
        escape(name),
        escape(name)
    )
}

fn plain(values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|value| ((*value).to_owned(), (*value).to_owned()))
        .collect()
}

fn failure(error: impl Into<ApiError>) -> Response {
    let error: ApiError = error.into();
    let body = format!(
        "<h1>Something went wrong</h1><p class=\"flash bad\">{} — {}</p>",
        escape(error.code().as_str()),
        escape(error.code().meaning())
    );
    let mut response = shell("dashboard", "", "Error", body);
    *response.status_mut() = StatusCode::from_u16(error.code().http_status())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}

async fn payments_page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let query = fields(raw.unwrap_or_default().as_bytes());
    let filter = PaymentFilter {
        mall_id: field(&query, "mallId"),
        method: field(&query, "method"),
        state: field(&query, "state"),
        search: field(&query, "q"),
    };
    let pool = state.db.pool();
    let (rows, malls) = match (
        dashboard::payments(pool, &filter, LIST_LIMIT, Utc::now()).await,
        dashboard::mall_ids(pool).await,
    ) {
        (Ok(rows), Ok(malls)) => (rows, malls),
        (Err(error), _) | (_, Err(error)) => return failure(error),
    };
    let malls: Vec<(String, String)> = malls.into_iter().map(|m| (m.clone(), m)).collect();
    let states = plain(&[
        "pending",
        "approved",
        "declined",
        "expired",
        "voided",
        "cancelled_by_customer",
        "partially_cancelled",
        "cancelled",
    ]);
    let form = format!(
        "<form class=\"filters\" method=\"get\" action=\"dashboard\">{}{}{}<label>pgCno or order <input name=\"q\" id=\"filter-q\" value=\"{}\"></label><button type=\"submit\">Filter</button></form>",
        select("mallId", "merchant", &filter.mall_id, &malls),
        select(
            "method",
            "method",
            &filter.method,
            &[("wechat".into(), "WeChat Pay".into()), ("card".into(), "card".into())]
        ),
        select("state", "state", &filter.state, &states),
        escape(&filter.search)
    );
    let body_rows: String = rows.iter().map(payment_row).collect();
    let table = if rows.is_empty() {
        "<p class=\"empty\">No payments match.</p>".to_owned()
    } else {
        format!(
            "<table id=\"payments\"><thead><tr><th>created (KST)</th><th>pgCno</th><th>merchant</th><th>order</th><th>method</th><th>goods</th><th class=\"num\">amount</th><th>state</th></tr></thead><tbody>{body_rows}</tbody></table>"
        )
    };
    shell(
        "dashboard",
        "payments",
        "Payments",
        format!(
            "<h1>Payments</h1>{form}{table}<p class=\"muted\">{} shown (at most {LIST_LIMIT} per method).</p>",
            rows.len()
        ),
    )
}

fn payment_row(row: &PaymentRow) -> String {
    let shown_amount = row.approved_amount.unwrap_or(row.amount);
    format!(
        "<tr><td>{}</td><td><a href=\"dashboard/payments/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
        time(row.created_at),
        path_segment(&row.pg_cno),
        escape(&row.pg_cno),
        escape(&row.mall_id),
        escape(&row.shop_order_no),
        if row.method == "wechat" { "WeChat Pay" } else { "card" },
        escape(&row.goods_name),
        escape(&amount(&row.currency, shown_amount)),
        badge(&row.state)
    )
}

async fn keys_page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let query = fields(raw.unwrap_or_default().as_bytes());
    let mall_id = field(&query, "mallId");
    let key_state = field(&query, "state");
    let pool = state.db.pool();
    let (rows, malls) = match (
        dashboard::billing_keys(pool, &mall_id, &key_state, LIST_LIMIT).await,
        dashboard::mall_ids(pool).await,
    ) {
        (Ok(rows), Ok(malls)) => (rows, malls),
        (Err(error), _) | (_, Err(error)) => return failure(error),
    };
    let malls: Vec<(String, String)> = malls.into_iter().map(|m| (m.clone(), m)).collect();
    let form = format!(
        "<form class=\"filters\" method=\"get\" action=\"keys\">{}{}<button type=\"submit\">Filter</button></form>",
        select("mallId", "merchant", &mall_id, &malls),
        select("state", "state", &key_state, &plain(&["active", "removed"]))
    );
    let body_rows: String = rows
        .iter()
        .map(|key| {
            format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                time(key.created_at),
                escape(&key.batch_key),
                escape(&key.mall_id),
                escape(&key.card_mask_no),
                escape(&key.pg_cno),
                key.charges,
                badge(&key.state)
                    + &key
                        .removed_at
                        .map(|at| format!(" <span class=\"muted\">{}</span>", time(at)))
                        .unwrap_or_default()
            )
        })
        .collect();
    let table = if rows.is_empty() {
        "<p class=\"empty\">No billing keys match.</p>".to_owned()
    } else {
        format!(
            "<table id=\"keys\"><thead><tr><th>issued (KST)</th><th>batchKey</th><th>merchant</th><th>card</th><th>issuance pgCno</th><th class=\"num\">charges</th><th>state</th></tr></thead><tbody>{body_rows}</tbody></table>"
        )
    };
    shell(
        "../dashboard",
        "keys",
        "Billing keys",
        format!("<h1>Billing keys</h1>{form}{table}"),
    )
}

async fn notifications_page(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let query = fields(raw.unwrap_or_default().as_bytes());
    let mall_id = field(&query, "mallId");
    let status = field(&query, "status");
    let kind = field(&query, "kind");
    let pg_cno = field(&query, "pgCno");
    let pool = state.db.pool();
    let (rows, malls) = match (
        dashboard::notifications(pool, &mall_id, &status, &kind, &pg_cno, LIST_LIMIT).await,
        dashboard::mall_ids(pool).await,
    ) {
        (Ok(rows), Ok(malls)) => (rows, malls),
        (Err(error), _) | (_, Err(error)) => return failure(error),
    };
    let malls: Vec<(String, String)> = malls.into_iter().map(|m| (m.clone(), m)).collect();
    let kinds: Vec<&str> = crate::notify::Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let form = format!(
        "<form class=\"filters\" method=\"get\" action=\"notifications\">{}{}{}<label>pgCno <input name=\"pgCno\" id=\"filter-pgCno\" value=\"{}\"></label><button type=\"submit\">Filter</button></form>",
        select("mallId", "merchant", &mall_id, &malls),
        select("status", "status", &status, &plain(&["pending", "delivered", "failed", "withdrawn"])),
        select("kind", "kind", &kind, &plain(&kinds)),
        escape(&pg_cno)
    );
    let body_rows: String = rows
        .iter()
        .map(|n| {
            format!(
                "<tr><td>{}</td><td><a href=\"notifications/{}\">{}</a></td><td>{}</td><td>{}</td><td><a href=\"payments/{}\">{}</a></td><td class=\"url\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                time(n.created_at),
                path_segment(&n.id),
                escape(&n.id),
                escape(&n.mall_id),
                escape(&n.kind),
                path_segment(&n.pg_cno),
                escape(&n.pg_cno),
                escape(&n.target_url),
                n.attempts_total,
                badge(&n.status)
            )
        })
        .collect();
    let table = if rows.is_empty() {
        "<p class=\"empty\">No notifications match.</p>".to_owned()
    } else {
        format!(
            "<table id=\"notifications\"><thead><tr><th>created (KST)</th><th>id</th><th>merchant</th><th>kind</th><th>pgCno</th><th>to</th><th class=\"num\">attempts</th><th>status</th></tr></thead><tbody>{body_rows}</tbody></table>"
        )
    };
    shell(
        "../dashboard",
        "notifications",
        "Notifications",
        format!("<h1>Notifications</h1>{form}{table}"),
    )
}

/// One thing that happened to a payment.
struct Event {
    at: i64,
    title: String,
    detail: String,
    tone: &'static str,
    extra: String,
}

fn flash(query: &[(String, String)]) -> String {
    let done = field(query, "done");
    let error = field(query, "error");
    if !error.is_empty() {
        format!("<p class=\"flash bad\" id=\"flash\">{}</p>", escape(&error))
    } else if !done.is_empty() {
        format!("<p class=\"flash ok\" id=\"flash\">{}</p>", escape(&done))
    } else {
        String::new()
    }
}

async fn payment_page(
    State(state): State<AppState>,
    PathParams(pg_cno): PathParams<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = fields(raw.unwrap_or_default().as_bytes());
    let pool = state.db.pool();
    let row = match dashboard::payment(pool, &pg_cno, Utc::now()).await {
        Ok(Some(row)) => row,
        Ok(None) => {
            return failure(ApiError::new(
                ResCode::TransactionNotFound,
                "no such payment",
            ))
        }
        Err(error) => return failure(error),
    };
    let (cancels, sent) = match (
        dashboard::cancels(pool, &pg_cno).await,
        dashboard::notifications_of(pool, &pg_cno).await,
    ) {
        (Ok(cancels), Ok(sent)) => (cancels, sent),
        (Err(error), _) | (_, Err(error)) => return failure(error),
    };
    let mut events = vec![Event {
        at: row.created_at,
        title: if row.method == "wechat" {
            "Order created".into()
        } else {
            "Charged (billing key)".into()
        },
        detail: format!(
            "{} · {} · order {}",
            amount(&row.currency, row.amount),
            row.goods_name,
            row.shop_order_no
        ),
        tone: "wait",
        extra: String::new(),
    }];
    if let (Some(at), "wechat") = (row.approved_at, row.method.as_str()) {
        events.push(Event {
            at,
            title: "Paid".into(),
            detail: format!(
                "the wallet approved {}",
                amount(&row.currency, row.approved_amount.unwrap_or(row.amount))
            ),
            tone: "ok",
            extra: String::new(),
        });
    }
    if let Some(at) = row.closed_at {
        events.push(Event {
            at,
            title: match row.state.as_str() {
                "declined" => "Declined by the wallet",
                "expired" => "Expired unpaid",
                "voided" => "Voided by the wallet (TS12)",
                "cancelled_by_customer" => "Cancelled by the customer in the cashier",
                _ => "Closed",
            }
            .into(),
            detail: row.state.clone(),
            tone: "bad",
            extra: String::new(),
        });
    }
    for cancel in &cancels {
        events.push(Event {
            at: cancel.created_at,
            title: if cancel.revise_type == "40" {
                "Cancelled in full".into()
            } else {
                "Cancelled in part".into()
            },
            detail: format!(
                "{} taken back, {} remains · cancelPgCno {}",
                amount(&row.currency, cancel.amount),
                amount(&row.currency, cancel.remain_after),
                cancel.cancel_pg_cno
            ),
            tone: "bad",
            extra: String::new(),
        });
    }
    for notification in &sent {
        let attempts = notifications::attempts(pool, &notification.id)
            .await
            .unwrap_or_default();
        events.push(Event {
            at: notification.created_at,
            title: format!("Notification queued: {}", notification.kind),
            detail: format!("to {}", notification.target_url),
            tone: "wait",
            extra: format!(
                "<a href=\"../notifications/{}\">{}</a> {} {}",
                path_segment(&notification.id),
                escape(&notification.id),
                badge(&notification.status),
                resend_button(&format!(
                    "../notifications/{}",
                    path_segment(&notification.id)
                ))
            ),
        });
        for attempt in attempts {
            events.push(Event {
                at: attempt.started_at,
                title: format!("Notified: attempt {}", attempt.attempt),
                detail: format!(
                    "{} · HTTP {} · {} ms",
                    attempt.outcome,
                    attempt
                        .http_status
                        .map_or("-".to_owned(), |status| status.to_string()),
                    attempt.latency_ms
                ),
                tone: tone(&attempt.outcome),
                extra: String::new(),
            });
        }
    }
    events.sort_by_key(|event| event.at);
    let timeline: String = events
        .iter()
        .map(|event| {
            format!(
                "<li class=\"{}\"><time>{}</time><strong>{}</strong><span>{}</span>{}</li>",
                event.tone,
                time(event.at),
                escape(&event.title),
                escape(&event.detail),
                event.extra
            )
        })
        .collect();
    let actions = if row.method == "wechat" {
        wallet_actions(&row)
    } else {
        "<p class=\"muted\">Card charges have no wallet actions; cancel them with the API.</p>"
            .to_owned()
    };
    let summary = format!(
        "<dl class=\"summary\"><dt>pgCno</dt><dd id=\"pgCno\">{}</dd><dt>merchant</dt><dd>{}</dd><dt>order</dt><dd>{}</dd><dt>method</dt><dd>{}</dd><dt>amount</dt><dd>{}</dd><dt>cancelled</dt><dd>{}</dd><dt>state</dt><dd id=\"state\">{}</dd></dl>",
        escape(&row.pg_cno),
        escape(&row.mall_id),
        escape(&row.shop_order_no),
        if row.method == "wechat" { "WeChat Pay" } else { "card" },
        escape(&amount(&row.currency, row.approved_amount.unwrap_or(row.amount))),
        escape(&amount(&row.currency, row.cancelled_amount)),
        badge(&row.state)
    );
    shell(
        "../../dashboard",
        "payments",
        &format!("Payment {}", row.pg_cno),
        format!(
            "<p><a href=\"../../dashboard\">← Payments</a></p><h1>Payment <code>{}</code></h1>{}{summary}<h2>Sandbox actions</h2>{actions}<h2>Timeline</h2><ol class=\"timeline\" id=\"timeline\">{timeline}</ol>",
            escape(&row.pg_cno),
            flash(&query)
        ),
    )
}

fn resend_button(notification_href: &str) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"{}/resend\"><button type=\"submit\" class=\"small\">Resend</button></form>",
        escape(notification_href)
    )
}

/// The wallet actions that apply to the order's state, as buttons.
fn wallet_actions(row: &PaymentRow) -> String {
    let segment = path_segment(&row.pg_cno);
    let button = |action: &str, label: &str, class: &str| {
        format!(
            "<form class=\"inline\" method=\"post\" action=\"{segment}/{action}\"><button type=\"submit\" id=\"action-{action}\" class=\"{class}\">{label}</button></form>"
        )
    };
    match row.state.as_str() {
        "pending" => format!(
            "<div class=\"actions\"><form class=\"inline\" method=\"post\" action=\"{segment}/approve\"><button type=\"submit\" id=\"action-approve\" class=\"primary\">Approve</button> <label class=\"muted\">amount in {} <input name=\"amount\" id=\"approve-amount\" inputmode=\"numeric\" size=\"10\" placeholder=\"{}\"></label></form>{}{}</div>",
            // Amounts are in the minor unit, as the API's: 1203 is USD 12.03.
            if row.currency == "USD" { "cents" } else { "won" },
            row.amount,
            button("decline", "Decline", "danger"),
            button("expire", "Expire", "")
        ),
        "approved" | "partially_cancelled" => format!(
            "<div class=\"actions\">{}</div>",
            button("void", "Void (TS12)", "danger")
        ),
        _ => "<p class=\"muted\">No wallet action applies in this state.</p>".to_owned(),
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn forbidden() -> Response {
    let mut response = shell(
        "dashboard",
        "",
        "Refused",
        "<h1>Refused</h1><p>This form may only be posted from the gateway's own pages.</p>"
            .to_owned(),
    );
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn payment_action(
    State(state): State<AppState>,
    PathParams((pg_cno, action)): PathParams<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !from_own_site(&state.settings.public_url, &headers) {
        return forbidden();
    }
    let back = path_segment(&pg_cno);
    let form = fields(&body);
    let approve_amount = field(&form, "amount");
    let approve_amount = if approve_amount.is_empty() {
        None
    } else {
        match approve_amount
            .parse::<i128>()
            .map_err(|_| ())
            .and_then(|n| Amount::parse("amount", n).map_err(|_| ()))
        {
            Ok(amount) => Some(amount),
            Err(()) => {
                return see_other(&format!(
                    "../{back}?error={}",
                    encode("amount: a whole number from 1 to 999999999999")
                ))
            }
        }
    };
    let event = match action.as_str() {
        "approve" | "decline" | "expire" | "void" => action.clone(),
        _ => return see_other(&format!("../{back}?error={}", encode("unknown action"))),
    };
    let outcome = wechat_wallet::apply(
        &state.db,
        OrderRef::PgCno(&pg_cno),
        move |payment: &WechatPayment| match event.as_str() {
            "approve" => WalletEvent::Approve {
                amount: approve_amount.unwrap_or(payment.amount),
            },
            "decline" => WalletEvent::Decline,
            "expire" => WalletEvent::Expire,
            _ => WalletEvent::Void,
        },
    )
    .await;
    match outcome {
        Ok(payment) => see_other(&format!(
            "../{back}?done={}",
            encode(&format!(
                "{action}: the order is now {}",
                payment.state.as_str()
            ))
        )),
        Err(error) => see_other(&format!(
            "../{back}?error={}",
            encode(&format!("{action}: {} {}", error.code(), error.message()))
        )),
    }
}

async fn notification_page(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = fields(raw.unwrap_or_default().as_bytes());
    let pool = state.db.pool();
    let record: NotificationRecord = match notifications::find(pool, &id).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            return failure(ApiError::new(
                ResCode::NotificationNotFound,
                "no such notification",
            ))
        }
        Err(error) => return failure(error),
    };
    let attempts = match notifications::attempts(pool, &id).await {
        Ok(attempts) => attempts,
        Err(error) => return failure(error),
    };
    let rows: String = attempts
        .iter()
        .map(|attempt| {
            format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"url\">{}</td></tr>",
                attempt.attempt,
                time(attempt.started_at),
                badge(&attempt.outcome),
                attempt.http_status.map_or("-".to_owned(), |s| s.to_string()),
                attempt.latency_ms,
                escape(attempt.response_excerpt.as_deref().unwrap_or(""))
            )
        })
        .collect();
    // The bytes as sent and signed (`webhook-signature` is over them): never re-serialised.
    let sent = &record.body;
    // A withdrawn notification is never sent again: no button invites it.
    let actions = if record.status == DeliveryStatus::Withdrawn.as_str() {
        "<p class=\"muted\">Withdrawn: its payment was voided before it was delivered, so it is never sent again.</p>".to_owned()
    } else {
        resend_button(&path_segment(&record.id))
    };
    let body = format!(
        "<p><a href=\"../notifications\">← Notifications</a> · <a href=\"../payments/{}\">payment {}</a></p><h1>Notification <code>{}</code></h1>{}<dl class=\"summary\"><dt>kind</dt><dd>{}</dd><dt>merchant</dt><dd>{}</dd><dt>to</dt><dd>{}</dd><dt>status</dt><dd id=\"status\">{}</dd><dt>attempts</dt><dd>{}</dd><dt>created</dt><dd>{}</dd><dt>request id</dt><dd>{}</dd></dl><div class=\"actions\">{}</div><h2>Attempts</h2><table id=\"attempts\"><thead><tr><th class=\"num\">#</th><th>started (KST)</th><th>outcome</th><th>HTTP</th><th class=\"num\">ms</th><th>answer</th></tr></thead><tbody>{rows}</tbody></table><h2>Body (as sent)</h2><pre>{}</pre>",
        path_segment(&record.pg_cno),
        escape(&record.pg_cno),
        escape(&record.id),
        flash(&query),
        escape(&record.kind),
        escape(&record.mall_id),
        escape(&record.target_url),
        badge(&record.status),
        record.attempts_total,
        time(record.created_at),
        escape(record.request_id.as_deref().unwrap_or("-")),
        actions,
        escape(sent)
    );
    shell("../../dashboard", "notifications", "Notification", body)
}

async fn resend_notification(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
) -> Response {
    if !from_own_site(&state.settings.public_url, &headers) {
        return forbidden();
    }
    let back = path_segment(&id);
    match notifications::resend(state.db.pool(), &id, Utc::now()).await {
        Ok(Resent::Queued) => {
            state.db.outbox_written().notify_one();
            see_other(&format!(
                "../{back}?done={}",
                encode("resent: a new cycle of tries starts now")
            ))
        }
        Ok(Resent::PaymentVoided) => see_other(&format!(
            "../{back}?error={}",
            encode(VOIDED_APPROVAL_NOT_RESENT)
        )),
        Ok(Resent::NoSuchNotification) => see_other(&format!(
            "../{back}?error={}",
            encode("no such notification")
        )),
        Err(error) => failure(error),
    }
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:#1f2328;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Noto Sans KR",sans-serif}
.top{display:flex;align-items:center;gap:24px;padding:10px 20px;background:#07c160;color:#fff}
.brand{font-weight:700;font-size:16px}
.top nav{display:flex;gap:4px;flex-wrap:wrap}
.tab{color:#fff;text-decoration:none;padding:6px 12px;border-radius:999px}
.tab.on,.tab:hover{background:rgba(255,255,255,.22)}
main{max-width:1200px;margin:0 auto;padding:16px 20px}
h1{font-size:20px;margin:8px 0 12px}h2{font-size:16px;margin:20px 0 8px}
a{color:#0969da}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px;margin-bottom:12px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:#6b7280;gap:2px}
select,input{font:inherit;padding:5px 8px;border:1px solid #d0d7de;border-radius:6px;background:#fff}
button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #d0d7de;background:#fff;cursor:pointer}
button.primary{background:#07c160;border-color:#06ad56;color:#fff}button.danger{background:#fff5f5;border-color:#d93025;color:#d93025}
button.small{padding:2px 10px;font-size:12px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e5e7eb;border-radius:8px;overflow:hidden}
th,td{padding:7px 10px;border-bottom:1px solid #eef0f2;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600;font-size:12px;color:#57606a}
.num{text-align:right;font-variant-numeric:tabular-nums}
.url{max-width:260px;word-break:break-all;color:#57606a}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.badge.ok{background:#e8f8ef;color:#06ad56}.badge.wait{background:#fff8e1;color:#9a6700}.badge.bad{background:#fdecea;color:#d93025}
.muted{color:#6b7280}.empty{background:#fff;border:1px dashed #d0d7de;border-radius:8px;padding:16px;color:#6b7280}
.summary{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px}
.summary dt{color:#6b7280}.summary dd{margin:0;word-break:break-all}
.actions{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
form.inline{display:inline-flex;gap:8px;align-items:center;margin:0}
.flash{padding:8px 12px;border-radius:6px}.flash.ok{background:#e8f8ef;color:#06ad56}.flash.bad{background:#fdecea;color:#d93025}
.timeline{list-style:none;margin:0;padding:0 0 0 18px;border-left:2px solid #d0d7de}
.timeline li{position:relative;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;margin:0 0 8px 8px;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center}
.timeline li::before{content:"";position:absolute;left:-27px;top:12px;width:12px;height:12px;border-radius:50%;background:#9ca3af;border:2px solid #fff}
.timeline li.ok::before{background:#07c160}.timeline li.bad::before{background:#d93025}.timeline li.wait::before{background:#d4a72c}
.timeline time{color:#6b7280;font-variant-numeric:tabular-nums}.timeline span{color:#57606a}
pre{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px;overflow:auto;font-size:12.5px}
@media (max-width:700px){table{font-size:12px}.url{max-width:120px}}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_in_their_currency() {
        assert_eq!(amount("KRW", 1_234_567), "1,234,567 KRW");
        assert_eq!(amount("KRW", 100), "100 KRW");
        assert_eq!(amount("USD", 1203), "12.03 USD");
        assert_eq!(amount("USD", 5), "0.05 USD");
    }

    #[test]
    fn fields_keep_the_last_value_and_trim() {
        let parsed = fields(b"a=1&a=%202%20&b=x");
        assert_eq!(field(&parsed, "a"), "2");
        assert_eq!(field(&parsed, "c"), "");
    }
}
