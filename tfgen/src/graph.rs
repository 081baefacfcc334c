//! A Mermaid picture of a configuration: components (files) or resources,
//! with an arrow wherever one refers to another.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::core::Configuration;
use crate::core::expr::references;

/// Every string in a resource body, where references live.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(fields) => fields.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out)
        }),
        _ => {}
    }
}

/// `aws_x.y` / `data.aws_x.y` addresses inside an expression (which may be
/// a function call wrapping more references).
fn addresses_in(expression: &str) -> Vec<String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let tokens: Vec<&str> = expression.split(|c: char| !(is_word(c) || c == '.')).collect();
    tokens
        .into_iter()
        .filter_map(|token| {
            let parts: Vec<&str> = token.split('.').collect();
            match parts.as_slice() {
                ["data", kind, name, ..] if kind.starts_with("aws_") => Some(format!("data.{kind}.{name}")),
                [kind, name, ..] if kind.starts_with("aws_") => Some(format!("{kind}.{name}")),
                _ => None,
            }
        })
        .collect()
}

/// Edges (from → to) between resource addresses.
pub fn resource_edges(config: &Configuration) -> BTreeSet<(String, String)> {
    let mut edges = BTreeSet::new();
    for (address, body) in config.entries() {
        let mut texts = Vec::new();
        strings(body, &mut texts);
        for text in &texts {
            for expression in references(text) {
                for target in addresses_in(expression) {
                    if target != address {
                        edges.insert((address.clone(), target));
                    }
                }
            }
        }
    }
    edges
}

fn node_id(text: &str) -> String {
    text.replace(['.', '-'], "_")
}

/// Components as boxes (with their resource counts), arrows for "uses".
pub fn components(config: &Configuration) -> String {
    let mut owner = BTreeMap::new();
    let mut out = String::from("flowchart LR\n");
    for (stem, file) in config.files() {
        let count = file.entries().filter(|(a, _)| !a.starts_with("data.")).count();
        if count == 0 {
            continue;
        }
        for (address, _) in file.entries() {
            owner.insert(address, stem.clone());
        }
        let noun = if count == 1 { "resource" } else { "resources" };
        out.push_str(&format!("    {}[\"{stem}<br/>{count} {noun}\"]\n", node_id(stem)));
    }
    let mut arrows = BTreeSet::new();
    for (from, to) in resource_edges(config) {
        if let (Some(a), Some(b)) = (owner.get(&from), owner.get(&to))
            && a != b
            && !to.starts_with("data.")
        {
            arrows.insert((a.clone(), b.clone()));
        }
    }
    for (a, b) in arrows {
        out.push_str(&format!("    {} --> {}\n", node_id(&a), node_id(&b)));
    }
    out
}

/// Every resource, grouped by component.
pub fn resources(config: &Configuration) -> String {
    let mut out = String::from("flowchart LR\n");
    for (stem, file) in config.files() {
        let entries: Vec<String> = file.entries().map(|(a, _)| a).collect();
        if entries.is_empty() {
            continue;
        }
        out.push_str(&format!("    subgraph {stem}\n"));
        for address in entries {
            out.push_str(&format!("        {}[\"{address}\"]\n", node_id(&address)));
        }
        out.push_str("    end\n");
    }
    for (from, to) in resource_edges(config) {
        out.push_str(&format!("    {} --> {}\n", node_id(&from), node_id(&to)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_inside_function_calls_and_attribute_paths() {
        assert_eq!(addresses_in("aws_s3_bucket.results.arn"), vec!["aws_s3_bucket.results"]);
        assert_eq!(
            addresses_in("data.aws_caller_identity.current.account_id"),
            vec!["data.aws_caller_identity.current"]
        );
        assert!(addresses_in(r#"filebase64sha256("${var.dir}/x.zip")"#).is_empty());
    }
}
