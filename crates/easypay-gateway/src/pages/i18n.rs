//! The pages' two languages: which one a request wants, and every visible string in both.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;

use crate::domain::wechat_payment::PaymentState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

impl Lang {
    /// The `lang` attribute and `?lang=` value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    fn from_code(raw: &str) -> Option<Lang> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The language the switch link offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ko,
            Lang::Ko => Lang::En,
        }
    }

    /// `?lang=en|ko` first, then the `Accept-Language` header, then English.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        query
            .and_then(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .find(|(name, _)| name == "lang")
                    .and_then(|(_, value)| Lang::from_code(&value))
            })
            .or_else(|| accept_language.and_then(preferred))
            .unwrap_or(Lang::En)
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Ko => &KO,
        }
    }
}

/// The supported language the `Accept-Language` header ranks highest (the first one on a tie).
fn preferred(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let primary = tag.split('-').next().unwrap_or_default();
        let Some(lang) = Lang::from_code(primary) else {
            continue;
        };
        let weight = parts
            .find_map(|param| {
                let (name, value) = param.split_once('=')?;
                (name.trim().eq_ignore_ascii_case("q")).then(|| quality(value.trim()))
            })
            .unwrap_or(Some(1000));
        let Some(weight) = weight else { continue };
        if weight > 0 && best.is_none_or(|(_, top)| weight > top) {
            best = Some((lang, weight));
        }
    }
    best.map(|(lang, _)| lang)
}

/// A `q` value (`0`, `0.8`, `1.000`) in thousandths; `None` when malformed.
fn quality(raw: &str) -> Option<u16> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let fraction: u16 = format!("{fraction:0<3}").parse().ok()?;
    let weight = whole * 1000 + fraction;
    (weight <= 1000).then_some(weight)
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let accept = parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok());
        Ok(Lang::negotiate(parts.uri.query(), accept))
    }
}

/// What a page says about an order in one state: a short title and a sentence.
pub struct StateText {
    pub title: &'static str,
    pub text: &'static str,
}

/// Every visible string of the pages in one language.
pub struct Strings {
    /// The name of this language, on the switch link that leads to it.
    pub language_name: &'static str,
    pub brand: &'static str,
    pub qr_title: &'static str,
    pub qr_hint: &'static str,
    pub qr_alt: &'static str,
    pub open_wallet: &'static str,
    pub sandbox_hint: &'static str,
    pub cashier_title: &'static str,
    pub simulated_note: &'static str,
    pub merchant: &'static str,
    pub goods: &'static str,
    pub order_no: &'static str,
    pub pay: &'static str,
    pub cancel: &'static str,
    pub close_hint: &'static str,
    pub returning: &'static str,
    pub return_to_merchant: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
    pub refused_title: &'static str,
    pub refused_text: &'static str,
    pub not_accepting_title: &'static str,
    pub not_accepting_text: &'static str,
    pending: StateText,
    approved: StateText,
    declined: StateText,
    cancelled: StateText,
    expired: StateText,
    voided: StateText,
    partially_refunded: StateText,
    refunded: StateText,
}

impl Strings {
    pub fn state(&self, state: PaymentState) -> &StateText {
        match state {
            PaymentState::Pending => &self.pending,
            PaymentState::Approved => &self.approved,
            PaymentState::Declined => &self.declined,
            PaymentState::CancelledByCustomer => &self.cancelled,
            PaymentState::Expired => &self.expired,
            PaymentState::Voided => &self.voided,
            PaymentState::PartiallyCancelled => &self.partially_refunded,
            PaymentState::Cancelled => &self.refunded,
        }
    }
}

static EN: Strings = Strings {
    language_name: "English",
    brand: "WeChat Pay",
    qr_title: "Scan to pay with WeChat",
    qr_hint: "Open WeChat, tap + then Scan, and point your phone at this code.",
    qr_alt: "QR code for the WeChat payment",
    open_wallet: "Open in the simulated WeChat wallet",
    sandbox_hint: "Sandbox: this button stands in for scanning the code with a phone.",
    cashier_title: "Confirm your payment",
    simulated_note: "Simulated WeChat wallet: no real money is charged.",
    merchant: "Merchant",
    goods: "Product",
    order_no: "Order number",
    pay: "Pay",
    cancel: "Cancel",
    close_hint: "You can close this page now.",
    returning: "Returning to the merchant…",
    return_to_merchant: "Return to the merchant",
    not_found_title: "Page not found",
    not_found_text: "This payment page does not exist. Check the link, or start the payment again from the shop.",
    error_title: "Something went wrong",
    error_text: "The payment page could not be shown. Please try again in a moment.",
    refused_title: "Request refused",
    refused_text: "This payment can only be made from its own payment page. Open the link the shop gave you.",
    not_accepting_title: "Not accepting payments",
    not_accepting_text: "This merchant is not accepting payments at the moment. Nothing was charged; please contact the shop.",
    pending: StateText {
        title: "Waiting for payment",
        text: "Waiting for the payment to be confirmed…",
    },
    approved: StateText {
        title: "Payment complete",
        text: "The payment succeeded. Thank you!",
    },
    declined: StateText {
        title: "Payment declined",
        text: "The WeChat wallet declined the payment. Nothing was charged.",
    },
    cancelled: StateText {
        title: "Payment cancelled",
        text: "The payment was cancelled. Nothing was charged.",
    },
    expired: StateText {
        title: "Order expired",
        text: "This order was not paid in time and has expired. Please order again from the shop.",
    },
    voided: StateText {
        title: "Payment voided",
        text: "The payment was voided by the wallet. Nothing was charged.",
    },
    partially_refunded: StateText {
        title: "Partly refunded",
        text: "The payment succeeded; the merchant has since refunded part of it.",
    },
    refunded: StateText {
        title: "Refunded",
        text: "The payment succeeded; the merchant has since refunded all of it.",
    },
};

