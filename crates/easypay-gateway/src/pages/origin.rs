//! Whether a page's form POST comes from the gateway's own pages: a browser names the site that
//! made the request in `Origin`; a POST made by another site is refused. A request without
//! `Origin` (an older browser, a non-browser client) is let through: the page's own secret (the
//! token in its URL, the window's form token) still guards it.

use axum::http::{header, HeaderMap};

/// `true` unless `Origin` names another site than `public_url`'s `scheme://host[:port]`.
pub fn from_own_site(public_url: &str, headers: &HeaderMap) -> bool {
    headers
        .get(header::ORIGIN)
        .is_none_or(|origin| origin.as_bytes() == own_origin(public_url).as_bytes())
}

/// `scheme://host[:port]` of the gateway's public URL, as browsers send it in `Origin`.
fn own_origin(public_url: &str) -> String {
    url::Url::parse(public_url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_origin(origin: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        headers
    }

    #[test]
    fn only_the_gateways_own_origin_or_none_passes() {
        let public = "https://pay.example/prefix/";
        assert!(from_own_site(public, &HeaderMap::new()));
        assert!(from_own_site(public, &with_origin("https://pay.example")));
        assert!(!from_own_site(public, &with_origin("https://evil.example")));
        assert!(!from_own_site(public, &with_origin("http://pay.example")));
        assert!(!from_own_site(public, &with_origin("null")));
        assert!(from_own_site(
            "http://127.0.0.1:8080",
            &with_origin("http://127.0.0.1:8080")
        ));
        assert!(!from_own_site(
            "http://127.0.0.1:8080",
            &with_origin("http://127.0.0.1:8081")
        ));
    }
}
