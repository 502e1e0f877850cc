//! The HTML shell every page shares: escaping, the document, the stylesheet, the language switch.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::i18n::Lang;

/// Text made safe for HTML content and quoted attribute values. Every dynamic value goes through
/// this, whatever was validated before (decision 4).
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `href` with `?lang=` set, for links and form actions that keep the page's language.
pub fn with_lang(href: &str, lang: Lang) -> String {
    format!("{href}?lang={}", lang.code())
}

/// A page token as one URL path segment (tokens are hex; anything else is percent-encoded).
pub fn path_segment(raw: &str) -> String {
    let mut encoded = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// One page: its language, title, body (already HTML) and where the language switch leads.
///
/// Links between pages are relative (`../orders/{token}/status`), so the pages work behind a
/// reverse proxy that mounts the gateway under a path prefix.
pub struct Page<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub body: String,
    /// This page as a relative reference (no query); the language switch adds `?lang=`.
    pub href: &'a str,
    pub status: StatusCode,
    /// Seconds after which a browser without JavaScript reloads the page (live pages).
    pub refresh: Option<u32>,
}

impl Page<'_> {
    pub fn new<'a>(lang: Lang, title: &'a str, href: &'a str, body: String) -> Page<'a> {
        Page {
            lang,
            title,
            body,
            href,
            status: StatusCode::OK,
            refresh: None,
        }
    }

    pub fn render(&self) -> String {
        let strings = self.lang.strings();
        let other = self.lang.other();
        let refresh = match self.refresh {
            Some(seconds) => {
                format!(r#"<noscript><meta http-equiv="refresh" content="{seconds}"></noscript>"#)
            }
            None => String::new(),
        };
        format!(
            r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
{refresh}<title>{title} · {brand}</title>
<style>{CSS}</style>
</head>
<body>
<header class="bar"><span class="brand"><span class="logo" aria-hidden="true"></span>{brand}</span><a class="switch" href="{switch_href}" hreflang="{other_code}" lang="{other_code}">{other_name}</a></header>
<main class="card">
{body}
</main>
</body>
</html>
"#,
            lang = self.lang.code(),
            title = escape(self.title),
            brand = escape(strings.brand),
            switch_href = escape(&with_lang(self.href, other)),
            other_code = other.code(),
            other_name = escape(other.strings().language_name),
            body = self.body,
        )
    }
}

impl IntoResponse for Page<'_> {
    fn into_response(self) -> Response {
        // The page URL carries the order's token: never sent to another site. Same-origin rather
        // than no-referrer, so that the cashier's own POSTs carry a real `Origin` (not "null").
        html_response(
            self.status,
            self.render(),
            "same-origin",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:; form-action 'self' http: https:; \
             base-uri 'none'; frame-ancestors 'none'",
        )
    }
}

/// A hosted page with the headers every page sends: never cached, no sniffing, the given
/// referrer policy and content security policy.
pub fn html_response(
    status: StatusCode,
    html: String,
    referrer_policy: &'static str,
    content_security_policy: &str,
) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(referrer_policy),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        // Every policy is ASCII; should one ever not be, the page gets the strictest one.
        HeaderValue::from_str(content_security_policy).unwrap_or_else(|_| {
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
        }),
    );
    response
}

