//! AttributeValue in wire JSON (`{"S": "text"}`, `{"N": "1.5"}`,
//! `{"B": "<base64>"}`, ...) to and from the engine's values, with
//! DynamoDB's validation of each value.

use std::collections::HashSet;

use base64::display::Base64Display;
use base64::engine::general_purpose::{GeneralPurpose, STANDARD as BASE64};
use base64::Engine as _;
use halyard_engine::model::{AttributeValue, Item, Number, ITEM_TOO_DEEP, MAX_CONTAINER_DEPTH};
use halyard_engine::Error as EngineError;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ProtocolError;
use crate::fields::{as_string, wrong_type};

const MAX_ATTRIBUTE_NAME_BYTES: usize = 65535;

fn invalid(message: impl Into<String>) -> ProtocolError {
    ProtocolError::Engine(EngineError::Validation(message.into()))
}

/// DynamoDB's answer to a value (not a whole item) nested too deeply.
pub(crate) const VALUE_TOO_DEEP: &str = "Nesting Levels have exceeded supported limits";

/// Parses an item (or key) in wire form.
pub fn item_from_json(map: &Map<String, Value>) -> Result<Item, ProtocolError> {
    map_from_json(map, 0, ITEM_TOO_DEEP)
}

/// Parses one attribute value in wire form (an expression attribute value,
/// a legacy condition or update value).
pub fn value_from_json(value: &Value) -> Result<AttributeValue, ProtocolError> {
    parse_value(value, 0, VALUE_TOO_DEEP)
}

/// `depth` counts the maps and lists around the one being parsed; a value
/// that would open one more than DynamoDB allows is refused with `too_deep`
/// before its contents are looked at, so parsing stays bounded.
fn map_from_json(map: &Map<String, Value>, depth: usize, too_deep: &'static str) -> Result<Item, ProtocolError> {
    let mut item = Item::new();
    for (name, value) in map {
        check_attribute_name(name)?;
        item.insert(name.clone(), parse_value(value, depth, too_deep)?);
    }
    Ok(item)
}

fn enter_container(depth: usize, too_deep: &'static str) -> Result<usize, ProtocolError> {
    if depth >= MAX_CONTAINER_DEPTH {
        return Err(invalid(too_deep));
    }
    Ok(depth + 1)
}

fn check_attribute_name(name: &str) -> Result<(), ProtocolError> {
    if name.is_empty() {
        return Err(invalid("Empty attribute name"));
    }
    if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
        return Err(invalid("Attribute name is too large, must be less than 65536 bytes"));
    }
    Ok(())
}

fn number(text: &str) -> Result<Number, ProtocolError> {
    Number::parse(text).map_err(|e| invalid(e.to_string()))
}

fn binary(value: &Value) -> Result<Vec<u8>, ProtocolError> {
    let text = as_string(value)?;
    BASE64
        .decode(text)
        .map_err(|_| ProtocolError::Serialization(format!("Base64 encoded value {text:?} is not valid base64")))
}

fn list_of(value: &Value) -> Result<&Vec<Value>, ProtocolError> {
    match value {
        Value::Array(list) => Ok(list),
        other => Err(ProtocolError::Serialization(format!(
            "Unexpected value type in payload: expected a list, found {}",
            if other.is_object() { "a structure" } else { "a scalar" }
        ))),
    }
}

