//! IAM policy documents as Rust values: statements with references to the
//! resources they cover, rendered to the JSON string IAM expects.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::core::canonical::to_canonical_json;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    version: &'static str,
    statement: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statements: impl IntoIterator<Item = Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement: statements.into_iter().collect(),
        }
    }

    /// The policy as the JSON string Terraform passes to IAM.
    pub fn to_json(&self) -> String {
        to_canonical_json(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// Who a resource policy (bucket, key, topic, trust) applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Service(Vec<String>),
    Aws(Vec<String>),
    Anyone,
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Service(services) => BTreeMap::from([("Service", services)]).serialize(serializer),
            Principal::Aws(arns) => BTreeMap::from([("AWS", arns)]).serialize(serializer),
            Principal::Anyone => serializer.serialize_str("*"),
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    sid: String,
    effect: Effect,
    principal: Option<Principal>,
    action: Vec<String>,
    /// Absent in trust policies, which name a principal instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resource: Vec<String>,
    condition: Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>,
}

/// What a caller needs to set up CloudWatch Logs delivery of a service's
/// logs (Step Functions execution logs, HTTP API access logs: API Gateway
/// guide, "Configure logging for HTTP APIs"). None of these takes a
/// resource ARN, so they are granted on `*`.
pub const LOG_DELIVERY_ACTIONS: [&str; 8] = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
];

fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl Statement {
    /// Allows `actions`; say on what with [`Statement::on`].
    pub fn allow<S: Into<String>>(sid: &str, actions: impl IntoIterator<Item = S>) -> Self {
        Self::with_effect(sid, Effect::Allow, actions)
    }

    pub fn deny<S: Into<String>>(sid: &str, actions: impl IntoIterator<Item = S>) -> Self {
        Self::with_effect(sid, Effect::Deny, actions)
    }

    fn with_effect<S: Into<String>>(sid: &str, effect: Effect, actions: impl IntoIterator<Item = S>) -> Self {
        Statement {
            sid: sid.to_string(),
            effect,
            principal: None,
            action: strings(actions),
            resource: Vec::new(),
            condition: None,
        }
    }

    pub fn on<S: Into<String>>(mut self, resources: impl IntoIterator<Item = S>) -> Self {
        self.resource.extend(strings(resources));
        self
    }

    pub fn principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Adds a condition: `when("Bool", "aws:SecureTransport", ["false"])`.
    pub fn when<S: Into<String>>(mut self, operator: &str, key: &str, values: impl IntoIterator<Item = S>) -> Self {
        self.condition
            .get_or_insert_with(BTreeMap::new)
            .entry(operator.to_string())
            .or_default()
            .insert(key.to_string(), strings(values));
        self
    }
}

/// The trust policy that lets one AWS service assume a role. Services that
/// send `aws:SourceAccount` get it pinned to this account (confused-deputy
/// protection); Lambda does not send it, so its roles pass `None`.
pub fn service_trust(service: &str, source_account: Option<String>) -> String {
    let mut trust =
        Statement::allow("TrustService", ["sts:AssumeRole"]).principal(Principal::Service(vec![service.to_string()]));
    if let Some(account) = source_account {
        trust = trust.when("StringEquals", "aws:SourceAccount", [account]);
    }
    PolicyDocument::new([trust]).to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_render_in_iam_shape() {
        let doc = PolicyDocument::new([Statement::deny("TlsOnly", ["s3:*"])
            .principal(Principal::Anyone)
            .on(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])
            .when("Bool", "aws:SecureTransport", ["false"])]);
        let json: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
                    "Action": ["s3:*"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}
                }]
            })
        );
    }

    #[test]
    fn trust_policies_name_the_service_and_pin_the_account() {
        let json: serde_json::Value =
            serde_json::from_str(&service_trust("states.amazonaws.com", Some("123".into()))).unwrap();
        assert_eq!(json["Statement"][0]["Principal"]["Service"][0], "states.amazonaws.com");
        assert_eq!(
            json["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"][0],
            "123"
        );
    }
}
