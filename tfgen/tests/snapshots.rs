//! Whole-document snapshots of every generated configuration. A change to
//! the infrastructure shows up as a reviewable diff of these files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

use tfgen::env::EnvName;
use tfgen::synth::Stack;

fn whole_document(stack: Stack) -> String {
    let files = stack.render().expect("configuration renders");
    files
        .iter()
        .map(|(name, contents)| format!("// ===== {name} =====\n{contents}"))
        .collect()
}

#[test]
fn local_configuration() {
    insta::assert_snapshot!("local", whole_document(Stack::Env(EnvName::Local)));
}

#[test]
fn dev_configuration() {
    insta::assert_snapshot!("dev", whole_document(Stack::Env(EnvName::Dev)));
}

#[test]
fn prod_configuration() {
    insta::assert_snapshot!("prod", whole_document(Stack::Env(EnvName::Prod)));
}

#[test]
fn bootstrap_configuration() {
    insta::assert_snapshot!("bootstrap", whole_document(Stack::Bootstrap));
}

#[test]
fn delivery_configuration() {
    insta::assert_snapshot!("delivery", whole_document(Stack::Delivery));
}

#[test]
fn two_syntheses_are_byte_identical() {
    for stack in Stack::all() {
        assert_eq!(stack.render().unwrap(), stack.render().unwrap(), "{stack:?}");
    }
}