/// A list of labelled values (merchant, product, order number…); values are escaped here.
pub fn details(rows: &[(&str, &str)]) -> String {
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

/// A status line, coloured by how the order stands (`pending`, `ok`, `bad`).
pub fn status_line(id: &str, tone: &str, text: &str) -> String {
    format!(
        "<p id=\"{}\" class=\"status {}\" role=\"status\" aria-live=\"polite\">{}</p>",
        escape(id),
        escape(tone),
        escape(text)
    )
}

const CSS: &str = r#"
:root{--green:#07c160;--green-dark:#06ad56;--ink:#1f2328;--muted:#6b7280;--line:#e5e7eb;--bg:#f2f3f5;--bad:#d93025}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
html[lang=ko] body{word-break:keep-all}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Apple SD Gothic Neo","Malgun Gothic","Noto Sans KR",sans-serif}
.bar{display:flex;align-items:center;justify-content:space-between;padding:12px 16px;background:var(--green);color:#fff}
.brand{display:flex;align-items:center;gap:8px;font-weight:600;font-size:17px}
.logo{width:22px;height:22px;border-radius:50%;background:#fff;box-shadow:inset 0 0 0 6px var(--green-dark)}
.switch{color:#fff;text-decoration:none;border:1px solid rgba(255,255,255,.7);border-radius:999px;padding:6px 14px;min-height:36px;display:inline-flex;align-items:center}
.switch:hover,.switch:focus{background:rgba(255,255,255,.15)}
.card{max-width:440px;margin:16px auto;background:#fff;border-radius:12px;padding:24px 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
@media (max-width:480px){.card{margin:0;border-radius:0;min-height:calc(100vh - 60px)}}
h1{font-size:20px;margin:0 0 8px;text-align:center}
.amount{font-size:34px;font-weight:700;text-align:center;margin:8px 0 16px;letter-spacing:-.5px}
.hint,.note{color:var(--muted);font-size:14px;text-align:center;margin:8px 0}
.note{background:#f6fef9;border:1px dashed var(--green);border-radius:8px;padding:8px}
.qr{display:flex;justify-content:center;margin:8px 0;transition:opacity .3s}
.qr svg{width:100%;max-width:260px;height:auto;border:1px solid var(--line);border-radius:8px}
.qr.closed{opacity:.12;filter:grayscale(1) blur(6px)}
.details{margin:16px 0;padding:0;border-top:1px solid var(--line)}
.details .row{display:flex;justify-content:space-between;gap:12px;padding:10px 0;border-bottom:1px solid var(--line)}
.details dt{color:var(--muted);margin:0}
.details dd{margin:0;text-align:right;word-break:break-all;font-weight:500}
.status{text-align:center;font-weight:600;padding:12px;border-radius:8px;margin:12px 0}
.status.pending{background:#f3f4f6;color:var(--muted)}
.status.ok{background:#e8f8ef;color:var(--green-dark)}
.status.bad{background:#fdecea;color:var(--bad)}
.actions{display:flex;flex-direction:column;gap:12px;margin-top:20px}
.actions form{margin:0}
.button{display:block;width:100%;min-height:52px;padding:14px 16px;border-radius:8px;border:0;font:inherit;font-size:18px;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
.button.primary{background:var(--green);color:#fff}
.button.primary:hover,.button.primary:focus{background:var(--green-dark)}
.button.secondary{background:#fff;color:var(--ink);border:1px solid var(--line)}
.button.secondary:hover,.button.secondary:focus{background:#f9fafb}
.hidden{display:none}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_every_html_special_character() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>Tea & Cake</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tea &amp; Cake&lt;/a&gt;"
        );
        assert_eq!(escape("결제 ₩1,000"), "결제 ₩1,000");
    }

    #[test]
    fn the_shell_is_responsive_self_contained_and_in_the_page_language() {
        let page = Page::new(Lang::Ko, "제목 & <b>", "abc", "<p>body</p>".into());
        let html = page.render();
        assert!(html.contains(r#"<html lang="ko">"#));
        assert!(html
            .contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#));
        assert!(html.contains("<title>제목 &amp; &lt;b&gt; · 위챗페이</title>"));
        assert!(html.contains(r#"href="abc?lang=en""#));
        assert!(html.contains("<p>body</p>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("http-equiv=\"refresh\""));
    }

    #[test]
    fn tokens_become_single_path_segments() {
        assert_eq!(path_segment("0123abcdef"), "0123abcdef");
        assert_eq!(path_segment("a/b c?&"), "a%2Fb%20c%3F%26");
        assert_eq!(path_segment("토"), "%ED%86%A0");
    }

    #[test]
    fn details_escape_their_values() {
        assert_eq!(
            details(&[("Product", "Tea & Cake")]),
            "<dl class=\"details\"><div class=\"row\"><dt>Product</dt><dd>Tea &amp; Cake</dd></div></dl>"
        );
    }
}
