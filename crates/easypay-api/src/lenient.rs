//! Lenient reading of KICC's numbers, for `#[serde(deserialize_with = …)]` on the fields of answers
//! and notifications.
//!
//! KICC documents amounts as JSON numbers, yet its official examples write some as strings
//! (`"amount": "51004"`) while captured production answers carry numbers (kicc-api §1.2): a client
//! must accept both. These functions read a non-negative integer from a JSON number or from a
//! string of ASCII digits and refuse anything else (a sign, a fraction, a letter, a space, a value
//! past the type's maximum) with a serde error naming what was expected. They change nothing about
//! serialization: the fields are still written as JSON numbers.
//!
//! The `Option` readers take `null` and `""` as `None` (a captured KICC answer writes amounts it has
//! not got, such as `multiCardAmount`, as `""`); pair them with `#[serde(default)]` so that an
//! absent field is `None` too.

use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// A `u64` from a JSON number or a string of ASCII digits.
pub fn u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let read = deserializer.deserialize_any(Unsigned {
        max: u64::MAX,
        optional: false,
    })?;
    read.ok_or_else(|| de::Error::custom("a number is required"))
}

/// A `u32` from a JSON number or a string of ASCII digits.
pub fn u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let read = deserializer.deserialize_any(Unsigned {
        max: u64::from(u32::MAX),
        optional: false,
    })?;
    read.and_then(|value| u32::try_from(value).ok())
        .ok_or_else(|| de::Error::custom("a number is required"))
}

/// An optional `u64`: a JSON number, a string of ASCII digits, or `null` / `""` for `None`.
pub fn option_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    deserializer.deserialize_any(Unsigned {
        max: u64::MAX,
        optional: true,
    })
}

/// An optional `u32`: a JSON number, a string of ASCII digits, or `null` / `""` for `None`.
pub fn option_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let read = deserializer.deserialize_any(Unsigned {
        max: u64::from(u32::MAX),
        optional: true,
    })?;
    // `Unsigned` refuses anything above `max`, so the conversion cannot fail.
    Ok(read.and_then(|value| u32::try_from(value).ok()))
}

/// A text field that holds a number (the flat card notifications write every value as a
/// string, `"amount": "9900"`): a string is kept as it is, a non-negative JSON integer becomes
/// its decimal digits.
pub fn number_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(NumberText)
}

/// Reads a non-negative integer up to `max`; `None` only when `optional`.
struct Unsigned {
    max: u64,
    optional: bool,
}

impl Unsigned {
    fn checked<E: de::Error>(&self, value: u64, unexpected: Unexpected<'_>) -> Result<u64, E> {
        if value <= self.max {
            Ok(value)
        } else {
            Err(E::invalid_value(unexpected, self))
        }
    }

    fn absent<E: de::Error>(&self, unexpected: Unexpected<'_>) -> Result<Option<u64>, E> {
        if self.optional {
            Ok(None)
        } else {
            Err(E::invalid_type(unexpected, self))
        }
    }
}

impl<'de> Visitor<'de> for Unsigned {
    type Value = Option<u64>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "a non-negative integer up to {} (a JSON number or a string of ASCII digits)",
            self.max
        )?;
        if self.optional {
            formatter.write_str(", null or \"\"")?;
        }
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.checked(value, Unexpected::Unsigned(value)).map(Some)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(value), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        if text.is_empty() {
            return self.absent(Unexpected::Str(text));
        }
        if !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(E::invalid_value(Unexpected::Str(text), &self));
        }
        // Digits only: parsing fails only past u64::MAX.
        let value = text
            .parse::<u64>()
            .map_err(|_| E::invalid_value(Unexpected::Str(text), &self))?;
        self.checked(value, Unexpected::Str(text)).map(Some)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.absent(Unexpected::Unit)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.absent(Unexpected::Option)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Reads a string as it is, or a non-negative JSON integer as its digits.
struct NumberText;

