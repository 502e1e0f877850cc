//! HTML of the card registration window: the form, the outcomes, and the form POST back to the
//! merchant's `returnUrl` (decision 19). Every dynamic value is escaped here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use easypay_api::billing::{DeviceType, LangFlag};
use easypay_api::card_input::{CardField, InputError};
use easypay_api::ResCode;

use super::billing_text::{FieldText, Heading, WindowText};
use super::layout::{escape, html_response, path_segment};
use crate::domain::billing_registration::{Registration, RegistrationState};

/// A rendered window page with its status and protective headers.
pub struct WindowPage {
    pub status: StatusCode,
    pub html: String,
    /// The one site that may show the page in a frame: the merchant's, as its `returnUrl` names
    /// it (KICC's window may be opened in a layer on PC). `None`: no site may.
    pub framed_by: Option<String>,
}

impl IntoResponse for WindowPage {
    fn into_response(self) -> Response {
        let frame_ancestors = self.framed_by.as_deref().unwrap_or("'none'");
        // The URL carries the window token: never send it to another site in a Referer. Same-origin
        // keeps the window's own POSTs carrying a real Origin (no-referrer would make it "null").
        html_response(
            self.status,
            self.html,
            "same-origin",
            &format!(
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                 img-src data:; form-action 'self' http: https:; base-uri 'none'; \
                 frame-ancestors {frame_ancestors}"
            ),
        )
    }
}

/// What the window says and posts back once a registration has left `Open`.
pub struct Outcome {
    pub heading: &'static Heading,
    pub code: ResCode,
    pub message: &'static str,
    pub authorization_id: String,
}

/// The outcome of a registration in `state`; `None` while it is open.
pub fn outcome(registration: &Registration, state: RegistrationState) -> Option<Outcome> {
    let text = WindowText::of(registration.request.lang);
    let none = String::new;
    let (heading, code, message, authorization_id) = match state {
        RegistrationState::Open => return None,
        // The return says what the window did; an authorizationId that was used or has lapsed
        // is refused when the merchant issues a key with it.
        RegistrationState::Completed | RegistrationState::Issued | RegistrationState::Lapsed => (
            &text.completed,
            ResCode::Success,
            "Success",
            registration.authorization_id.clone().unwrap_or_default(),
        ),
        RegistrationState::Cancelled => (
            &text.cancelled,
            ResCode::RegistrationCancelled,
            "cancelled: the customer cancelled the card registration",
            none(),
        ),
        RegistrationState::Expired => (
            &text.expired,
            ResCode::RegistrationExpired,
            "expired: the card was not registered within 30 minutes",
            none(),
        ),
    };
    Some(Outcome {
        heading,
        code,
        message,
        authorization_id,
    })
}

/// The card form, with a message under each field that was refused.
pub fn form_page(registration: &Registration, errors: &[InputError]) -> WindowPage {
    let request = &registration.request;
    let text = WindowText::of(request.lang);
    let token = path_segment(&registration.window_token);
    let mut fields = vec![CardField::CardNo, CardField::Expiry];
    if request.cert_type.asks_birth_date() {
        fields.push(CardField::BirthDate);
    }
    if request.cert_type.asks_password() {
        fields.push(CardField::CardPassword);
    }
    let first_refused = fields
        .iter()
        .find(|field| errors.iter().any(|error| error.field == **field));
    let inputs: String = fields
        .iter()
        .map(|field| {
            let error = errors
                .iter()
                .find(|error| error.field == *field)
                .map(|error| text.problem(error.field, error.problem));
            let focus = first_refused == Some(field);
            input(*field, text.field(*field), error, focus)
        })
        .collect();
    let summary = if errors.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"alert\" role=\"alert\">{}</p>\n",
            escape(text.fix_errors)
        )
    };
    let form_token = hidden("formToken", &registration.form_token);
    let body = format!(
        "<h1>{title}</h1>\n<p class=\"lead\">{lead}</p>\n{details}\n{summary}\
         <form id=\"card-form\" method=\"post\" action=\"{token}\" novalidate>{form_token}\
         <div class=\"fields\">{inputs}</div>\
         <div class=\"actions\"><button id=\"submit\" class=\"button primary\" type=\"submit\">{submit}</button></div></form>\n\
         <form id=\"cancel-form\" class=\"actions\" method=\"post\" action=\"{token}/cancel\">{form_token}\
         <button id=\"cancel\" class=\"button secondary\" type=\"submit\">{cancel}</button></form>\n\
         <p class=\"note\">{note}</p>",
        title = escape(text.form.title),
        lead = escape(text.form.text),
        details = details(registration, text),
        submit = escape(text.submit),
        cancel = escape(text.cancel),
        note = escape(text.sandbox_note),
    );
    // The errors come through a redirect to this page (a GET), which is found like any other.
    WindowPage {
        status: StatusCode::OK,
        html: document(request.lang, request.device_type, text.form.title, &body),
        framed_by: Some(request.return_url.origin()),
    }
}

