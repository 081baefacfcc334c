//! Property tests: arbitrary JSON records, posted as text, become DynamoDB
//! items and come back from them exactly, numbers by their text.
//!
//! The posted body is written by hand from a generated tree, so number texts
//! reach the parser as a client would send them (`2.10`, `-0`, `1.5E3`,
//! `7e-2`). What is stored is the posted text, except that serde_json spells
//! an exponent one way (`E` → `e`, a `+` when there is no sign): `canonical`
//! below says exactly that, and nothing else may change.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

use std::collections::BTreeMap;

use orders_domain::parse_and_validate;
use post_lambda::{attribute_value_to_json, item_to_json, json_to_attribute_value, to_write_requests};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// A JSON value as generated: numbers keep the raw text they are posted as.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

/// The number text the API stores for a posted number text.
fn canonical(raw: &str) -> String {
    match raw.find(['e', 'E']) {
        None => raw.to_owned(),
        Some(at) => {
            let (mantissa, exponent) = (&raw[..at], &raw[at + 1..]);
            let signed = if exponent.starts_with(['+', '-']) {
                exponent.to_owned()
            } else {
                format!("+{exponent}")
            };
            format!("{mantissa}e{signed}")
        }
    }
}

impl Json {
    /// The body text a client would send.
    fn text(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Number(raw) => raw.clone(),
            Json::String(s) => quote(s),
            Json::Array(items) => format!("[{}]", items.iter().map(Json::text).collect::<Vec<_>>().join(", ")),
            Json::Object(map) => format!(
                "{{{}}}",
                map.iter()
                    .map(|(k, v)| format!("{}: {}", quote(k), v.text()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The value the API must store: the same tree, numbers as `canonical`.
    fn expected(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(raw) => {
                let text = canonical(raw);
                let number: Number = serde_json::from_str(&text).expect("a valid number text");
                // Exactly this text, not a float's rendering of it.
                assert_eq!(number.as_str(), text);
                Value::Number(number)
            }
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::expected).collect()),
            Json::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), v.expected())).collect()),
        }
    }
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

/// Number texts DynamoDB stores: at most 38 significant digits, exponents
/// well inside its range, with and without fractions, trailing zeros,
/// negative zero and exponent spellings.
fn number_text() -> impl Strategy<Value = String> {
    let integer = "-?(0|[1-9][0-9]{0,17})";
    let fraction = "[0-9]{1,18}";
    let exponent = "[eE][+-]?[0-9]{1,2}";
    prop_oneof![
        integer.prop_map(String::from),
        (integer, fraction).prop_map(|(i, f)| format!("{i}.{f}")),
        (integer, proptest::option::of(fraction), exponent).prop_map(|(i, f, e)| match f {
            Some(f) => format!("{i}.{f}{e}"),
            None => format!("{i}{e}"),
        }),
    ]
}

/// Any attribute name DynamoDB accepts: non-empty, any characters.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![".{1,12}", "[a-z_]{1,8}"]
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number_text().prop_map(Json::Number),
        ".{0,20}".prop_map(Json::String),
    ];
    // Depth stays far inside DynamoDB's 32 levels; sizes far below 400 KB.
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::btree_map(name(), inner, 0..6).prop_map(Json::Object),
        ]
    })
}

/// A record's fields other than `record_id` (and never the TTL attribute).
fn fields() -> impl Strategy<Value = BTreeMap<String, Json>> {
    prop::collection::btree_map(
        name().prop_filter("reserved", |n| n != "record_id" && n != "expires_at"),
        json(),
        0..8,
    )
}

/// Request bodies of 1 to 30 records with distinct, arbitrary record_ids.
fn records() -> impl Strategy<Value = Vec<(String, BTreeMap<String, Json>)>> {
    prop::collection::vec((".{0,30}", fields()), 1..30).prop_map(|records| {
        records
            .into_iter()
            .enumerate()
            .map(|(i, (id, fields))| (format!("{i}:{id}"), fields))
            .collect()
    })
}

fn body_text(records: &[(String, BTreeMap<String, Json>)]) -> String {
    let objects: Vec<String> = records
        .iter()
        .map(|(id, fields)| {
            let mut object = fields.clone();
            object.insert("record_id".into(), Json::String(id.clone()));
            Json::Object(object).text()
        })
        .collect();
    format!("[{}]", objects.join(",\n "))
}

proptest! {
    // Failures print their minimal input; no regression files in the tree.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn posted_records_survive_the_round_trip_through_dynamodb_items(
        records in records(),
        expires_at in 1_700_000_000u64..4_000_000_000,
    ) {
        let body = body_text(&records);
        let validated = parse_and_validate(body.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("refused: {e}\n{body}")))?;
        let requests = to_write_requests(&validated, "client-1", expires_at)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(requests.len(), records.len());
        for ((id, fields), request) in records.iter().zip(&requests) {
            let item = request.put_request().expect("a put").item();
            let mut back = item_to_json(item).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back.remove("expires_at"), Some(Value::Number(expires_at.into())));
            prop_assert_eq!(back.remove("written_by"), Some(Value::String("client-1".into())));
            prop_assert_eq!(back.remove("record_id"), Some(Value::String(id.clone())));
            let expected: Map<String, Value> = fields.iter().map(|(k, v)| (k.clone(), v.expected())).collect();
            // Value equality compares numbers by their text here
            // (arbitrary_precision): 2.10 and 2.1 differ. Map order is not
            // compared: a DynamoDB item has none.
            prop_assert_eq!(&back, &expected);
        }
    }

    #[test]
    fn any_value_converts_to_an_attribute_value_and_back_unchanged(value in json()) {
        let expected = value.expected();
        let back = attribute_value_to_json(&json_to_attribute_value(expected.clone()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn number_texts_are_stored_as_posted(raw in number_text()) {
        let body = format!(r#"[{{"record_id": "n", "v": {raw}, "l": [{raw}], "m": {{"k": {raw}}}}}]"#);
        let records = parse_and_validate(body.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("refused {raw}: {e}")))?;
        let requests = to_write_requests(&records, "client-1", 1).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let item = requests[0].put_request().expect("a put").item();
        let text = canonical(&raw);
        prop_assert_eq!(item["v"].as_n().ok(), Some(&text));
        prop_assert_eq!(item["l"].as_l().ok().and_then(|l| l[0].as_n().ok()), Some(&text));
        prop_assert_eq!(item["m"].as_m().ok().and_then(|m| m["k"].as_n().ok()), Some(&text));
        if !raw.contains(['e', 'E']) {
            // Plain decimals are kept byte for byte: 2.10 stays 2.10.
            prop_assert_eq!(text, raw);
        }
    }
}
