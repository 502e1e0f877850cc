//! Request values that have passed their field rules. Once a request is parsed into these types
//! the gateway never re-checks raw strings.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::euc_kr;
use crate::rules::{FieldError, Rule};

/// Characters KICC's special-character rule refuses in request values.
const FORBIDDEN: [char; 7] = ['\'', '"', '<', '>', '\\', ';', '|'];

/// Free text: no forbidden or control characters, representable in EUC-KR, at most `max` bytes.
pub fn free_text(path: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    if let Some(ch) = raw
        .chars()
        .find(|c| FORBIDDEN.contains(c) || c.is_control())
    {
        return Err(FieldError::new(path, Rule::ForbiddenChar { ch }));
    }
    within_bytes(path, raw, max)?;
    Ok(raw.to_owned())
}

fn within_bytes(path: &str, raw: &str, max: usize) -> Result<(), FieldError> {
    let got = euc_kr::byte_len(raw)
        .map_err(|euc_kr::Unencodable(ch)| FieldError::new(path, Rule::NotEucKr { ch }))?;
    if got > max {
        return Err(FieldError::new(path, Rule::TooLong { max, got }));
    }
    Ok(())
}

macro_rules! string_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The value as the merchant sent it (or as it was stored).
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_value!(
    /// Merchant ID assigned by KICC (8 bytes), e.g. `T5102001`.
    MallId
);
string_value!(
    /// The merchant's idempotency key for one request (60 bytes).
    ShopTransactionId
);
string_value!(
    /// The merchant's order number: letters, digits, `_` and `-`, at most 40 bytes.
    ShopOrderNo
);
string_value!(
    /// KICC's transaction number as given in a request (60 bytes on input).
    PgCnoInput
);
string_value!(
    /// Text with KICC's special-character rule and an EUC-KR byte limit.
    Text
);
string_value!(
    /// Printable ASCII only (WeChat `goodsName`).
    EnglishText
);
string_value!(
    /// An absolute `http`/`https` URL, kept exactly as the merchant sent it.
    HttpUrl
);
string_value!(
    /// Digits only (`customerContactNo`).
    Digits
);
string_value!(
    /// An e-mail address (`customerMail`).
    Email
);

impl MallId {
    /// A request's `mallId`: free text (`V005`, `V006`) of at most 8 bytes (`V004`). Whether it
    /// names an active merchant (`M001`, `M002`) is checked later, against the database.
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        free_text(path, raw, 8).map(MallId)
    }

    /// A mall ID to register a merchant under: 1–8 ASCII letters, digits, `-` or `_` (KICC's are
    /// like `T5102001`), so that it can be sent in every request and serve as the user name of the
    /// notifications API's HTTP Basic authentication (which a `:` would cut).
    pub fn parse_new(path: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(path, Rule::Empty));
        }
        let mall_id = Self::parse(path, raw)?;
        plain_identifier(
            path,
            raw,
            "ASCII letters, digits, '-' and '_' only, e.g. T5102001",
        )?;
        Ok(mall_id)
    }

    /// A mall ID from trusted input (the database, the CLI after its own checks).
    pub fn from_trusted(raw: impl Into<String>) -> Self {
        MallId(raw.into())
    }
}

/// An identifier of ASCII letters, digits, `_` and `-` only; `expected` says so in the error.
fn plain_identifier(path: &str, raw: &str, expected: &'static str) -> Result<(), FieldError> {
    if raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(FieldError::new(path, Rule::BadFormat { expected }))
    }
}

impl ShopTransactionId {
    /// A request's `shopTransactionId`: free text (`V005`, `V006`) of at most 60 bytes (`V004`).
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        free_text(path, raw, 60).map(ShopTransactionId)
    }
}

impl ShopOrderNo {
    /// A request's `shopOrderNo`: at most 40 bytes (`V004`) of ASCII letters, digits, `_` and `-`
    /// (`V014`). Whether the merchant already used it (`D001`) is checked later.
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        within_bytes(path, raw, 40)?;
        plain_identifier(path, raw, "letters, digits, '_' and '-' only")?;
        Ok(ShopOrderNo(raw.to_owned()))
    }

    /// An order number from trusted input (the database), taken unchecked.
    pub fn from_trusted(raw: impl Into<String>) -> Self {
        ShopOrderNo(raw.into())
    }
}