/// One card field; `focus` puts the keyboard in it (the first refused field, after a refusal).
fn input(field: CardField, text: &FieldText, error: Option<&str>, focus: bool) -> String {
    let name = field.name();
    let (kind, length, complete) = match field {
        CardField::CardNo => ("text", 23, "cc-number"),
        CardField::Expiry => ("text", 5, "cc-exp"),
        CardField::BirthDate => ("text", 6, "off"),
        CardField::CardPassword => ("password", 2, "off"),
    };
    let (class, described, message) = match error {
        Some(message) => (
            " invalid",
            format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\""),
            format!(
                "<p class=\"error\" id=\"{name}-error\">{}</p>",
                escape(message)
            ),
        ),
        None => ("", String::new(), String::new()),
    };
    format!(
        "<div class=\"field{class}\" id=\"field-{name}\"><label for=\"{name}\">{label}</label>\
         <input id=\"{name}\" name=\"{name}\" type=\"{kind}\" inputmode=\"numeric\" maxlength=\"{length}\" \
         autocomplete=\"{complete}\" placeholder=\"{placeholder}\"{described}{autofocus}>{message}</div>",
        autofocus = if focus { " autofocus" } else { "" },
        label = escape(text.label),
        placeholder = escape(text.placeholder),
    )
}

fn details(registration: &Registration, text: &WindowText) -> String {
    let request = &registration.request;
    let rows = [
        (text.merchant, registration.display_name.as_str()),
        (text.goods, request.goods_name.as_str()),
        (text.order_no, request.shop_order_no.as_str()),
    ];
    let rows: String = rows
        .iter()
        .map(|(label, value)| {
            format!(
                "<div class=\"row\"><dt>{}</dt><dd>{}</dd></div>",
                escape(label),
                escape(value)
            )
        })
        .collect();
    format!("<dl class=\"details\">{rows}</dl>")
}

/// The outcome, then the POST to `returnUrl`: submitted by script right after the customer's
/// own action (`auto`), by the customer's tap when the page is shown again.
pub fn outcome_page(registration: &Registration, outcome: &Outcome, auto: bool) -> WindowPage {
    let request = &registration.request;
    let text = WindowText::of(request.lang);
    let tone = match outcome.code {
        ResCode::Success => "ok",
        _ => "bad",
    };
    let returning = if auto {
        format!("<p class=\"hint\">{}</p>\n", escape(text.returning))
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1>\n<p id=\"result\" class=\"status {tone}\" role=\"status\">{sentence}</p>\n{details}\n{returning}{form}",
        title = escape(outcome.heading.title),
        sentence = escape(outcome.heading.text),
        details = details(registration, text),
        form = return_form(registration, outcome, text, auto),
    );
    WindowPage {
        status: StatusCode::OK,
        html: document(
            request.lang,
            request.device_type,
            outcome.heading.title,
            &body,
        ),
        framed_by: Some(request.return_url.origin()),
    }
}