static KO: Strings = Strings {
    language_name: "한국어",
    brand: "위챗페이",
    qr_title: "위챗으로 스캔하여 결제",
    qr_hint: "위챗을 열고 + 에서 스캔을 누른 뒤 이 코드를 비춰 주세요.",
    qr_alt: "위챗페이 결제 QR 코드",
    open_wallet: "모의 위챗 지갑에서 열기",
    sandbox_hint: "샌드박스: 휴대폰으로 코드를 스캔하는 대신 이 버튼을 사용하세요.",
    cashier_title: "결제 확인",
    simulated_note: "모의 위챗 지갑입니다. 실제 돈은 결제되지 않습니다.",
    merchant: "가맹점",
    goods: "상품",
    order_no: "주문번호",
    pay: "결제하기",
    cancel: "취소",
    close_hint: "이제 이 페이지를 닫으셔도 됩니다.",
    returning: "가맹점으로 돌아가는 중…",
    return_to_merchant: "가맹점으로 돌아가기",
    not_found_title: "페이지를 찾을 수 없습니다",
    not_found_text:
        "존재하지 않는 결제 페이지입니다. 링크를 확인하거나 쇼핑몰에서 결제를 다시 시작해 주세요.",
    error_title: "문제가 발생했습니다",
    error_text: "결제 페이지를 표시하지 못했습니다. 잠시 후 다시 시도해 주세요.",
    refused_title: "요청이 거부되었습니다",
    refused_text:
        "이 결제는 해당 결제 페이지에서만 진행할 수 있습니다. 쇼핑몰에서 받은 링크를 열어 주세요.",
    not_accepting_title: "결제를 받지 않는 가맹점",
    not_accepting_text:
        "이 가맹점은 현재 결제를 받지 않습니다. 결제된 금액은 없습니다. 쇼핑몰에 문의해 주세요.",
    pending: StateText {
        title: "결제 대기 중",
        text: "결제 확인을 기다리고 있습니다…",
    },
    approved: StateText {
        title: "결제 완료",
        text: "결제가 완료되었습니다. 감사합니다!",
    },
    declined: StateText {
        title: "결제 거절",
        text: "위챗 지갑이 결제를 거절했습니다. 결제된 금액은 없습니다.",
    },
    cancelled: StateText {
        title: "결제 취소",
        text: "결제가 취소되었습니다. 결제된 금액은 없습니다.",
    },
    expired: StateText {
        title: "주문 만료",
        text: "결제 가능 시간이 지나 주문이 만료되었습니다. 쇼핑몰에서 다시 주문해 주세요.",
    },
    voided: StateText {
        title: "결제 무효",
        text: "지갑에서 결제를 무효 처리했습니다. 결제된 금액은 없습니다.",
    },
    partially_refunded: StateText {
        title: "부분 환불",
        text: "결제가 완료된 뒤 가맹점이 결제 금액의 일부를 환불했습니다.",
    },
    refunded: StateText {
        title: "전액 환불",
        text: "결제가 완료된 뒤 가맹점이 결제 금액 전액을 환불했습니다.",
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_over_the_header() {
        assert_eq!(Lang::negotiate(Some("lang=ko"), Some("en")), Lang::Ko);
        assert_eq!(
            Lang::negotiate(Some("x=1&lang=en"), Some("ko-KR")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(Some("lang=fr"), Some("ko")), Lang::Ko);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }

    #[test]
    fn the_header_picks_the_best_ranked_supported_language() {
        let pick = |header| Lang::negotiate(None, Some(header));
        assert_eq!(pick("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Ko);
        assert_eq!(pick("en-US,en;q=0.9,ko;q=0.8"), Lang::En);
        assert_eq!(pick("fr-FR, ko;q=0.5, en;q=0.4"), Lang::Ko);
        assert_eq!(pick("en;q=0.5, KO;q=0.6"), Lang::Ko);
        assert_eq!(pick("ko;q=0, en;q=0.1"), Lang::En);
        assert_eq!(pick("ko;q=0"), Lang::En);
        assert_eq!(pick("ko;q=bogus"), Lang::En);
        assert_eq!(pick("zh-CN, ja"), Lang::En);
        assert_eq!(pick(""), Lang::En);
    }

    #[test]
    fn quality_values_are_read_in_thousandths() {
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("1.000"), Some(1000));
        assert_eq!(quality("0.8"), Some(800));
        assert_eq!(quality("0.125"), Some(125));
        assert_eq!(quality("0"), Some(0));
        assert_eq!(quality("1.5"), None);
        assert_eq!(quality("0.1234"), None);
        assert_eq!(quality("2"), None);
    }
}