impl PgCnoInput {
    /// A request's `pgCno`: free text (`V005`, `V006`) of at most 60 bytes (`V004`). Whether a
    /// transaction of the merchant has it (`F001`) is checked later.
    pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
        free_text(path, raw, 60).map(PgCnoInput)
    }
}

impl Text {
    /// Free text of at most `max` bytes: none of `'` `"` `<` `>` `\` `;` `|` or control characters
    /// (`V006`), EUC-KR (KS X 1001) characters only (`V005`), at most `max` EUC-KR bytes (`V004`).
    pub fn parse(path: &str, raw: &str, max: usize) -> Result<Self, FieldError> {
        free_text(path, raw, max).map(Text)
    }

    /// A `msgAuthValue` (at most 200 bytes), kept in lowercase: either hex case verifies
    /// (decision 7), so a retry that differs only in the case is the same request and replays.
    pub fn parse_signature(path: &str, raw: &str) -> Result<Self, FieldError> {
        free_text(path, raw, 200).map(|text| Text(text.to_ascii_lowercase()))
    }

    /// Text from trusted input (the database), taken unchecked.
    pub fn from_trusted(raw: impl Into<String>) -> Self {
        Text(raw.into())
    }
}

impl EnglishText {
    /// Printable ASCII only (`V007`; a control character is `V006`), then the rules of
    /// [`Text::parse`]: none of `'` `"` `<` `>` `\` `;` `|` (`V006`), at most `max` bytes (`V004`).
    pub fn parse(path: &str, raw: &str, max: usize) -> Result<Self, FieldError> {
        if let Some(ch) = raw.chars().find(|c| !(' '..='~').contains(c)) {
            let rule = if ch.is_control() {
                Rule::ForbiddenChar { ch }
            } else {
                Rule::NotEnglish { ch }
            };
            return Err(FieldError::new(path, rule));
        }
        free_text(path, raw, max).map(EnglishText)
    }

    /// Text from trusted input (the database), taken unchecked.
    pub fn from_trusted(raw: impl Into<String>) -> Self {
        EnglishText(raw.into())
    }
}

impl HttpUrl {
    /// No whitespace or control characters, none of KICC's blocked characters that a URL must
    /// percent-encode anyway (`'` `"` `<` `>` `\` `|`), at most `max` bytes (`V004`), an absolute
    /// URL whose scheme is `http` or `https`, written with `://`, with a host (`V011`). Kept
    /// exactly as sent.
    pub fn parse(path: &str, raw: &str, max: usize) -> Result<Self, FieldError> {
        let bad = |reason| FieldError::new(path, Rule::BadUrl { reason });
        // The URL parser silently strips whitespace and tabs; a merchant should hear about them.
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("contains whitespace or control characters"));
        }
        // KICC refuses these in any request value (kicc-api §1.7); a browser reads `\` as `/`.
        if raw.contains(['\'', '"', '<', '>', '\\', '|']) {
            return Err(bad(
                "contains one of ' \" < > \\ | (percent-encode them: %27 %22 %3C %3E %5C %7C)",
            ));
        }
        within_bytes(path, raw, max)?;
        let url = url::Url::parse(raw).map_err(|_| bad("not a valid absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the scheme is not http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host"));
        }
        // The parser reads `http:/host` or `http:\\host` as `http://host`, but a browser on an
        // http page reads them as a path on that page's own site: the form would never arrive.
        let after_scheme = &raw[url.scheme().len()..];
        if !after_scheme.starts_with("://") {
            return Err(bad("the scheme must be followed by ://"));
        }
        Ok(HttpUrl(raw.to_owned()))
    }

    /// A URL from trusted input (the database), taken unchecked.
    pub fn from_trusted(raw: impl Into<String>) -> Self {
        HttpUrl(raw.into())
    }

    /// `scheme://host[:port]`, as browsers name a site in `Origin` and CSP source lists.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.0)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_default()
    }
}

impl Digits {
    /// ASCII digits only (`V008`), at most `max` bytes (`V004`).
    pub fn parse(path: &str, raw: &str, max: usize) -> Result<Self, FieldError> {
        if !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(path, Rule::NotDigits));
        }
        within_bytes(path, raw, max)?;
        Ok(Digits(raw.to_owned()))
    }
}

