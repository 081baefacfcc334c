//! What the structure and delivery tests read of a rendered configuration.
#![allow(dead_code, reason = "each test crate uses part of it")]

use std::collections::BTreeMap;

use serde_json::Value;
use tfgen::synth::Stack;

/// Every resource of a stack: (type, name) → rendered body.
pub fn resources(stack: Stack) -> BTreeMap<(String, String), Value> {
    let mut all = BTreeMap::new();
    for (_, text) in stack.render().unwrap() {
        let doc: Value = serde_json::from_str(&text).unwrap();
        if let Some(types) = doc.get("resource").and_then(Value::as_object) {
            for (kind, by_name) in types {
                for (name, body) in by_name.as_object().unwrap() {
                    all.insert((kind.clone(), name.clone()), body.clone());
                }
            }
        }
    }
    all
}

/// The resources of one type: (name, body).
pub fn of_type(stack: Stack, kind: &str) -> Vec<(String, Value)> {
    resources(stack)
        .into_iter()
        .filter(|((k, _), _)| k == kind)
        .map(|((_, n), b)| (n, b))
        .collect()
}
