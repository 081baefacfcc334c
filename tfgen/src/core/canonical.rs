//! Canonical JSON: every object's keys sorted, so the output does not depend
//! on which serde_json features a workspace build unifies (the AWS SDK turns
//! on `preserve_order`, which would keep insertion order instead).

use serde::Serialize;
use serde_json::{Map, Value};

/// The same value with the keys of every object sorted.
pub fn canonical(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut entries: Vec<(String, Value)> = fields.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// Compact canonical JSON text, for documents embedded in strings (IAM
/// policies, the state machine, the dashboard).
#[expect(
    clippy::expect_used,
    reason = "tfgen's own types always serialize; a failure is a bug, not input"
)]
pub fn to_canonical_json(value: &impl Serialize) -> String {
    let value = serde_json::to_value(value).expect("tfgen values serialize to JSON");
    canonical(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_at_every_depth_whatever_the_insertion_order() {
        let mut inner = Map::new();
        inner.insert("zeta".into(), Value::from(1));
        inner.insert("alpha".into(), Value::from(2));
        let mut outer = Map::new();
        outer.insert("b".into(), Value::Array(vec![Value::Object(inner)]));
        outer.insert("a".into(), Value::Null);
        assert_eq!(
            to_canonical_json(&Value::Object(outer)),
            r#"{"a":null,"b":[{"alpha":2,"zeta":1}]}"#
        );
    }
}
