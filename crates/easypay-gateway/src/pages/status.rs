//! Both ends of the live status: `GET /wechat/orders/{token}/status` and the status line that
//! polls it every 2 seconds.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use chrono::Utc;
use easypay_api::wechat::TradeType;
use easypay_api::ResCode;
use serde_json::{json, Map, Value};

use super::cashier;
use super::i18n::Lang;
use super::layout::escape;
use super::money;
use crate::app::AppState;
use crate::domain::wechat_payment::PaymentState;
use crate::http::error::{json_response, ApiError};
use crate::processor::wechat_wallet::{self, OrderRef};

const STATES: [PaymentState; 8] = [
    PaymentState::Pending,
    PaymentState::Approved,
    PaymentState::Declined,
    PaymentState::CancelledByCustomer,
    PaymentState::Expired,
    PaymentState::Voided,
    PaymentState::PartiallyCancelled,
    PaymentState::Cancelled,
];

/// `{"state": …, "paid": bool, "closed": bool, "final": bool, "amount": …}` as of now, `amount`
/// written in the page's language (the approved amount once there is one: the wallet may approve
/// another amount than the order's); an unknown token is a 404. A closed mweb order also has
/// `"returnForm": {"action": returnUrl, "fields": [[name, value], …]}`: a cashier that sees its
/// order close while open (paid in the wallet, approved through the sandbox, expired) sends the
/// customer back to the merchant with it, as after a tap on Pay (decision 17).
pub async fn json(
    State(state): State<AppState>,
    Path(token): Path<String>,
    lang: Lang,
) -> Result<Response, ApiError> {
    let payment = wechat_wallet::load(&state.db, OrderRef::PageToken(&token))
        .await
        .map_err(|error| {
            if error.code() == ResCode::TransactionNotFound {
                ApiError::new(ResCode::UnknownPath, "no WeChat order for this page")
            } else {
                error
            }
        })?;
    let now = payment.state_at(Utc::now());
    let mut body = json!({
        "state": now.as_str(),
        "paid": paid(now),
        "closed": closed(now),
        "final": settled(now),
        "amount": money::display(payment.currency, payment.customer_amount(), lang),
    });
    let return_form = match payment.trade_type {
        TradeType::Mweb => cashier::return_to_merchant(&payment, now),
        TradeType::Native => None,
    };
    if let Some(form) = return_form {
        body["returnForm"] = json!(form);
    }
    let mut response = json_response(200, body.to_string());
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The customer's money went to the merchant (and stayed there).
pub fn paid(state: PaymentState) -> bool {
    match state {
        PaymentState::Approved | PaymentState::PartiallyCancelled => true,
        PaymentState::Pending
        | PaymentState::Cancelled
        | PaymentState::Declined
        | PaymentState::CancelledByCustomer
        | PaymentState::Expired
        | PaymentState::Voided => false,
    }
}

/// Nothing more can happen to the order at all: a paid order can still be voided by the wallet or
/// cancelled by the merchant, so its page keeps watching it.
pub fn settled(state: PaymentState) -> bool {
    match state {
        PaymentState::Pending | PaymentState::Approved | PaymentState::PartiallyCancelled => false,
        PaymentState::Declined
        | PaymentState::CancelledByCustomer
        | PaymentState::Expired
        | PaymentState::Voided
        | PaymentState::Cancelled => true,
    }
}

/// Nothing more can happen to the order from the customer's side.
pub fn closed(state: PaymentState) -> bool {
    match state {
        PaymentState::Pending => false,
        PaymentState::Approved
        | PaymentState::Declined
        | PaymentState::CancelledByCustomer
        | PaymentState::Expired
        | PaymentState::Voided
        | PaymentState::PartiallyCancelled
        | PaymentState::Cancelled => true,
    }
}

/// The status line's colour: `pending`, `ok` or `bad`.
pub fn tone(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Pending => "pending",
        PaymentState::Approved | PaymentState::PartiallyCancelled => "ok",
        PaymentState::Cancelled
        | PaymentState::Declined
        | PaymentState::CancelledByCustomer
        | PaymentState::Expired
        | PaymentState::Voided => "bad",
    }
}

/// What the page does when the polled state differs from the one it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// Rewrite the status line in place; once closed, grey the QR code and hide the sandbox link.
    Update,
    /// Reload the page so the server renders the new state (the cashier).
    Reload,
}

/// The status line for an order in `state`, polling `status_href` until the order is settled
/// (every 2 s while it is pending, every 5 s once paid: a void or a merchant's cancel may follow).
pub fn live_status(lang: Lang, state: PaymentState, status_href: &str, live: Live) -> String {
    let (mode, hidden) = match live {
        Live::Update => ("update", ""),
        Live::Reload => ("reload", " hidden"),
    };
    let line = format!(
        "<p id=\"live-status\" class=\"status {tone}{hidden}\" role=\"status\" aria-live=\"polite\" \
         data-url=\"{url}\" data-state=\"{state}\" data-mode=\"{mode}\">{text}</p>",
        tone = tone(state),
        url = escape(status_href),
        state = escape(state.as_str()),
        text = escape(lang.strings().state(state).text),
    );
    if settled(state) {
        return line;
    }
    format!(
        "{line}\n<script type=\"application/json\" id=\"state-texts\">{texts}</script>\n<script>{POLLER}</script>",
        texts = state_texts(lang),
    )
}

