//! The order record posted to the API, and the passes that check a request
//! body and every record in it before anything is written, without building
//! a tree of the body (see `walk`).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::limits::*;
use crate::validation::ValidationError;
use crate::walk::{RESERVED_BYTES, check_syntax, kind_of_text, scan_record, split_records};

/// One validated record: its key and its text as posted (numbers keep their
/// text), borrowed from the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord<'a> {
    record_id: Cow<'a, str>,
    json: &'a str,
    stored_size: usize,
    values: usize,
}

impl<'a> OrderRecord<'a> {
    /// The partition key value: non-empty, at most 2,048 bytes.
    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// The record's JSON object as posted, `record_id` included.
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// Size of the item as DynamoDB counts it: key, TTL attribute and the
    /// longest writer attribute included (an upper bound of what is stored).
    pub fn stored_size(&self) -> usize {
        self.stored_size
    }

    /// JSON values in the record: what building its DynamoDB item costs in
    /// memory, beside `stored_size`.
    pub fn values(&self) -> usize {
        self.values
    }
}

/// Parses a request body and validates every record against the API's rules
/// and DynamoDB's limits. Either every record is valid, or the first problem
/// found is returned and nothing should be written. Memory stays a small
/// multiple of the body: no tree of it is built.
pub fn parse_and_validate(body: &[u8]) -> Result<Vec<OrderRecord<'_>>, ValidationError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ValidationError::EmptyBody);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(ValidationError::BodyTooLarge { size: body.len() });
    }
    let text = std::str::from_utf8(body).map_err(|e| ValidationError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let invalid_json = |e: serde_json::Error| ValidationError::InvalidJson(e.to_string());
    check_syntax(text).map_err(invalid_json)?;
    let kind = kind_of_text(text);
    if kind != "an array" {
        return Err(ValidationError::NotAnArray(kind));
    }
    let split = split_records(text).map_err(invalid_json)?;
    if split.count == 0 {
        return Err(ValidationError::NoRecords);
    }
    if split.count > MAX_RECORDS {
        return Err(ValidationError::TooManyRecords { count: split.count });
    }
    let mut records = Vec::with_capacity(split.records.len());
    for (index, json) in split.records.into_iter().enumerate() {
        records.push(validate_record(index, json)?);
    }
    check_unique_ids(&records)?;
    Ok(records)
}

fn validate_record(index: usize, json: &str) -> Result<OrderRecord<'_>, ValidationError> {
    let kind = kind_of_text(json);
    if kind != "an object" {
        return Err(ValidationError::RecordNotObject { index, kind });
    }
    let scan = scan_record(json).map_err(|e| ValidationError::InvalidJson(e.to_string()))?;
    let record_id = match scan.record_id {
        Some(Ok(id)) => id,
        Some(Err(kind)) => return Err(ValidationError::RecordIdNotString { index, kind }),
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
    if let Some(&field) = scan.reserved.first() {
        let meaning = if field == TTL_ATTRIBUTE {
            "the table's TTL attribute"
        } else {
            "the caller's client id"
        };
        return Err(ValidationError::ReservedField { index, field, meaning });
    }
    if scan.over_limit {
        return Err(ValidationError::ItemTooLarge {
            index,
            size: scan.walked_bytes,
        });
    }
    let mut stored_size = RESERVED_BYTES + record_id.len();
    for (name, checked) in &scan.fields {
        if name.is_empty() {
            return Err(ValidationError::EmptyFieldName { index });
        }
        if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
            return Err(ValidationError::FieldNameTooLong { index, len: name.len() });
        }
        match checked {
            Ok(size) => stored_size += name.len() + size,
            Err(p) => {
                return Err(ValidationError::InvalidValue {
                    index,
                    path: p.within_field(name),
                    problem: p.problem.clone(),
                });
            }
        }
    }
    if stored_size > MAX_ITEM_BYTES {
        return Err(ValidationError::ItemTooLarge {
            index,
            size: stored_size,
        });
    }
    Ok(OrderRecord {
        record_id,
        json,
        stored_size,
        values: scan.nodes,
    })
}

/// BatchWriteItem refuses a batch with two puts of one key, and a request
/// that names a key twice is most likely a client bug: refuse it whole.
fn check_unique_ids(records: &[OrderRecord<'_>]) -> Result<(), ValidationError> {
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
        assert!(
            records[1].json().ends_with(r#""parameter_2": 2.1}"#),
            "{}",
            records[1].json()
        );
        assert!(records[0].json().starts_with(r#"{"record_id": "unique_id_1""#));
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
        // record_id(9)+abc(3) + expires_at(10)+6 + written_by(10)+128 + n(1)+number(3+1)
        assert_eq!(records[0].stored_size(), 9 + 3 + 10 + 6 + 10 + 128 + 1 + 4);
    }

    #[test]
    fn the_writer_attribute_is_reserved_like_the_ttl() {
        let err = parse_and_validate(br#"[{"record_id": "a", "written_by": "me"}]"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Record 0: field 'written_by' is a reserved name (the caller's client id, set by the API); rename the field"
        );
        let both = br#"[{"record_id": "a", "written_by": "me", "expires_at": 1}]"#;
        assert!(
            parse_and_validate(both)
                .unwrap_err()
                .to_string()
                .contains("'expires_at'")
        );
    }

    #[test]
    fn too_many_records_is_counted_without_keeping_them() {
        let body = format!("[{}0]", "0,".repeat(MAX_RECORDS + 1));
        assert_eq!(
            parse_and_validate(body.as_bytes()),
            Err(ValidationError::TooManyRecords { count: MAX_RECORDS + 2 })
        );
    }

    #[test]
    fn syntax_and_shape_come_before_records() {
        let deep = format!(
            "[{{\"record_id\": \"a\", \"d\": {}{}}}]",
            "[".repeat(200),
            "]".repeat(200)
        );
        let err = parse_and_validate(deep.as_bytes()).unwrap_err().to_string();
        assert!(
            err.starts_with("Request body is not valid JSON: recursion limit exceeded"),
            "{err}"
        );
        let late = br#"[0, {"record_id": "a"} x]"#;
        assert!(
            parse_and_validate(late)
                .unwrap_err()
                .to_string()
                .starts_with("Request body is not valid JSON")
        );
        assert_eq!(
            parse_and_validate(b" 12.5 "),
            Err(ValidationError::NotAnArray("a number"))
        );
        assert_eq!(parse_and_validate(b"[]"), Err(ValidationError::NoRecords));
        assert_eq!(
            parse_and_validate(br#"[{"record_id": "a"}, "x"]"#),
            Err(ValidationError::RecordNotObject {
                index: 1,
                kind: "a string"
            })
        );
    }

    #[test]
    fn duplicate_member_names_keep_the_last_one() {
        let body = br#"[{"record_id": 1, "record_id": "a", "x": {"": 1}, "x": 2}]"#;
        let records = parse_and_validate(body).unwrap();
        assert_eq!(records[0].record_id(), "a");
    }

    #[test]
    fn problems_in_a_record_are_reported_in_field_name_order() {
        let body = br#"[{"record_id": "a", "z": 1e999, "b": [0, {"": 1}]}]"#;
        assert_eq!(
            parse_and_validate(body).unwrap_err().to_string(),
            "Record 0: field 'b[1]': contains an empty map key; DynamoDB attribute names must not be empty"
        );
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("ééé", 3), "é…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
