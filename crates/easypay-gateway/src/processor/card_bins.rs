//! The sandbox's BIN table (decision 21): the first digits of a card number name its issuer and
//! acquirer with KICC's codes (kicc-api §4.7), and whether it is a credit or check card.

/// What the issuer side says about a card, as answered in `cardInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardProfile {
    pub issuer_code: &'static str,
    pub issuer_name: &'static str,
    pub acquirer_code: &'static str,
    pub acquirer_name: &'static str,
    /// `cardGubun`: `N` credit, `Y` check, `G` gift.
    pub card_gubun: &'static str,
    /// `cardBizGubun`: `P` personal, `C` corporate, `N` other.
    pub card_biz_gubun: &'static str,
    /// `subCardCd`: the bank behind a BC card; empty for others.
    pub sub_card_cd: &'static str,
}

impl CardProfile {
    pub fn is_check_card(&self) -> bool {
        self.card_gubun == "Y"
    }
}

const fn domestic(
    code: &'static str,
    name: &'static str,
    card_gubun: &'static str,
    card_biz_gubun: &'static str,
    sub_card_cd: &'static str,
) -> CardProfile {
    CardProfile {
        issuer_code: code,
        issuer_name: name,
        acquirer_code: code,
        acquirer_name: name,
        card_gubun,
        card_biz_gubun,
        sub_card_cd,
    }
}

/// Korean cards by their six-digit BIN (docs/cards.md lists the same table).
const BINS: [(&str, CardProfile); 8] = [
    ("457973", domestic("016", "KB국민카드", "N", "P", "")),
    ("546465", domestic("029", "신한카드", "N", "P", "")),
    ("940915", domestic("026", "비씨카드", "N", "P", "011")),
    ("536648", domestic("027", "현대카드", "N", "C", "")),
    ("451842", domestic("031", "삼성카드", "N", "P", "")),
    ("465887", domestic("018", "NH농협카드", "Y", "P", "")),
    ("540926", domestic("047", "롯데카드", "N", "P", "")),
    ("524353", domestic("006", "하나카드", "N", "P", "")),
];

/// A foreign card: its brand issues it, a Korean card company acquires it.
const fn foreign(
    code: &'static str,
    name: &'static str,
    acquirer_code: &'static str,
    acquirer_name: &'static str,
) -> CardProfile {
    CardProfile {
        issuer_code: code,
        issuer_name: name,
        acquirer_code,
        acquirer_name,
        card_gubun: "N",
        card_biz_gubun: "P",
        sub_card_cd: "",
    }
}

/// The profile of the card whose number starts with `bin` (six digits).
pub fn profile(bin: &str) -> CardProfile {
    if let Some((_, known)) = BINS.iter().find(|(prefix, _)| *prefix == bin) {
        return *known;
    }
    let two: u32 = bin.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    match two {
        40..=49 => foreign("050", "해외VISA", "016", "KB국민카드"),
        22..=27 | 51..=55 => foreign("049", "해외MASTER", "029", "신한카드"),
        34 | 37 => foreign("046", "해외AMEX", "031", "삼성카드"),
        35 => foreign("028", "해외JCB", "027", "현대카드"),
        30 | 36 | 38 => foreign("048", "해외DINERS", "027", "현대카드"),
        _ => domestic("026", "비씨카드", "N", "P", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bins_name_korean_issuers() {
        assert_eq!(profile("546465").issuer_name, "신한카드");
        assert_eq!(profile("940915").sub_card_cd, "011");
        assert!(profile("465887").is_check_card());
        assert_eq!(profile("536648").card_biz_gubun, "C");
    }

    #[test]
    fn other_cards_fall_back_to_their_brand() {
        assert_eq!(profile("411111").issuer_code, "050");
        assert_eq!(profile("520000").issuer_code, "049");
        assert_eq!(profile("371449").issuer_code, "046");
        assert_eq!(profile("356900").issuer_code, "028");
        assert_eq!(profile("361234").issuer_code, "048");
        assert_eq!(profile("620000").issuer_code, "026");
    }
}