/// Seed 003's return: exactly `resCd`, `resMsg`, `shopOrderNo`, `authorizationId`, `shopValue1..7`.
fn return_form(
    registration: &Registration,
    outcome: &Outcome,
    text: &WindowText,
    auto: bool,
) -> String {
    let request = &registration.request;
    let mut fields = vec![
        hidden("resCd", outcome.code.as_str()),
        hidden("resMsg", outcome.message),
        hidden("shopOrderNo", request.shop_order_no.as_str()),
        hidden("authorizationId", &outcome.authorization_id),
    ];
    for n in 1..=7 {
        fields.push(hidden(&format!("shopValue{n}"), request.shop_values.get(n)));
    }
    let button = format!(
        "<button id=\"return\" class=\"button primary\" type=\"submit\">{}</button>",
        escape(text.return_to_merchant)
    );
    let (button, script) = if auto {
        (
            format!("<noscript>{button}</noscript>"),
            "\n<script>document.getElementById('return-form').submit()</script>",
        )
    } else {
        (button, "")
    };
    format!(
        "<form id=\"return-form\" class=\"actions\" method=\"post\" action=\"{action}\">{fields}{button}</form>{script}",
        action = escape(request.return_url.as_str()),
        fields = fields.concat(),
    )
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

/// A page that only says something (unknown window, refused post, failure).
pub fn message_page(
    lang: LangFlag,
    device: DeviceType,
    heading: fn(&WindowText) -> &Heading,
    status: StatusCode,
) -> WindowPage {
    let heading = heading(WindowText::of(lang));
    let body = format!(
        "<h1>{}</h1>\n<p class=\"hint\">{}</p>",
        escape(heading.title),
        escape(heading.text)
    );
    WindowPage {
        status,
        html: document(lang, device, heading.title, &body),
        framed_by: None,
    }
}

fn document(lang: LangFlag, device: DeviceType, title: &str, body: &str) -> String {
    let text = WindowText::of(lang);
    format!(
        r#"<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{title} · {brand}</title>
<style>{CSS}</style>
</head>
<body class="{device}">
<header class="bar"><span class="brand"><span class="logo" aria-hidden="true"></span>{brand}</span><span class="lang">{flag}</span></header>
<main class="window">
{body}
</main>
<script>addEventListener('pageshow',function(e){{if(e.persisted)location.replace(location.pathname)}})</script>
<script>var f=document.querySelector('[autofocus]');if(f&&document.activeElement!==f)f.focus()</script>
</body>
</html>
"#,
        html_lang = text.html_lang,
        title = escape(title),
        brand = escape(text.brand),
        device = device.as_str(),
        flag = lang.as_str(),
    )
}

const CSS: &str = r#"
:root{--blue:#1a56db;--blue-dark:#1e429f;--ink:#1f2328;--muted:#6b7280;--line:#e5e7eb;--bg:#eef2f7;--bad:#c81e1e;--ok:#057a55}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Apple SD Gothic Neo","Malgun Gothic","Noto Sans KR","Hiragino Sans","Noto Sans JP","PingFang SC","Noto Sans SC",sans-serif}
.bar{display:flex;align-items:center;justify-content:space-between;padding:12px 20px;background:var(--blue);color:#fff}
.brand{display:flex;align-items:center;gap:10px;font-weight:600;font-size:17px}
.logo{width:22px;height:16px;border-radius:3px;background:#fff;box-shadow:inset 0 -5px 0 #93c5fd}
.lang{font-size:13px;border:1px solid rgba(255,255,255,.6);border-radius:999px;padding:2px 10px}
.window{background:#fff;margin:24px auto;max-width:720px;border-radius:12px;padding:28px 32px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 4px}
.lead,.hint,.note{color:var(--muted);margin:4px 0 16px}
.note{font-size:13px;text-align:center;margin-top:20px}
.details{margin:0 0 20px;padding:0;border-top:1px solid var(--line)}
.details .row{display:flex;justify-content:space-between;gap:12px;padding:8px 0;border-bottom:1px solid var(--line)}
.details dt{color:var(--muted);margin:0}
.details dd{margin:0;text-align:right;word-break:break-all;font-weight:500}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:16px 20px}
#field-cardNo{grid-column:1/-1}
.field label{display:block;font-weight:600;font-size:14px;margin-bottom:6px}
.field input{width:100%;min-height:46px;padding:10px 12px;border:1px solid #cbd5e1;border-radius:8px;font:inherit;font-size:18px;letter-spacing:1px}
.field input:focus{outline:2px solid var(--blue);border-color:var(--blue)}
.field.invalid input{border-color:var(--bad);background:#fff5f5}
.error{color:var(--bad);font-size:14px;margin:6px 0 0}
.alert{background:#fdf2f2;color:var(--bad);border-radius:8px;padding:10px 12px;font-weight:600}
.status{font-weight:600;padding:12px;border-radius:8px;text-align:center}
.status.ok{background:#def7ec;color:var(--ok)}
.status.bad{background:#fde8e8;color:var(--bad)}
.actions{display:flex;gap:12px;margin-top:20px}
.actions form{margin:0}
#cancel-form{margin-top:12px}
.button{flex:1;display:block;width:100%;min-height:50px;padding:12px 16px;border-radius:8px;border:0;font:inherit;font-size:17px;font-weight:600;cursor:pointer}
.button.primary{background:var(--blue);color:#fff}
.button.primary:hover,.button.primary:focus{background:var(--blue-dark)}
.button.secondary{background:#fff;color:var(--ink);border:1px solid #cbd5e1}
body.mobile .window{margin:0;max-width:none;border-radius:0;min-height:calc(100vh - 52px);padding:20px 16px}
body.mobile .fields{grid-template-columns:1fr}
body.mobile .field input{min-height:52px;font-size:20px}
@media (max-width:560px){.window{margin:0;border-radius:0;padding:20px 16px}.fields{grid-template-columns:1fr}}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use easypay_api::billing::WebpayRequest;
    use easypay_api::card_input::Problem;
    use serde_json::json;

    fn registration(extra: serde_json::Value) -> Registration {
        let mut body = json!({
            "mallId": "T5102001", "shopOrderNo": "REG-1", "amount": 0, "payMethodTypeCode": "81",
            "currency": "00", "clientTypeCode": "00",
            "returnUrl": "https://shop.example/return?a=1&b=2",
            "deviceTypeCode": "pc", "orderInfo": {"goodsName": "Tea & Cake 월정액"},
            "shopValueInfo": {"value1": "v1 & more", "value7": "마지막"}
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let now = Utc::now();
        Registration {
            window_token: "tok".into(),
            request: WebpayRequest::parse(body.as_object().unwrap()).unwrap(),
            display_name: "Shop <One>".into(),
            form_token: "form-token".into(),
            state: RegistrationState::Open,
            authorization_id: Some("auth-1".into()),
            card: None,
            card_mask_no: None,
            created_at: now,
            window_expires_at: now,
            completed_at: None,
            closed_at: None,
            version: 0,
        }
    }

    #[test]
    fn cert_type_decides_the_fields() {
        for (cert, names) in [
            ("0", vec!["cardNo", "expiry", "birthDate", "cardPassword"]),
            ("1", vec!["cardNo", "expiry", "birthDate"]),
            ("2", vec!["cardNo", "expiry"]),
        ] {
            let reg =
                registration(json!({"payMethodInfo": {"billKeyMethodInfo": {"certType": cert}}}));
            let html = form_page(&reg, &[]).html;
            let inputs: Vec<&str> = ["cardNo", "expiry", "birthDate", "cardPassword"]
                .into_iter()
                .filter(|name| html.contains(&format!("name=\"{name}\"")))
                .collect();
            assert_eq!(inputs, names, "certType {cert}");
            assert!(html.contains("name=\"formToken\" value=\"form-token\""));
        }
    }

    #[test]
    fn everything_shown_is_escaped() {
        let html = form_page(&registration(json!({})), &[]).html;
        assert!(html.contains("Shop &lt;One&gt;"));
        assert!(html.contains("Tea &amp; Cake 월정액"));
        assert!(html.contains("<html lang=\"ko\">"));
        assert!(html.contains("<body class=\"pc\">"));
    }

    #[test]
    fn errors_are_shown_in_the_window_language() {
        let reg = registration(json!({"langFlag": "JPN", "deviceTypeCode": "mobile"}));
        let page = form_page(
            &reg,
            &[InputError {
                field: CardField::CardNo,
                problem: Problem::Luhn,
            }],
        );
        assert!(page.html.contains("カード番号が正しくありません"));
        assert!(page.html.contains("<body class=\"mobile\">"));
        assert!(page.html.contains("aria-invalid=\"true\""));
    }

    #[test]
    fn the_return_form_carries_exactly_the_eleven_fields() {
        let mut reg = registration(json!({}));
        reg.state = RegistrationState::Completed;
        let done = outcome(&reg, RegistrationState::Completed).unwrap();
        let html = outcome_page(&reg, &done, true).html;
        assert!(html.contains("action=\"https://shop.example/return?a=1&amp;b=2\""));
        assert_eq!(html.matches("type=\"hidden\"").count(), 11);
        for expected in [
            "name=\"resCd\" value=\"0000\"",
            "name=\"authorizationId\" value=\"auth-1\"",
            "name=\"shopValue1\" value=\"v1 &amp; more\"",
            "name=\"shopValue2\" value=\"\"",
            "name=\"shopValue7\" value=\"마지막\"",
        ] {
            assert!(html.contains(expected), "{expected}");
        }
        assert!(html.contains("<noscript>") && html.contains(".submit()"));
        let cancelled = outcome(&reg, RegistrationState::Cancelled).unwrap();
        let html = outcome_page(&reg, &cancelled, false).html;
        assert!(html.contains("name=\"resCd\" value=\"B007\""));
        assert!(html.contains("name=\"authorizationId\" value=\"\""));
        assert!(
            !html.contains(".submit()"),
            "shown again, the return waits for a tap"
        );
        assert!(outcome(&reg, RegistrationState::Open).is_none());
        assert_eq!(
            outcome(&reg, RegistrationState::Expired).unwrap().code,
            ResCode::RegistrationExpired
        );
    }
}
