//! JSON with every object member named once. `serde_json::Value` keeps the last of two members with
//! one name; a body such as `{"amount":1000, …, "amount":7}` is ambiguous, and a gateway that
//! charges 7 while the merchant's log says 1000 is worse than one that refuses.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value that had no object member twice.
pub struct UniqueKeys(pub Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E: Error>(self, value: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Bool(value)))
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Number(value.into())))
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Number(value.into())))
    }

    fn visit_f64<E: Error>(self, value: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(
            Number::from_f64(value).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E: Error>(self, value: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::String(value.to_owned())))
    }

    fn visit_string<E: Error>(self, value: String) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::String(value)))
    }

    fn visit_unit<E: Error>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(UniqueKeys(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(A::Error::custom(format_args!(
                    "the member \"{name}\" appears twice"
                )));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(name, value);
        }
        Ok(UniqueKeys(Value::Object(object)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Value, String> {
        serde_json::from_str::<UniqueKeys>(text)
            .map(|UniqueKeys(value)| value)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn values_parse_as_serde_json_parses_them() {
        let text = r#"{"a":[1,-2,3.5,"x",true,null,{"b":{}}],"c":18446744073709551615,"d":1e400}"#;
        assert_eq!(
            parse(&text.replace("1e400", "1.5")).unwrap(),
            serde_json::from_str::<Value>(&text.replace("1e400", "1.5")).unwrap()
        );
        assert!(parse(text).is_err(), "out of range, as serde_json says");
    }

    #[test]
    fn a_member_named_twice_is_refused_at_any_depth() {
        let twice = parse(r#"{"amount":1000,"x":1,"amount":7}"#).unwrap_err();
        assert!(
            twice.starts_with("the member \"amount\" appears twice at line 1"),
            "{twice}"
        );
        assert!(parse(r#"{"a":{"b":1,"b":1}}"#).is_err());
        assert!(parse(r#"[{"b":1},{"b":1}]"#).is_ok());
    }
}