fn parse_value(value: &Value, depth: usize, too_deep: &'static str) -> Result<AttributeValue, ProtocolError> {
    let map = match value {
        Value::Object(map) => map,
        other => return Err(wrong_type(other, "AttributeValue")),
    };
    let mut members = map.iter().filter(|(_, v)| !v.is_null());
    let (type_name, content) = match (members.next(), members.next()) {
        (None, _) => return Err(invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")),
        (Some(member), None) => member,
        (Some(_), Some(_)) => {
            return Err(invalid(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ))
        }
    };
    Ok(match type_name.as_str() {
        "S" => AttributeValue::S(as_string(content)?.to_string()),
        "N" => AttributeValue::N(number(as_string(content)?)?),
        "B" => AttributeValue::B(binary(content)?),
        "BOOL" => match content {
            Value::Bool(b) => AttributeValue::Bool(*b),
            other => return Err(wrong_type(other, "Boolean")),
        },
        "NULL" => {
            match content {
                Value::Bool(true) => AttributeValue::Null,
                Value::Bool(false) => return Err(invalid(
                    "One or more parameter values were invalid: Null attribute value types must have the value of true",
                )),
                other => return Err(wrong_type(other, "Boolean")),
            }
        }
        "M" => match content {
            Value::Object(map) => AttributeValue::M(map_from_json(map, enter_container(depth, too_deep)?, too_deep)?),
            other => return Err(wrong_type(other, "Map")),
        },
        "L" => {
            let list = list_of(content)?;
            let depth = enter_container(depth, too_deep)?;
            AttributeValue::L(
                list.iter()
                    .map(|element| parse_value(element, depth, too_deep))
                    .collect::<Result<_, _>>()?,
            )
        }
        "SS" => {
            let set: Vec<String> = list_of(content)?
                .iter()
                .map(|v| as_string(v).map(str::to_string))
                .collect::<Result<_, _>>()?;
            if set.is_empty() {
                return Err(invalid(
                    "One or more parameter values were invalid: An string set  may not be empty",
                ));
            }
            if has_duplicates(&set) {
                return Err(invalid(format!(
                    "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                    set.join(", ")
                )));
            }
            AttributeValue::Ss(set)
        }
        "NS" => {
            let set: Vec<Number> = list_of(content)?
                .iter()
                .map(|v| number(as_string(v)?))
                .collect::<Result<_, _>>()?;
            if set.is_empty() {
                return Err(invalid(
                    "One or more parameter values were invalid: An number set  may not be empty",
                ));
            }
            if has_duplicates(&set) {
                return Err(invalid("Input collection contains duplicates"));
            }
            AttributeValue::Ns(set)
        }
        "BS" => {
            let set: Vec<Vec<u8>> = list_of(content)?.iter().map(binary).collect::<Result<_, _>>()?;
            if set.is_empty() {
                return Err(invalid(
                    "One or more parameter values were invalid: Binary sets should not be empty",
                ));
            }
            if has_duplicates(&set) {
                return Err(invalid(
                    "One or more parameter values were invalid: Input collection of type BS contains duplicates.",
                ));
            }
            AttributeValue::Bs(set)
        }
        other => {
            return Err(ProtocolError::Serialization(format!(
                "Unknown AttributeValue data type: {other}"
            )))
        }
    })
}

fn has_duplicates<T: std::hash::Hash + Eq>(set: &[T]) -> bool {
    let mut seen = HashSet::with_capacity(set.len());
    !set.iter().all(|member| seen.insert(member))
}

pub fn item_to_json(item: &Item) -> Value {
    serde_json::to_value(ItemJson(item)).expect("items serialise")
}

/// An item in wire form, serialised straight from the engine's values.
pub struct ItemJson<'a>(pub &'a Item);

/// A list of items in wire form.
pub struct ItemsJson<'a>(pub &'a [Item]);

struct ValueJson<'a>(&'a AttributeValue);

struct ListJson<'a>(&'a [AttributeValue]);

/// A value written as a JSON string through its `Display` (a number's
/// text, a binary's base64), with no `String` in between.
struct Text<T>(T);

impl Serialize for ItemJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, ValueJson(value))))
    }
}

impl Serialize for ItemsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ItemJson))
    }
}

impl Serialize for ListJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ValueJson))
    }
}

impl<T: std::fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

