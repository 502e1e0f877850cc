//! Reads fields out of a JSON object, knowing each field's path so every error can name it.
//! Unknown fields are ignored (KICC's compatibility policy); `null` counts as absent.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::rules::{FieldError, Rule};

/// A JSON object of a request, with its path in the body (`orderInfo.customerInfo.`), so that each
/// field read from it names its full path in a [`FieldError`].
pub struct ObjectReader<'a> {
    prefix: String,
    map: &'a Map<String, Value>,
}

impl<'a> ObjectReader<'a> {
    /// The top-level request object.
    pub fn root(map: &'a Map<String, Value>) -> Self {
        ObjectReader {
            prefix: String::new(),
            map,
        }
    }

    /// The path of a field of this object, e.g. `amountInfo.currency`; a top-level field's path
    /// is its name, borrowed (most fields are read without error, so most paths are never used).
    pub fn path<'n>(&self, name: &'n str) -> Cow<'n, str> {
        if self.prefix.is_empty() {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(format!("{}{}", self.prefix, name))
        }
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required string: absent, `null`, `""` or only spaces is [`Rule::Missing`] /
    /// [`Rule::Empty`] / [`Rule::Blank`].
    pub fn required_str<'n>(&self, name: &'n str) -> Result<(Cow<'n, str>, &'a str), FieldError> {
        match self.optional_str_raw(name)? {
            Some("") => Err(FieldError::new(self.path(name), Rule::Empty)),
            Some(text) if text.trim().is_empty() => {
                Err(FieldError::new(self.path(name), Rule::Blank))
            }
            Some(text) => Ok((self.path(name), text)),
            None => Err(FieldError::new(self.path(name), Rule::Missing)),
        }
    }

    /// An optional string; `""` is treated as absent, as merchants often send empty optionals.
    pub fn optional_str<'n>(
        &self,
        name: &'n str,
    ) -> Result<Option<(Cow<'n, str>, &'a str)>, FieldError> {
        Ok(self
            .optional_str_raw(name)?
            .filter(|text| !text.is_empty())
            .map(|text| (self.path(name), text)))
    }

    fn optional_str_raw(&self, name: &str) -> Result<Option<&'a str>, FieldError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str())),
            Some(_) => Err(FieldError::new(
                self.path(name),
                Rule::WrongType {
                    expected: "a string",
                },
            )),
        }
    }

    /// A required string turned into a typed value by `parse(path, raw)`, e.g.
    /// `root.required("mallId", MallId::parse)`.
    pub fn required<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Result<T, FieldError> {
        let (path, raw) = self.required_str(name)?;
        parse(&path, raw)
    }

    /// An optional string turned into a typed value by `parse(path, raw)` when present.
    pub fn optional<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        self.optional_str(name)?
            .map(|(path, raw)| parse(&path, raw))
            .transpose()
    }

    /// A required nested object.
    pub fn required_object(&self, name: &str) -> Result<ObjectReader<'a>, FieldError> {
        self.optional_object(name)?
            .ok_or_else(|| FieldError::new(self.path(name), Rule::Missing))
    }

    /// An optional nested object; absent or `null` is `None`, anything but an object is
    /// [`Rule::WrongType`].
    pub fn optional_object(&self, name: &str) -> Result<Option<ObjectReader<'a>>, FieldError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(ObjectReader {
                prefix: format!("{}{}.", self.prefix, name),
                map,
            })),
            Some(_) => Err(FieldError::new(
                self.path(name),
                Rule::WrongType {
                    expected: "an object",
                },
            )),
        }
    }

    /// An optional JSON boolean (`freeInstallmentUsed`).
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, FieldError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(FieldError::new(
                self.path(name),
                Rule::WrongType {
                    expected: "true or false",
                },
            )),
        }
    }

    /// An optional integer (JSON number or digit string); absent or `null` is `None`.
    pub fn optional_integer<'n>(
        &self,
        name: &'n str,
    ) -> Result<Option<(Cow<'n, str>, i128)>, FieldError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.is_empty() => Ok(None),
            Some(_) => self.required_integer(name).map(Some),
        }
    }

    /// A required integer given as a JSON number or a string of ASCII digits (decision 1). A number
    /// written with a fraction or an exponent counts when its value is whole (`1000.0`, `1e3`: some
    /// encoders write every number so); `10.5` does not. A whole number beyond `i128` reads as its
    /// end of the range, so that the caller's own bound names the rule it breaks ("must be at most
    /// …") instead of calling it no integer.
    pub fn required_integer<'n>(&self, name: &'n str) -> Result<(Cow<'n, str>, i128), FieldError> {
        let path = self.path(name);
        let value = self
            .present(name)
            .ok_or_else(|| FieldError::new(path.clone(), Rule::Missing))?;
        let parsed = match value {
            Value::Number(number) => number
                .as_i64()
                .map(i128::from)
                .or_else(|| number.as_u64().map(i128::from))
                .or_else(|| whole_float(number))
                .ok_or(Rule::NotInteger),
            Value::String(text) if text.is_empty() => Err(Rule::Empty),
            Value::String(text) if text.bytes().all(|b| b.is_ascii_digit()) => {
                // Only an overflow fails for a non-empty string of digits.
                Ok(text.parse::<i128>().unwrap_or(i128::MAX))
            }
            Value::String(_) => Err(Rule::NotInteger),
            _ => Err(Rule::WrongType {
                expected: "a number or a digit string",
            }),
        };
        parsed
            .map(|n| (path.clone(), n))
            .map_err(|rule| FieldError::new(path, rule))
    }
}