/// `{"approved": [text, tone, title], …}` for the poller, safe inside a `<script>` element.
fn state_texts(lang: Lang) -> String {
    let texts: Map<String, Value> = STATES
        .into_iter()
        .map(|state| {
            let words = lang.strings().state(state);
            (
                state.as_str().to_owned(),
                json!([words.text, tone(state), words.title]),
            )
        })
        .collect();
    Value::Object(texts)
        .to_string()
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

const POLLER: &str = r#"(function(){
var line=document.getElementById("live-status");
if(!line||!window.fetch||!window.JSON)return;
var texts=JSON.parse(document.getElementById("state-texts").textContent);
var url=line.getAttribute("data-url"),mode=line.getAttribute("data-mode"),shown=line.getAttribute("data-state");
var amount=document.getElementById("amount");
// Back to this page from the merchant's (the back/forward cache restores it as it was, pending):
// ask the server again, which shows the outcome with the return behind a button; never post again.
var leaving=false;
addEventListener("pageshow",function(e){if(e.persisted){leaving=true;window.location.reload();}});
function show(d){
if(leaving)return;
if(amount&&d.amount&&amount.textContent!==d.amount)amount.textContent=d.amount;
if(d.state===shown)return;
if(mode==="reload"){if(d.returnForm&&shown==="pending"){back(d.returnForm);}else{window.location.reload();}return;}
shown=d.state;
var t=texts[d.state];
if(t){line.textContent=t[0];line.className="status "+t[1];}
if(d.closed){
var qr=document.getElementById("qr");if(qr&&qr.className.indexOf("closed")<0)qr.className+=" closed";
var sb=document.getElementById("sandbox");if(sb)sb.className+=" hidden";
var hint=document.getElementById("qr-hint");if(hint)hint.className+=" hidden";
var title=document.getElementById("qr-title");if(title&&t)title.textContent=t[2];
}
}
function back(r){
leaving=true;
var f=document.createElement("form");f.method="post";f.action=r.action;
r.fields.forEach(function(p){var i=document.createElement("input");i.type="hidden";i.name=p[0];i.value=p[1];f.appendChild(i);});
document.body.appendChild(f);f.submit();
}
function tick(){
fetch(url,{cache:"no-store",headers:{"Accept":"application/json"}})
.then(function(r){if(r.status===404)throw "gone";return r.json();})
.then(function(d){show(d);if(!d.final)setTimeout(tick,d.closed?5000:2000);},
function(e){if(e!=="gone")setTimeout(tick,2000);});
}
setTimeout(tick,shown==="pending"?2000:5000);
})();"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_approved_money_kept_is_paid_and_only_a_pending_order_is_open() {
        for state in STATES {
            let kept = matches!(
                state,
                PaymentState::Approved | PaymentState::PartiallyCancelled
            );
            assert_eq!(paid(state), kept, "{state:?}");
            assert_eq!(closed(state), state != PaymentState::Pending, "{state:?}");
        }
    }

    #[test]
    fn only_a_declined_expired_voided_or_fully_cancelled_order_is_settled() {
        for state in STATES {
            let open = matches!(
                state,
                PaymentState::Pending | PaymentState::Approved | PaymentState::PartiallyCancelled
            );
            assert_eq!(settled(state), !open, "{state:?}");
        }
    }

    #[test]
    fn a_pending_or_paid_order_polls_and_a_settled_one_does_not() {
        let pending = live_status(
            Lang::En,
            PaymentState::Pending,
            "../orders/t/status",
            Live::Update,
        );
        assert!(pending.contains("data-url=\"../orders/t/status\""));
        assert!(pending.contains("setTimeout(tick,2000)"));
        let paid = live_status(
            Lang::Ko,
            PaymentState::Approved,
            "../orders/t/status",
            Live::Update,
        );
        assert!(paid.contains("결제가 완료되었습니다"));
        assert!(paid.contains("status ok"));
        assert!(paid.contains("<script"), "a paid order can still be voided");
        let voided = live_status(
            Lang::En,
            PaymentState::Voided,
            "../orders/t/status",
            Live::Update,
        );
        assert!(!voided.contains("<script"));
    }

    #[test]
    fn the_texts_cover_every_state_and_cannot_close_the_script() {
        let texts = state_texts(Lang::En);
        let parsed: Value = serde_json::from_str(&texts).unwrap();
        for state in STATES {
            assert!(parsed[state.as_str()][0].is_string(), "{state:?}");
            assert!(parsed[state.as_str()][2].is_string(), "{state:?}");
        }
        assert!(!texts.contains('<'));
    }
}
