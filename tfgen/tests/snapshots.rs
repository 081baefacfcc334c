//! Whole-document snapshots of every generated configuration. A change to
//! the infrastructure shows up as a reviewable diff of these files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

use tfgen::synth::Stack;

fn whole_document(stack: Stack) -> String {
    let files = stack.render().expect("configuration renders");
    files
        .iter()
        .map(|(name, contents)| format!("// ===== {name} =====\n{contents}"))
        .collect()
}

/// One snapshot per stack (`snapshots__<dir>.snap`): a new environment gets
/// its snapshot without a new test.
#[test]
fn every_configuration() {
    for stack in Stack::all() {
        insta::assert_snapshot!(stack.dir_name(), whole_document(stack));
    }
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