/// A number written as `1000.0` or `1e3` whose value is whole. Beyond 2^53 a double is no longer
/// exact, which does not matter: every field's bound is far below it. Beyond `i128` the cast
/// saturates.
fn whole_float(number: &serde_json::Number) -> Option<i128> {
    number
        .as_f64()
        .filter(|value| value.is_finite() && value.fract() == 0.0)
        .map(|value| value as i128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with<T>(value: Value, f: impl FnOnce(ObjectReader<'_>) -> T) -> T {
        let map = value.as_object().unwrap().clone();
        f(ObjectReader::root(&map))
    }

    #[test]
    fn nested_paths_are_dotted() {
        let err = with(json!({"amountInfo": {"currency": 5}}), |r| {
            r.required_object("amountInfo")?
                .required_str("currency")
                .map(|_| ())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "amountInfo.currency: must be a string");
    }

    #[test]
    fn null_and_empty_count_as_missing() {
        with(json!({"a": null, "b": ""}), |r| {
            assert_eq!(r.required_str("a").unwrap_err().rule, Rule::Missing);
            assert_eq!(r.required_str("b").unwrap_err().rule, Rule::Empty);
            assert_eq!(r.optional_str("b").unwrap(), None);
            assert_eq!(r.required_str("c").unwrap_err().rule, Rule::Missing);
        });
        with(json!({"spaces": " \u{3000}\t"}), |r| {
            assert_eq!(r.required_str("spaces").unwrap_err().rule, Rule::Blank);
        });
    }

    #[test]
    fn integers_accept_numbers_and_digit_strings_only() {
        with(
            json!({"n": 1000, "s": "1000", "f": 10.5, "neg": "-5", "sp": " 1", "b": true,
                   "whole": 1000.0, "exp": 1e3, "huge": 1e300, "negf": -5.0,
                   "digits": "1".repeat(50)}),
            |r| {
                assert_eq!(r.required_integer("n").unwrap().1, 1000);
                assert_eq!(r.required_integer("whole").unwrap().1, 1000);
                assert_eq!(r.required_integer("exp").unwrap().1, 1000);
                assert_eq!(r.required_integer("negf").unwrap().1, -5);
                assert_eq!(r.required_integer("huge").unwrap().1, i128::MAX);
                assert_eq!(r.required_integer("digits").unwrap().1, i128::MAX);
                assert_eq!(r.required_integer("s").unwrap().1, 1000);
                assert_eq!(r.required_integer("f").unwrap_err().rule, Rule::NotInteger);
                assert_eq!(
                    r.required_integer("neg").unwrap_err().rule,
                    Rule::NotInteger
                );
                assert_eq!(r.required_integer("sp").unwrap_err().rule, Rule::NotInteger);
                assert!(matches!(
                    r.required_integer("b").unwrap_err().rule,
                    Rule::WrongType { .. }
                ));
            },
        );
    }
}
