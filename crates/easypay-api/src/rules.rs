//! The rule a request field broke, with the field's path, rendered as `field: rule`.

use std::fmt;

use crate::codes::ResCode;

/// A request value that broke a field rule. `Display` gives the `resMsg`, e.g.
/// `goodsName: at most 100 bytes (got 131)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request body, e.g. `amountInfo.totalAmount`.
    pub field: String,
    /// The rule it broke; [`Rule::res_code`] gives the `resCd`.
    pub rule: Rule,
}

/// A field rule a request value can break. Each maps to one `resCd` ([`Rule::res_code`]) and
/// renders as the rule part of `resMsg` (`Display`), e.g. `at most 100 bytes (got 131)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `V002`: a required field is absent or `null` ("is required").
    Missing,
    /// `V002`: a required field is the empty string `""`.
    Empty,
    /// `V002`: only whitespace: as good as empty for a required field.
    Blank,
    /// `V003`: the JSON type is wrong, e.g. a number where a string is expected.
    WrongType {
        /// What the field takes, e.g. `a string`.
        expected: &'static str,
    },
    /// `V004`: longer than the field's limit, in EUC-KR bytes (a Hangul syllable counts 2).
    TooLong {
        /// The limit, in bytes.
        max: usize,
        /// The value's length, in bytes.
        got: usize,
    },
    /// `V005`: a character EUC-KR (KS X 1001) cannot represent, such as an emoji.
    NotEucKr {
        /// The first such character.
        ch: char,
    },
    /// `V006`: one of `'` `"` `<` `>` `\` `;` `|` or a control character (KICC's special-character
    /// rule).
    ForbiddenChar {
        /// The first such character.
        ch: char,
    },
    /// `V007`: not printable ASCII in an English-only field (WeChat `goodsName`).
    NotEnglish {
        /// The first such character.
        ch: char,
    },
    /// `V008`: something other than ASCII digits in a numbers-only field (`customerContactNo`).
    NotDigits,
    /// `V009`: a coded value outside its list (`tradeType`, `currency`, `reviseTypeCode`…).
    NotOneOf {
        /// The values the field takes.
        allowed: &'static [&'static str],
        /// The value sent (possibly cut to its first 40 characters).
        got: String,
    },
    /// `V009`: a number outside its list (`installmentMonth`).
    NotOneOfNumbers {
        /// The numbers the field takes.
        allowed: &'static [u32],
        /// The number sent.
        got: i128,
    },
    /// `V010`: not an integer (a JSON number or a digit string), e.g. `10.5` or `"ten"`.
    NotInteger,
    /// `V010`: an amount of 0 or less.
    NotPositive,
    /// `V010`: an amount above its maximum (999 999 999 999).
    AmountTooLarge {
        /// The largest amount accepted.
        max: u64,
    },
    /// `V011`: not an absolute `http` or `https` URL with a host.
    BadUrl {
        /// What is wrong with it, e.g. `it has no host`.
        reason: &'static str,
    },
    /// `V012`: `customerMail` is not an e-mail address like `name@example.com`.
    BadEmail,
    /// `V014`: not the field's documented shape (`shopOrderNo`, a `yyyyMMdd` date).
    BadFormat {
        /// The shape the field takes, e.g. `a date as yyyyMMdd`.
        expected: &'static str,
    },
    /// `V015`: a `yyyyMMdd` request date that is not today in Seoul (decision 5).
    NotToday {
        /// Today's date in Seoul, `yyyyMMdd`.
        today: String,
    },
    /// `V010`: an integer outside `min ..= max` (e.g. the registration amount, fixed at 0).
    OutOfRange {
        /// The smallest value accepted.
        min: u64,
        /// The largest value accepted.
        max: u64,
    },
    /// `V016`: a lookup date that is neither today nor yesterday in Seoul (retrieveTransaction).
    NotRecent {
        /// Today's date in Seoul, `yyyyMMdd`.
        today: String,
        /// Yesterday's date in Seoul, `yyyyMMdd`.
        yesterday: String,
        /// The date given is after today (not an old one).
        in_future: bool,
    },
}

