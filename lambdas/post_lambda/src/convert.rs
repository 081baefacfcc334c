//! JSON ⇄ DynamoDB AttributeValue, keeping numbers as their exact text, and
//! validated records → BatchWriteItem write requests.

use std::collections::HashMap;

use std::fmt;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use orders_domain::{OrderRecord, PARTITION_KEY, TTL_ATTRIBUTE, WRITER_ATTRIBUTE};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use thiserror::Error;

/// serde_json's private name for a number kept as its text
/// (`arbitrary_precision`); `numbers_keep_their_exact_text` guards it.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// A DynamoDB value that has no JSON counterpart in this API.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConvertError {
    #[error("attribute type {0} has no JSON form in this API")]
    Unsupported(&'static str),
    #[error("DynamoDB number '{0}' is not a JSON number")]
    BadNumber(String),
    #[error("a validated record did not parse again: {0}")]
    Json(String),
    #[error("the write request did not build: {0}")]
    Build(String),
}

/// JSON → AttributeValue: strings S, numbers N (their exact text), booleans
/// BOOL, null NULL, arrays L, objects M. Takes the value by value so strings
/// move instead of being copied.
pub fn json_to_attribute_value(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        // arbitrary_precision: as_str is the number's text as posted.
        Value::Number(n) => AttributeValue::N(n.as_str().to_owned()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(items) => AttributeValue::L(items.into_iter().map(json_to_attribute_value).collect()),
        Value::Object(map) => AttributeValue::M(json_map_to_item(map)),
    }
}

fn json_map_to_item(map: Map<String, Value>) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::with_capacity(map.len());
    for (name, value) in map {
        item.insert(name, json_to_attribute_value(value));
    }
    item
}

/// AttributeValue → JSON, the reverse of [`json_to_attribute_value`].
pub fn attribute_value_to_json(value: &AttributeValue) -> Result<Value, ConvertError> {
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(text) => {
            Value::Number(serde_json::from_str::<Number>(text).map_err(|_| ConvertError::BadNumber(text.clone()))?)
        }
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(items) => Value::Array(items.iter().map(attribute_value_to_json).collect::<Result<_, _>>()?),
        AttributeValue::M(map) => Value::Object(item_to_json(map)?),
        AttributeValue::B(_) => return Err(ConvertError::Unsupported("B")),
        AttributeValue::Bs(_) => return Err(ConvertError::Unsupported("BS")),
        AttributeValue::Ns(_) => return Err(ConvertError::Unsupported("NS")),
        AttributeValue::Ss(_) => return Err(ConvertError::Unsupported("SS")),
        _ => return Err(ConvertError::Unsupported("unknown")),
    })
}

/// A whole item → a JSON object (key and TTL attribute included).
pub fn item_to_json(item: &HashMap<String, AttributeValue>) -> Result<Map<String, Value>, ConvertError> {
    item.iter()
        .map(|(name, value)| Ok((name.clone(), attribute_value_to_json(value)?)))
        .collect()
}

/// The stored item of a record: its fields, `record_id` (S), the writer (S)
/// and the TTL attribute (N, epoch seconds). Built straight from the
/// record's text: no `Value` tree in between.
pub fn to_item(
    record: &OrderRecord<'_>,
    writer: &str,
    expires_at: u64,
) -> Result<HashMap<String, AttributeValue>, ConvertError> {
    let mut item = serde_json::Deserializer::from_str(record.json())
        .deserialize_map(ItemVisitor)
        .map_err(|e| ConvertError::Json(e.to_string()))?;
    item.insert(
        PARTITION_KEY.to_owned(),
        AttributeValue::S(record.record_id().to_owned()),
    );
    item.insert(WRITER_ATTRIBUTE.to_owned(), AttributeValue::S(writer.to_owned()));
    item.insert(TTL_ATTRIBUTE.to_owned(), AttributeValue::N(expires_at.to_string()));
    Ok(item)
}

/// One PutRequest for a record. Puts overwrite, so sending the same request
/// again stores the same items: retries are safe.
pub fn to_write_request(record: &OrderRecord<'_>, writer: &str, expires_at: u64) -> Result<WriteRequest, ConvertError> {
    let put = PutRequest::builder()
        .set_item(Some(to_item(record, writer, expires_at)?))
        .build()
        .map_err(|e| ConvertError::Build(e.to_string()))?;
    Ok(WriteRequest::builder().put_request(put).build())
}