impl Visitor<'_> for NumberText {
    type Value = String;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string or a non-negative JSON integer")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(value.to_string())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(value), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(text.to_owned())
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct Fields {
        #[serde(deserialize_with = "super::u64")]
        big: u64,
        #[serde(deserialize_with = "super::u32")]
        small: u32,
        #[serde(
            default,
            deserialize_with = "super::option_u64",
            skip_serializing_if = "Option::is_none"
        )]
        maybe_big: Option<u64>,
        #[serde(
            default,
            deserialize_with = "super::option_u32",
            skip_serializing_if = "Option::is_none"
        )]
        maybe_small: Option<u32>,
        #[serde(default, deserialize_with = "super::number_text")]
        text: String,
    }

    fn read(value: serde_json::Value) -> Result<Fields, String> {
        // Through text as well as through a `Value`: both paths reach the same visitor.
        let from_text = serde_json::from_str::<Fields>(&value.to_string());
        let from_value = serde_json::from_value::<Fields>(value);
        match (from_text, from_value) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b);
                Ok(a)
            }
            (Err(a), Err(_)) => Err(a.to_string()),
            (a, b) => panic!("text and value disagree: {a:?} / {b:?}"),
        }
    }

    #[test]
    fn numbers_and_digit_strings_read_alike() {
        let numbers = read(json!({"big": 9900, "small": 3, "maybe_big": 51004,
            "maybe_small": 12, "text": 9900}))
        .unwrap();
        let strings = read(json!({"big": "9900", "small": "03", "maybe_big": "51004",
            "maybe_small": "12", "text": "9900"}))
        .unwrap();
        assert_eq!(numbers, strings);
        assert_eq!(
            numbers,
            Fields {
                big: 9900,
                small: 3,
                maybe_big: Some(51004),
                maybe_small: Some(12),
                text: "9900".into()
            }
        );
        let max = read(json!({"big": u64::MAX.to_string(), "small": u32::MAX})).unwrap();
        assert_eq!((max.big, max.small), (u64::MAX, u32::MAX));
    }

    #[test]
    fn serialization_keeps_numbers() {
        let fields = read(json!({"big": "9900", "small": "0", "maybe_big": "7"})).unwrap();
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            r#"{"big":9900,"small":0,"maybe_big":7,"text":""}"#
        );
    }

    #[test]
    fn options_take_absence_null_and_the_empty_string_as_none() {
        for absent in [
            json!({"big": 1, "small": 1}),
            json!({"big": 1, "small": 1, "maybe_big": null, "maybe_small": null}),
            json!({"big": 1, "small": 1, "maybe_big": "", "maybe_small": ""}),
        ] {
            let fields = read(absent.clone()).unwrap();
            assert_eq!(
                (fields.maybe_big, fields.maybe_small),
                (None, None),
                "{absent}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_with_what_was_expected() {
        let cases = [
            (json!({"big": "12a", "small": 1}), r#"invalid value: string "12a""#),
            (json!({"big": -1, "small": 1}), "invalid value: integer `-1`"),
            (json!({"big": "-1", "small": 1}), r#"invalid value: string "-1""#),
            (json!({"big": "+1", "small": 1}), r#"invalid value: string "+1""#),
            (json!({"big": " 1", "small": 1}), r#"invalid value: string " 1""#),
            (json!({"big": "1.5", "small": 1}), r#"invalid value: string "1.5""#),
            (json!({"big": 1.5, "small": 1}), "invalid type: floating point `1.5`"),
            (json!({"big": true, "small": 1}), "invalid type: boolean `true`"),
            (json!({"big": "", "small": 1}), r#"invalid type: string """#),
            (json!({"big": null, "small": 1}), "invalid type: null"),
            (json!({"big": [1], "small": 1}), "invalid type: sequence"),
            (
                json!({"big": "18446744073709551616", "small": 1}),
                r#"invalid value: string "18446744073709551616""#,
            ),
            (
                json!({"big": 1, "small": 4294967296u64}),
                "invalid value: integer `4294967296`, expected a non-negative integer up to 4294967295",
            ),
            (json!({"big": 1, "small": "4294967296"}), "up to 4294967295"),
            (json!({"big": 1, "small": 1, "maybe_big": "12a"}), "12a"),
            (json!({"big": 1, "small": 1, "maybe_small": -1}), "`-1`"),
            (json!({"big": 1, "small": 1, "text": -1}), "invalid value: integer `-1`"),
            (json!({"big": 1, "small": 1, "text": 1.5}), "floating point"),
            (json!({"big": 1}), "missing field `small`"),
        ];
        for (value, message) in cases {
            let error = read(value.clone()).unwrap_err();
            assert!(error.contains(message), "{value}: {error}");
            if !message.starts_with("missing") {
                assert!(error.contains("expected"), "{value}: {error}");
            }
        }
        let error = read(json!({"big": "12a", "small": 1})).unwrap_err();
        assert!(
            error.contains(
                "expected a non-negative integer up to 18446744073709551615 \
                 (a JSON number or a string of ASCII digits)"
            ),
            "{error}"
        );
    }
}
