//! The rule a request field broke, with the field's path, rendered as `field: rule`.

use std::fmt;

use crate::codes::ResCode;

/// A request value that broke a field rule. `Display` gives the `resMsg`, e.g.
/// `goodsName: at most 100 bytes (got 131)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request body, e.g. `amountInfo.totalAmount`.
    pub field: String,
    pub rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Missing,
    Empty,
    /// Only whitespace: as good as empty for a required field.
    Blank,
    WrongType {
        expected: &'static str,
    },
    TooLong {
        max: usize,
        got: usize,
    },
    NotEucKr {
        ch: char,
    },
    ForbiddenChar {
        ch: char,
    },
    NotEnglish {
        ch: char,
    },
    NotDigits,
    NotOneOf {
        allowed: &'static [&'static str],
        got: String,
    },
    /// A number outside its list (`installmentMonth`).
    NotOneOfNumbers {
        allowed: &'static [u32],
        got: i128,
    },
    NotInteger,
    NotPositive,
    AmountTooLarge {
        max: u64,
    },
    BadUrl {
        reason: &'static str,
    },
    BadEmail,
    BadFormat {
        expected: &'static str,
    },
    /// A `yyyyMMdd` request date that is not today in Seoul (decision 5).
    NotToday {
        today: String,
    },
    /// An integer outside `min ..= max` (e.g. the registration amount, fixed at 0).
    OutOfRange {
        min: u64,
        max: u64,
    },
    /// A lookup date that is neither today nor yesterday in Seoul (retrieveTransaction).
    NotRecent {
        today: String,
        yesterday: String,
        /// The date given is after today (not an old one).
        in_future: bool,
    },
}

impl Rule {
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
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        FieldError {
            field: field.into(),
            rule,
        }
    }

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