/// Every record's PutRequest, in order (the handler builds them a batch at a
/// time instead, see `writer`).
pub fn to_write_requests(
    records: &[OrderRecord<'_>],
    writer: &str,
    expires_at: u64,
) -> Result<Vec<WriteRequest>, ConvertError> {
    records
        .iter()
        .map(|record| to_write_request(record, writer, expires_at))
        .collect()
}

/// A record's fields but `record_id` (the validated key is added by the caller).
struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = HashMap<String, AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut item = HashMap::new();
        while let Some(name) = map.next_key::<String>()? {
            if name == PARTITION_KEY {
                map.next_value::<IgnoredAny>()?;
            } else {
                // A later duplicate replaces an earlier one, as validated.
                item.insert(name, map.next_value_seed(AttributeSeed)?);
            }
        }
        Ok(item)
    }
}

/// JSON → AttributeValue while parsing, numbers as their text.
struct AttributeSeed;

impl<'de> DeserializeSeed<'de> for AttributeSeed {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<AttributeValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AttributeSeed {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Null(true))
    }

    fn visit_bool<E>(self, v: bool) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<AttributeValue, E> {
        Ok(AttributeValue::N(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<AttributeValue, E> {
        Ok(AttributeValue::N(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<AttributeValue, E> {
        Ok(AttributeValue::N(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<AttributeValue, E> {
        Ok(AttributeValue::S(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<AttributeValue, E> {
        Ok(AttributeValue::S(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AttributeValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(AttributeSeed)? {
            items.push(item);
        }
        Ok(AttributeValue::L(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let mut members = HashMap::new();
        while let Some(name) = map.next_key::<String>()? {
            if name == NUMBER_TOKEN {
                // arbitrary_precision: a number that is not a 64-bit integer, as text.
                return Ok(AttributeValue::N(map.next_value()?));
            }
            members.insert(name, map.next_value_seed(AttributeSeed)?);
        }
        Ok(AttributeValue::M(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_domain::parse_and_validate;

    #[test]
    fn numbers_keep_their_exact_text() {
        let text = r#"[4, 2.1, -0.5e-3, 123456789012345678901234567890.12345678]"#;
        let expected = ["4", "2.1", "-0.5e-3", "123456789012345678901234567890.12345678"];
        let value: Value = serde_json::from_str(text).unwrap();
        let AttributeValue::L(items) = json_to_attribute_value(value) else {
            panic!("not a list")
        };
        let texts: Vec<_> = items.iter().map(|v| v.as_n().unwrap().as_str()).collect();
        assert_eq!(texts, expected);
        let streamed = serde_json::Deserializer::from_str(text)
            .deserialize_any(AttributeSeed)
            .unwrap();
        assert_eq!(streamed, AttributeValue::L(items));
    }

    #[test]
    fn every_json_type_round_trips() {
        let value: Value =
            serde_json::from_str(r#"{"s": "x", "n": 2.10, "b": true, "z": null, "l": [1, [2, {"k": "v"}]], "m": {}}"#)
                .unwrap();
        let back = attribute_value_to_json(&json_to_attribute_value(value.clone())).unwrap();
        assert_eq!(back, value);
        assert_eq!(back["n"].to_string(), "2.10");
    }

    #[test]
    fn items_carry_key_writer_and_ttl() {
        let records = parse_and_validate(br#"[{"record_id": "a", "p": 1}]"#).unwrap();
        let requests = to_write_requests(&records, "client-1", 1_800_086_400).unwrap();
        let item = requests[0].put_request().unwrap().item();
        assert_eq!(item["record_id"], AttributeValue::S("a".into()));
        assert_eq!(item["written_by"], AttributeValue::S("client-1".into()));
        assert_eq!(item["expires_at"], AttributeValue::N("1800086400".into()));
        assert_eq!(item["p"], AttributeValue::N("1".into()));
        assert_eq!(item.len(), 4);
    }

    #[test]
    fn items_are_built_from_the_text_as_a_value_would_be() {
        let body = r#"[{"record_id": "a", "n": [4, 2.10, -0, 1E3, 18446744073709551616], "m": {"k": null, "k": {"b": true}}, "s": "\u00e9"}]"#;
        let records = parse_and_validate(body.as_bytes()).unwrap();
        let item = to_item(&records[0], "w", 1).unwrap();
        let mut expected: Map<String, Value> = serde_json::from_str(&body[1..body.len() - 1]).unwrap();
        expected.remove("record_id");
        for (name, value) in expected {
            assert_eq!(item[&name], json_to_attribute_value(value), "{name}");
        }
    }

    #[test]
    fn sets_and_binary_have_no_json_form() {
        let err = attribute_value_to_json(&AttributeValue::Ss(vec!["a".into()])).unwrap_err();
        assert_eq!(err, ConvertError::Unsupported("SS"));
    }
}
