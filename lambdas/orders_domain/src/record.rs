//! The order record posted to the API, and the one pass that parses a request
//! body and checks every record before anything is written.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::limits::*;
use crate::validation::{ValidationError, attribute_size, kind_of};

/// Upper bound of the TTL attribute's stored value: an epoch-seconds number
/// of up to 10 digits (until the year 2286) is 6 bytes.
const TTL_VALUE_BYTES: usize = 6;

/// One validated record: its key and the other fields, exactly as posted
/// (numbers keep their text).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    record_id: String,
    attributes: Map<String, Value>,
    stored_size: usize,
}

impl OrderRecord {
    /// The partition key value: non-empty, at most 2,048 bytes.
    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// Every field but `record_id`.
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.attributes
    }

    /// Size of the item as DynamoDB counts it, key and TTL attribute included.
    pub fn stored_size(&self) -> usize {
        self.stored_size
    }

    /// The key and the other fields, by value (no copies when converting).
    pub fn into_parts(self) -> (String, Map<String, Value>) {
        (self.record_id, self.attributes)
    }
}

/// Parses a request body and validates every record against the API's rules
/// and DynamoDB's limits. Either every record is valid, or the first problem
/// found is returned and nothing should be written.
pub fn parse_and_validate(body: &[u8]) -> Result<Vec<OrderRecord>, ValidationError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ValidationError::EmptyBody);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(ValidationError::BodyTooLarge { size: body.len() });
    }
    let text = std::str::from_utf8(body).map_err(|e| ValidationError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let items = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        Ok(other) => return Err(ValidationError::NotAnArray(kind_of(&other))),
        Err(e) => return Err(ValidationError::InvalidJson(e.to_string())),
    };
    if items.is_empty() {
        return Err(ValidationError::NoRecords);
    }
    if items.len() > MAX_RECORDS {
        return Err(ValidationError::TooManyRecords { count: items.len() });
    }
    let mut records = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        records.push(validate_record(index, item)?);
    }
    check_unique_ids(&records)?;
    Ok(records)
}

fn validate_record(index: usize, item: Value) -> Result<OrderRecord, ValidationError> {
    let mut attributes = match item {
        Value::Object(map) => map,
        other => {
            return Err(ValidationError::RecordNotObject {
                index,
                kind: kind_of(&other),
            });
        }
    };
    let record_id = match attributes.remove(PARTITION_KEY) {
        Some(Value::String(id)) => id,
        Some(other) => {
            return Err(ValidationError::RecordIdNotString {
                index,
                kind: kind_of(&other),
            });
        }
        None => return Err(ValidationError::MissingRecordId { index }),
    };
    if record_id.is_empty() {
        return Err(ValidationError::EmptyRecordId { index });
    }
    if record_id.len() > MAX_PARTITION_KEY_BYTES {
        return Err(ValidationError::RecordIdTooLong {
            index,
            len: record_id.len(),
        });
    }
    if attributes.contains_key(TTL_ATTRIBUTE) {
        return Err(ValidationError::ReservedField { index });
    }
    let mut stored_size = PARTITION_KEY.len() + record_id.len() + TTL_ATTRIBUTE.len() + TTL_VALUE_BYTES;
    for (name, value) in &attributes {
        if name.is_empty() {
            return Err(ValidationError::EmptyFieldName { index });
        }
        if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
            return Err(ValidationError::FieldNameTooLong { index, len: name.len() });
        }
        stored_size += attribute_size(name, value).map_err(|p| ValidationError::InvalidValue {
            index,
            path: p.path(),
            problem: p.problem,
        })?;
    }
    if stored_size > MAX_ITEM_BYTES {
        return Err(ValidationError::ItemTooLarge {
            index,
            size: stored_size,
        });
    }
    Ok(OrderRecord {
        record_id,
        attributes,
        stored_size,
    })
}

/// BatchWriteItem refuses a batch with two puts of one key, and a request
/// that names a key twice is most likely a client bug: refuse it whole.
fn check_unique_ids(records: &[OrderRecord]) -> Result<(), ValidationError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        if let Some(&first) = seen.get(record.record_id()) {
            return Err(ValidationError::DuplicateRecordId {
                index,
                first,
                record_id: truncate(record.record_id(), 100),
            });
        }
        seen.insert(record.record_id(), index);
    }
    Ok(())
}

/// At most `max` bytes of `text`, cut on a character boundary.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_spec_example_exact() {
        let body = br#"[{"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4},
                        {"record_id": "unique_id_2", "parameter_1": "def", "parameter_2": 2.1}]"#;
        let records = parse_and_validate(body).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].record_id(), "unique_id_1");
        assert_eq!(records[1].attributes()["parameter_2"].to_string(), "2.1");
        assert_eq!(records[0].attributes()["parameter_2"].to_string(), "4");
        assert!(!records[0].attributes().contains_key("record_id"));
    }

    #[test]
    fn whitespace_only_is_an_empty_body() {
        assert_eq!(parse_and_validate(b" \n\t"), Err(ValidationError::EmptyBody));
        assert_eq!(ValidationError::EmptyBody.to_string(), "Request body is empty");
    }

    #[test]
    fn the_first_bad_record_is_named() {
        let body = br#"[{"record_id": "a"}, {"record_id": "b", "x": {"": 1}}]"#;
        let err = parse_and_validate(body).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Record 1: field 'x': contains an empty map key; DynamoDB attribute names must not be empty"
        );
    }

    #[test]
    fn attribute_names_over_dynamodbs_limit_are_refused_at_any_depth() {
        let long = "n".repeat(MAX_ATTRIBUTE_NAME_BYTES + 1);
        let top = format!(r#"[{{"record_id": "a", "{long}": 1}}]"#);
        assert_eq!(
            parse_and_validate(top.as_bytes()),
            Err(ValidationError::FieldNameTooLong {
                index: 0,
                len: MAX_ATTRIBUTE_NAME_BYTES + 1
            })
        );
        let nested = format!(r#"[{{"record_id": "a", "x": {{"{long}": 1}}}}]"#);
        let err = parse_and_validate(nested.as_bytes()).unwrap_err().to_string();
        assert!(
            err.starts_with("Record 0: field 'x': contains a map key of 65536 bytes"),
            "{err}"
        );
        let at_limit = format!(
            r#"[{{"record_id": "a", "{}": 1}}]"#,
            "n".repeat(MAX_ATTRIBUTE_NAME_BYTES)
        );
        assert!(parse_and_validate(at_limit.as_bytes()).is_ok());
    }

    #[test]
    fn item_size_counts_key_ttl_and_fields() {
        let records = parse_and_validate(br#"[{"record_id": "abc", "n": 12345}]"#).unwrap();
        // record_id(9)+abc(3) + expires_at(10)+6 + n(1)+number(3+1)
        assert_eq!(records[0].stored_size(), 9 + 3 + 10 + 6 + 1 + 4);
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("ééé", 3), "é…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