impl Rule {
    /// The `resCd` answered for this rule.
    pub fn res_code(&self) -> ResCode {
        match self {
            Rule::Missing | Rule::Empty | Rule::Blank => ResCode::FieldMissing,
            Rule::WrongType { .. } => ResCode::FieldWrongType,
            Rule::TooLong { .. } => ResCode::FieldTooLong,
            Rule::NotEucKr { .. } => ResCode::FieldNotEucKr,
            Rule::ForbiddenChar { .. } => ResCode::FieldForbiddenChar,
            Rule::NotEnglish { .. } => ResCode::FieldNotEnglish,
            Rule::NotDigits => ResCode::FieldNotDigits,
            Rule::NotOneOf { .. } | Rule::NotOneOfNumbers { .. } => ResCode::FieldNotAllowedValue,
            Rule::NotInteger | Rule::NotPositive | Rule::AmountTooLarge { .. } => {
                ResCode::FieldBadAmount
            }
            Rule::BadUrl { .. } => ResCode::FieldBadUrl,
            Rule::BadEmail => ResCode::FieldBadEmail,
            Rule::BadFormat { .. } => ResCode::FieldBadFormat,
            Rule::NotToday { .. } => ResCode::RequestDateNotToday,
            Rule::OutOfRange { .. } => ResCode::FieldBadAmount,
            Rule::NotRecent { .. } => ResCode::RetrieveDateOutOfRange,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Missing => write!(f, "is required"),
            Rule::Empty => write!(f, "is required (got an empty string)"),
            Rule::Blank => write!(f, "is required (got only spaces)"),
            Rule::WrongType { expected } => write!(f, "must be {expected}"),
            Rule::TooLong { max, got } => write!(f, "at most {max} bytes (got {got})"),
            Rule::NotEucKr { ch } => write!(
                f,
                "character {ch:?} (U+{:04X}) cannot be represented in EUC-KR",
                u32::from(*ch)
            ),
            Rule::ForbiddenChar { ch } => write!(
                f,
                "character {ch:?} is not allowed (forbidden: ' \" < > \\ ; | and control characters)"
            ),
            Rule::NotEnglish { ch } => {
                write!(f, "must be English only (printable ASCII), got {ch:?}")
            }
            Rule::NotDigits => write!(f, "must contain digits only"),
            Rule::NotOneOf { allowed, got } => {
                let allowed: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
                write!(f, "must be one of {} (got {got:?})", allowed.join(", "))
            }
            Rule::NotOneOfNumbers { allowed, got } => {
                let allowed: Vec<String> = allowed.iter().map(u32::to_string).collect();
                write!(f, "must be one of {} (got {got})", allowed.join(", "))
            }
            Rule::NotInteger => write!(f, "must be an integer (a JSON number or a digit string)"),
            Rule::NotPositive => write!(f, "must be greater than 0"),
            Rule::AmountTooLarge { max } => write!(f, "must be at most {max}"),
            Rule::BadUrl { reason } => write!(f, "must be an absolute http or https URL ({reason})"),
            Rule::BadEmail => write!(f, "must be an e-mail address like name@example.com"),
            Rule::BadFormat { expected } => write!(f, "must be {expected}"),
            Rule::NotToday { today } => {
                write!(
                    f,
                    "must be today in Seoul ({today}), as yyyyMMdd (yesterday's date only until 00:10)"
                )
            }
            Rule::OutOfRange { min, max } if min == max => write!(f, "must be {min}"),
            Rule::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Rule::NotRecent {
                today,
                yesterday,
                in_future,
            } => {
                let why = if *in_future {
                    "a later date has no transactions yet"
                } else {
                    "older transactions cannot be queried"
                };
                write!(
                    f,
                    "must be today ({today}) or yesterday ({yesterday}) in Seoul; {why}"
                )
            }
        }
    }
}

impl FieldError {
    /// The error of the field at `field` (its path, e.g. `amountInfo.totalAmount`).
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        FieldError {
            field: field.into(),
            rule,
        }
    }

    /// The `resCd` answered for this error: its rule's.
    pub fn res_code(&self) -> ResCode {
        self.rule.res_code()
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl std::error::Error for FieldError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_field_and_rule() {
        let err = FieldError::new("goodsName", Rule::TooLong { max: 100, got: 131 });
        assert_eq!(err.to_string(), "goodsName: at most 100 bytes (got 131)");
        assert_eq!(err.res_code(), ResCode::FieldTooLong);
    }

    #[test]
    fn not_one_of_lists_the_allowed_values() {
        let err = FieldError::new(
            "tradeType",
            Rule::NotOneOf {
                allowed: &["native", "mweb"],
                got: "app".into(),
            },
        );
        assert_eq!(
            err.to_string(),
            r#"tradeType: must be one of "native", "mweb" (got "app")"#
        );
    }
}
