//! Terraform template strings: literal text plus `${...}` interpolations.
//!
//! Component code never types `${`. A reference (`table.arn()`) displays as
//! its expression wrapped in two private-use characters and travels inside
//! ordinary `String`s, even through nested JSON such as IAM policies or the
//! state-machine definition. When a document is rendered, [`render_template`]
//! turns every string into Terraform syntax in one place: literal `${` and
//! `%{` are escaped as `$${` and `%%{`, wrapped references become `${...}`.
//! Escaping therefore cannot be forgotten by a component.

use std::fmt;

use serde::{Serialize, Serializer};

use super::SynthError;

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// A Terraform expression (`aws_s3_bucket.results.arn`, `var.x`, a function
/// call) that renders as `${expression}` wherever it is embedded in a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref(String);

impl Ref {
    /// Only the core builds references (handles, variables, functions), so
    /// components cannot hand-type an interpolation.
    pub(crate) fn new(expression: impl Into<String>) -> Self {
        Ref(expression.into())
    }

    /// The bare expression, without `${}`.
    pub fn expression(&self) -> &str {
        &self.0
    }

    /// A call of a Terraform function on one string argument, which may itself
    /// hold references: `filebase64sha256("${var.dir}/f.zip")`.
    pub(crate) fn call(function: &str, argument: &str) -> Result<Self, SynthError> {
        let rendered = render_template(argument)?;
        let quoted = serde_json::to_string(&rendered)?;
        Ok(Ref(format!("{function}({quoted})")))
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OPEN}{}{CLOSE}", self.0)
    }
}

impl From<Ref> for String {
    fn from(r: Ref) -> String {
        r.to_string()
    }
}

impl From<&Ref> for String {
    fn from(r: &Ref) -> String {
        r.to_string()
    }
}

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Turns a string that may carry wrapped references into Terraform template
/// syntax: literal parts escaped, references as `${...}`.
pub fn render_template(text: &str) -> Result<String, SynthError> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        escape_literal(&rest[..start], &mut out)?;
        let after_open = &rest[start + OPEN.len_utf8()..];
        let end = after_open
            .find(CLOSE)
            .ok_or_else(|| SynthError::Template(format!("unterminated reference in {text:?}")))?;
        let expression = &after_open[..end];
        if expression.contains(OPEN) {
            return Err(SynthError::Template(format!("nested reference in {text:?}")));
        }
        out.push_str("${");
        out.push_str(expression);
        out.push('}');
        rest = &after_open[end + CLOSE.len_utf8()..];
    }
    escape_literal(rest, &mut out)?;
    Ok(out)
}

fn escape_literal(literal: &str, out: &mut String) -> Result<(), SynthError> {
    if literal.contains(CLOSE) {
        return Err(SynthError::Template(format!("stray reference end in {literal:?}")));
    }
    let mut chars = literal.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        // `${` and `%{` open interpolations and directives in Terraform
        // templates; doubling the sigil makes them literal.
        if (c == '$' || c == '%') && chars.peek() == Some(&'{') {
            out.push(c);
        }
    }
    Ok(())
}

/// The expressions referenced in a string, in order (for the graph).
pub fn references(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after_open = &rest[start + OPEN.len_utf8()..];
        let Some(end) = after_open.find(CLOSE) else { break };
        found.push(&after_open[..end]);
        rest = &after_open[end + CLOSE.len_utf8()..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_interpolation_and_directive_sigils_are_escaped() {
        let rendered = render_template("arn:aws:s3:::${aws:username}/%{if x}").unwrap();
        assert_eq!(rendered, "arn:aws:s3:::$${aws:username}/%%{if x}");
    }

    #[test]
    fn lone_dollar_and_percent_stay_as_they_are() {
        assert_eq!(render_template("$.Payload 100% $").unwrap(), "$.Payload 100% $");
    }

    #[test]
    fn references_render_as_interpolations_beside_escaped_text() {
        let table = Ref::new("aws_dynamodb_table.orders.arn");
        let text = format!("{table}/index/* costs ${{literal}}");
        assert_eq!(
            render_template(&text).unwrap(),
            "${aws_dynamodb_table.orders.arn}/index/* costs $${literal}"
        );
        assert_eq!(references(&text), vec!["aws_dynamodb_table.orders.arn"]);
    }

    #[test]
    fn references_survive_json_encoding_of_nested_documents() {
        let topic = Ref::new("aws_sns_topic.alerts.arn");
        let nested = serde_json::to_string(&serde_json::json!({ "TopicArn": topic })).unwrap();
        assert_eq!(
            render_template(&nested).unwrap(),
            r#"{"TopicArn":"${aws_sns_topic.alerts.arn}"}"#
        );
    }

    #[test]
    fn function_calls_quote_their_argument_with_references_inside() {
        let dir = Ref::new("var.lambda_zip_dir");
        let call = Ref::call("filebase64sha256", &format!("{dir}/lambda_a/bootstrap.zip")).unwrap();
        assert_eq!(
            render_template(&call.to_string()).unwrap(),
            r#"${filebase64sha256("${var.lambda_zip_dir}/lambda_a/bootstrap.zip")}"#
        );
    }

    #[test]
    fn malformed_markers_are_errors_not_silent_output() {
        assert!(render_template(&format!("x{OPEN}unterminated")).is_err());
        assert!(render_template(&format!("x{CLOSE}")).is_err());
    }
}