impl Email {
    /// Free text of at most `max` bytes as in [`Text::parse`], then an address shaped
    /// `local@domain` (`V012`): ASCII, no spaces, one `@`, a non-empty local part and a domain
    /// of two labels or more, none of them empty (`b..com` is not a domain).
    pub fn parse(path: &str, raw: &str, max: usize) -> Result<Self, FieldError> {
        let text = free_text(path, raw, max)?;
        let shaped = text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && domain.split('.').all(|label| !label.is_empty())
                && !domain.contains('@')
                && text.is_ascii()
                && !text.contains(' ')
        });
        if !shaped {
            return Err(FieldError::new(path, Rule::BadEmail));
        }
        Ok(Email(text))
    }
}

/// A request date (`yyyyMMdd`) that is today in Seoul, or yesterday until 00:10 (decision 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestDate(String);

impl RequestDate {
    /// A real calendar date as `yyyyMMdd` (`V014`) that is today in Seoul at `now`, or yesterday
    /// during the first 10 minutes after midnight (`V015`).
    pub fn parse(
        path: &str,
        raw: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Self, FieldError> {
        if !crate::seoul_time::is_date(raw) {
            return Err(FieldError::new(
                path,
                Rule::BadFormat {
                    expected: "a date as yyyyMMdd",
                },
            ));
        }
        if !crate::seoul_time::is_valid_request_date(raw, now) {
            let today = crate::seoul_time::date(now);
            return Err(FieldError::new(path, Rule::NotToday { today }));
        }
        Ok(RequestDate(raw.to_owned()))
    }

    /// The date as sent, `yyyyMMdd`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An amount in the currency's minor unit (KRW won, USD cents). Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(u64);

impl Amount {
    /// KICC's amount fields are 12 digits wide.
    pub const MAX: u64 = 999_999_999_999;

    /// An integer read from a request (a JSON number or a digit string): 1 … 999 999 999 999
    /// (`V010`: "must be greater than 0", "must be at most 999999999999").
    pub fn parse(path: &str, value: i128) -> Result<Self, FieldError> {
        if value <= 0 {
            return Err(FieldError::new(path, Rule::NotPositive));
        }
        if value > i128::from(Self::MAX) {
            return Err(FieldError::new(
                path,
                Rule::AmountTooLarge { max: Self::MAX },
            ));
        }
        Ok(Amount(value as u64))
    }

    /// An amount read back from storage, where it was checked on the way in.
    pub fn from_stored(value: i64) -> Self {
        Amount(value.max(0) as u64)
    }

    /// The amount in the currency's minor unit.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The amount as an `i64`, for storage; every amount fits ([`Amount::MAX`] is 12 digits).
    pub fn as_i64(self) -> i64 {
        self.0 as i64
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Implements `JsonSchema` for a value type with a fixed, inlined schema.
#[cfg(feature = "schema")]
macro_rules! schema_of {
    ($name:ident, $schema:tt) => {
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}
#[cfg(feature = "schema")]
pub(crate) use schema_of;

/// JSON Schemas of the values, for the gateway's OpenAPI document. Every value is inlined, so a
/// field's own limit (`#[schemars(length(max = N))]`) lands beside it; `maxLength` counts EUC-KR
/// bytes (a Hangul syllable counts 2), which is also an upper bound on characters.
#[cfg(feature = "schema")]
mod schema {
    use super::*;

    /// KICC's special-character rule as a pattern: no `'` `"` `<` `>` `\` `;` `|`, no control characters.
    pub const FREE_TEXT_PATTERN: &str = "^[^'\"<>\\\\;|\\u0000-\\u001f\\u007f-\\u009f]*$";

    schema_of!(MallId, {
        "type": "string", "maxLength": 8, "pattern": FREE_TEXT_PATTERN,
        "description": "Merchant ID assigned by KICC (at most 8 bytes); must name an active merchant (M001, M002).",
        "examples": ["T5102001"]
    });
    schema_of!(ShopTransactionId, {
        "type": "string", "maxLength": 60, "pattern": FREE_TEXT_PATTERN,
        "description": "The merchant's idempotency key (at most 60 bytes): the same key with the same request replays the first answer until 00:10 Seoul time after the day it was first used; with a different request it is D002.",
        "examples": ["2f0e6c1e-8b0b-4f5e-9d3e-0b1c2d3e4f50"]
    });
    schema_of!(ShopOrderNo, {
        "type": "string", "maxLength": 40, "pattern": "^[A-Za-z0-9_-]*$",
        "description": "The merchant's order number: letters, digits, _ and - only (V014), at most 40 bytes; unique per merchant (D001).",
        "examples": ["ORDER-0001"]
    });
    schema_of!(PgCnoInput, {
        "type": "string", "maxLength": 60, "pattern": FREE_TEXT_PATTERN,
        "description": "KICC's transaction number (pgCno) as the gateway answered it (20 digits; up to 60 bytes accepted).",
        "examples": ["26112121000012345678"]
    });
    schema_of!(Text, {
        "type": "string", "pattern": FREE_TEXT_PATTERN,
        "description": "Free text: EUC-KR (KS X 1001) characters only (V005), none of ' \" < > \\ ; | or control characters (V006)."
    });
    schema_of!(EnglishText, {
        "type": "string", "pattern": "^[ !#-&(-:=?-\\[\\]-{}~]*$",
        "description": "Printable ASCII only (V007), none of ' \" < > \\ ; | (V006)."
    });
    schema_of!(HttpUrl, {
        "type": "string", "format": "uri", "pattern": "^https?://[^\\s'\"<>\\\\|]+$",
        "description": "An absolute http or https URL with a host, no whitespace and none of ' \" < > \\ | (V011).",
        "examples": ["https://shop.example/return"]
    });
    schema_of!(Digits, {
        "type": "string", "pattern": "^[0-9]*$",
        "description": "Digits only (V008).",
        "examples": ["01012345678"]
    });
    schema_of!(Email, {
        "type": "string", "format": "email",
        "description": "An e-mail address (V012).",
        "examples": ["test@email.com"]
    });
    schema_of!(RequestDate, {
        "type": "string", "pattern": "^[0-9]{8}$",
        "description": "yyyyMMdd (V014): today in Seoul, or yesterday until 00:10 (V015).",
        "examples": ["20261121"]
    });
    schema_of!(Amount, {
        "anyOf": [
            {"type": "integer", "minimum": 1, "maximum": 999999999999i64},
            {"type": "string", "pattern": "^[0-9]{1,30}$"}
        ],
        "description": "An integer amount in the currency's minor unit (KRW won, USD cents), 1 … 999999999999, as a JSON number or a digit string (V010).",
        "examples": [1000]
    });
}

#[cfg(feature = "schema")]
pub use schema::FREE_TEXT_PATTERN;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_limit_is_inclusive_and_counts_hangul_twice() {
        assert!(Text::parse("customerName", &"a".repeat(20), 20).is_ok());
        let err = Text::parse("customerName", &"a".repeat(21), 20).unwrap_err();
        assert_eq!(err.to_string(), "customerName: at most 20 bytes (got 21)");
        assert!(Text::parse("customerName", &"홍".repeat(10), 20).is_ok());
        let err = Text::parse("customerName", &format!("{}a", "홍".repeat(10)), 20).unwrap_err();
        assert_eq!(err.rule, Rule::TooLong { max: 20, got: 21 });
    }

    #[test]
    fn free_text_refuses_each_special_character() {
        for ch in [
            '\'', '"', '<', '>', '\\', ';', '|', '\n', '\r', '\t', '\u{7f}',
        ] {
            let err = Text::parse("customerAddr", &format!("a{ch}b"), 200).unwrap_err();
            assert_eq!(err.rule, Rule::ForbiddenChar { ch }, "{ch:?}");
        }
        assert!(Text::parse("customerAddr", "Seoul, Korea (3F) #12-3 & co.", 200).is_ok());
    }

    #[test]
    fn new_mall_ids_are_ascii_letters_digits_dash_and_underscore() {
        assert!(MallId::parse_new("mallId", "T5102001").is_ok());
        assert!(MallId::parse_new("mallId", "T-MALL_1").is_ok());
        assert_eq!(
            MallId::parse_new("mallId", "").unwrap_err().rule,
            Rule::Empty
        );
        for raw in ["T5:02", "T51 02", "한글상점", "T5.02"] {
            let err = MallId::parse_new("mallId", raw).unwrap_err();
            assert!(matches!(err.rule, Rule::BadFormat { .. }), "{raw}: {err}");
        }
        let err = MallId::parse_new("mallId", "T51020011").unwrap_err();
        assert_eq!(err.rule, Rule::TooLong { max: 8, got: 9 });
    }

    #[test]
    fn english_text_is_printable_ascii() {
        assert!(EnglishText::parse("goodsName", "Sample Product (L) - 2", 100).is_ok());
        let err = EnglishText::parse("goodsName", "샘플", 100).unwrap_err();
        assert_eq!(err.rule, Rule::NotEnglish { ch: '샘' });
        let err = EnglishText::parse("goodsName", "tab\there", 100).unwrap_err();
        assert_eq!(err.rule, Rule::ForbiddenChar { ch: '\t' });
        let err = EnglishText::parse("goodsName", &"x".repeat(101), 100).unwrap_err();
        assert_eq!(err.rule, Rule::TooLong { max: 100, got: 101 });
    }

    #[test]
    fn order_numbers_are_letters_digits_underscore_dash() {
        assert!(ShopOrderNo::parse("shopOrderNo", "ORDER_2026-0001").is_ok());
        assert!(ShopOrderNo::parse("shopOrderNo", &"9".repeat(40)).is_ok());
        assert_eq!(
            ShopOrderNo::parse("shopOrderNo", &"9".repeat(41))
                .unwrap_err()
                .rule,
            Rule::TooLong { max: 40, got: 41 }
        );
        assert!(matches!(
            ShopOrderNo::parse("shopOrderNo", "A.1").unwrap_err().rule,
            Rule::BadFormat { .. }
        ));
    }

    #[test]
    fn urls_must_be_absolute_http_or_https() {
        assert!(HttpUrl::parse("returnUrl", "https://shop.example/return?x=1", 256).is_ok());
        assert!(HttpUrl::parse("returnUrl", "http://127.0.0.1:9000/r", 256).is_ok());
        assert!(HttpUrl::parse("returnUrl", "HTTPS://shop.example/r", 256).is_ok());
        assert!(HttpUrl::parse("returnUrl", "https://shop.example/r?a=%22x%22&b=%7C", 256).is_ok());
        for bad in [
            "/relative",
            "ftp://x.example/",
            "javascript:alert(1)",
            "https:// x",
            "http://",
            "http:/127.0.0.1:18201/return",
            "https:shop.example/return",
            "http:\\\\shop.example\\return",
            "http://127.0.0.1:18099\\@evil.example/",
            "https://shop.example/r?name=\"x\"",
            "https://shop.example/<script>",
            "https://shop.example/it's",
            "https://shop.example/a|b",
        ] {
            assert!(
                matches!(
                    HttpUrl::parse("returnUrl", bad, 256).unwrap_err().rule,
                    Rule::BadUrl { .. }
                ),
                "{bad}"
            );
        }
        let long = format!("https://a.example/{}", "p".repeat(256 - 18));
        assert_eq!(long.len(), 256);
        assert!(HttpUrl::parse("returnUrl", &long, 256).is_ok());
        let err = HttpUrl::parse("returnUrl", &format!("{long}p"), 256).unwrap_err();
        assert_eq!(err.rule, Rule::TooLong { max: 256, got: 257 });
    }

    #[test]
    fn contact_numbers_are_digits_only() {
        assert!(Digits::parse("customerContactNo", "01012345678", 11).is_ok());
        assert_eq!(
            Digits::parse("customerContactNo", "010-1234-5678", 11)
                .unwrap_err()
                .rule,
            Rule::NotDigits
        );
        assert_eq!(
            Digits::parse("customerContactNo", "010123456789", 11)
                .unwrap_err()
                .rule,
            Rule::TooLong { max: 11, got: 12 }
        );
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert!(Email::parse("customerMail", "test@email.com", 50).is_ok());
        for bad in [
            "test",
            "@email.com",
            "a@b",
            "a@.com",
            "a@b..com",
            "a@b.com.",
            "a b@c.com",
            "홍@c.com",
        ] {
            assert!(Email::parse("customerMail", bad, 50).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_positive_and_twelve_digits_at_most() {
        assert_eq!(Amount::parse("a", 1).unwrap().get(), 1);
        assert_eq!(
            Amount::parse("a", 999_999_999_999).unwrap().get(),
            Amount::MAX
        );
        assert_eq!(Amount::parse("a", 0).unwrap_err().rule, Rule::NotPositive);
        assert_eq!(Amount::parse("a", -1).unwrap_err().rule, Rule::NotPositive);
        assert!(matches!(
            Amount::parse("a", 1_000_000_000_000).unwrap_err().rule,
            Rule::AmountTooLarge { .. }
        ));
    }
}
