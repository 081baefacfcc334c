//! JSON ⇄ DynamoDB AttributeValue, keeping numbers as their exact text, and
//! validated records → BatchWriteItem write requests.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use orders_domain::{OrderRecord, PARTITION_KEY, TTL_ATTRIBUTE};
use serde_json::{Map, Number, Value};
use thiserror::Error;

/// A DynamoDB value that has no JSON counterpart in this API.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConvertError {
    #[error("attribute type {0} has no JSON form in this API")]
    Unsupported(&'static str),
    #[error("DynamoDB number '{0}' is not a JSON number")]
    BadNumber(String),
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
        Value::Object(map) => AttributeValue::M(json_map_to_item(map, 0)),
    }
}

fn json_map_to_item(map: Map<String, Value>, extra: usize) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::with_capacity(map.len() + extra);
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

/// The stored item of a record: its fields, `record_id` (S) and the TTL
/// attribute (N, epoch seconds).
pub fn to_item(record: OrderRecord, expires_at: u64) -> HashMap<String, AttributeValue> {
    let (record_id, attributes) = record.into_parts();
    let mut item = json_map_to_item(attributes, 2);
    item.insert(PARTITION_KEY.to_owned(), AttributeValue::S(record_id));
    item.insert(TTL_ATTRIBUTE.to_owned(), AttributeValue::N(expires_at.to_string()));
    item
}

/// One PutRequest per record, in order. Puts overwrite, so sending the same
/// request again stores the same items: retries are safe.
pub fn to_write_requests(records: Vec<OrderRecord>, expires_at: u64) -> Result<Vec<WriteRequest>, BuildError> {
    records
        .into_iter()
        .map(|record| {
            let put = PutRequest::builder()
                .set_item(Some(to_item(record, expires_at)))
                .build()?;
            Ok(WriteRequest::builder().put_request(put).build())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_domain::parse_and_validate;

    #[test]
    fn numbers_keep_their_exact_text() {
        let value: Value =
            serde_json::from_str(r#"[4, 2.1, -0.5e-3, 123456789012345678901234567890.12345678]"#).unwrap();
        let AttributeValue::L(items) = json_to_attribute_value(value) else {
            panic!("not a list")
        };
        let texts: Vec<_> = items.iter().map(|v| v.as_n().unwrap().as_str()).collect();
        assert_eq!(
            texts,
            ["4", "2.1", "-0.5e-3", "123456789012345678901234567890.12345678"]
        );
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
    fn items_carry_key_and_ttl() {
        let records = parse_and_validate(br#"[{"record_id": "a", "p": 1}]"#).unwrap();
        let requests = to_write_requests(records, 1_800_086_400).unwrap();
        let item = requests[0].put_request().unwrap().item();
        assert_eq!(item["record_id"], AttributeValue::S("a".into()));
        assert_eq!(item["expires_at"], AttributeValue::N("1800086400".into()));
        assert_eq!(item["p"], AttributeValue::N("1".into()));
        assert_eq!(item.len(), 3);
    }

    #[test]
    fn sets_and_binary_have_no_json_form() {
        let err = attribute_value_to_json(&AttributeValue::Ss(vec!["a".into()])).unwrap_err();
        assert_eq!(err, ConvertError::Unsupported("SS"));
    }
}