fn base64_text(bytes: &[u8]) -> Text<Base64Display<'_, '_, GeneralPurpose>> {
    Text(Base64Display::new(bytes, &BASE64))
}

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self.0 {
            AttributeValue::S(s) => map.serialize_entry("S", s)?,
            AttributeValue::N(n) => map.serialize_entry("N", &Text(n))?,
            AttributeValue::B(b) => map.serialize_entry("B", &base64_text(b))?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::M(m) => map.serialize_entry("M", &ItemJson(m))?,
            AttributeValue::L(list) => map.serialize_entry("L", &ListJson(list))?,
            AttributeValue::Ss(set) => map.serialize_entry("SS", set)?,
            AttributeValue::Ns(set) => map.serialize_entry("NS", &Seq(set.iter().map(Text)))?,
            AttributeValue::Bs(set) => map.serialize_entry("BS", &Seq(set.iter().map(|b| base64_text(b))))?,
        }
        map.end()
    }
}

/// A sequence serialised from an iterator (cloned, as `Serialize` takes `&self`).
struct Seq<I>(I);

impl<I: Iterator + Clone> Serialize for Seq<I>
where
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<AttributeValue, String> {
        value_from_json(&value).map_err(|e| e.to_string())
    }

    #[test]
    fn round_trips_every_type() {
        let item = json!({
            "s": {"S": "x"}, "n": {"N": "1.50"}, "b": {"B": "AAEC"}, "t": {"BOOL": true}, "z": {"NULL": true},
            "m": {"M": {"k": {"L": [{"S": "v"}]}}}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AQ=="]}
        });
        let parsed = item_from_json(item.as_object().unwrap()).unwrap();
        let mut expected = item.clone();
        expected["n"] = json!({"N": "1.5"});
        assert_eq!(item_to_json(&parsed), expected);
        // Written straight into bytes, as responses are.
        let written: Value = serde_json::from_slice(&serde_json::to_vec(&ItemJson(&parsed)).unwrap()).unwrap();
        assert_eq!(written, expected);
    }

    #[test]
    fn invalid_values_get_dynamodb_messages() {
        assert_eq!(
            parse(json!({})).unwrap_err(),
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        );
        assert!(parse(json!({"S": "a", "N": "1"}))
            .unwrap_err()
            .contains("more than one datatypes"));
        assert_eq!(
            parse(json!({"SS": []})).unwrap_err(),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        assert_eq!(
            parse(json!({"NS": ["1", "1.0"]})).unwrap_err(),
            "Input collection contains duplicates"
        );
        assert_eq!(
            parse(json!({"N": "abc"})).unwrap_err(),
            "The parameter cannot be converted to a numeric value: abc"
        );
        assert_eq!(
            parse(json!({"S": 5})).unwrap_err(),
            "NUMBER_VALUE cannot be converted to String"
        );
        assert!(parse(json!({"NULL": false}))
            .unwrap_err()
            .contains("Null attribute value types must have the value of true"));
    }

    fn nested(containers: usize, innermost: Value) -> Value {
        (0..containers).fold(innermost, |inner, level| {
            if level % 2 == 0 {
                json!({"M": {"a": inner}})
            } else {
                json!({"L": [inner]})
            }
        })
    }

    #[test]
    fn nesting_is_held_to_dynamodb_limit() {
        let item = |value: Value| {
            item_from_json(json!({"v": value}).as_object().unwrap())
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert_eq!(item(nested(31, json!({"S": "x"}))), Ok(()));
        assert_eq!(item(nested(32, json!({"S": "x"}))), Err(ITEM_TOO_DEEP.to_string()));
        // An empty map or list is a level too.
        assert_eq!(item(nested(31, json!({"M": {}}))), Err(ITEM_TOO_DEEP.to_string()));
        assert!(parse(nested(31, json!({"N": "1"}))).is_ok());
        assert_eq!(parse(nested(32, json!({"N": "1"}))).unwrap_err(), VALUE_TOO_DEEP);
    }
}
