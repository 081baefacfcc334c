//! The `terraform` block (provider pin, remote state) and the AWS provider:
//! the real account for `dev`/`prod`, the emulator for `local`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::aws::meta::CallerIdentity;
use crate::core::{Ref, TfFile, Variable};
use crate::env::{Environment, PROJECT, REGION, Target};

use super::state::terraform_block;

pub const AWS_PROVIDER_VERSION: &str = "5.100.0";

/// Services the local configuration reaches in the emulator.
const EMULATED_SERVICES: [&str; 14] = [
    "apigatewayv2",
    "cloudwatch",
    "cognitoidp",
    "dynamodb",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "scheduler",
    "sfn",
    "sns",
    "sqs",
    "sts",
];

/// `versions.tf.json`: kept apart because checkov cannot parse a plain value
/// (`required_version`) in the `terraform` block of JSON files. The block
/// itself is the state contract's (`state::terraform_block`).
pub fn versions(env: &Environment, file: &mut TfFile) {
    file.block("terraform", terraform_block(Some(env)));
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Serialize)]
struct AwsProvider {
    region: &'static str,
    /// Terraform refuses to touch any other account.
    allowed_account_ids: Option<Vec<&'static str>>,
    default_tags: DefaultTags,
    access_key: Option<&'static str>,
    secret_key: Option<&'static str>,
    skip_credentials_validation: Option<bool>,
    skip_requesting_account_id: Option<bool>,
    skip_metadata_api_check: Option<&'static str>,
    s3_use_path_style: Option<bool>,
    endpoints: Option<BTreeMap<&'static str, String>>,
}

#[derive(Debug, Serialize)]
struct DefaultTags {
    tags: BTreeMap<&'static str, String>,
}

/// `providers.tf.json`: the AWS provider and the account it works in.
/// Returns the account id reference.
pub fn build(env: &Environment, file: &mut TfFile) -> Ref {
    let tags = BTreeMap::from([
        ("Project", PROJECT.to_string()),
        ("Environment", env.name.to_string()),
        ("ManagedBy", "tfgen".to_string()),
    ]);
    let mut provider = AwsProvider {
        region: REGION,
        allowed_account_ids: env.account_id.map(|id| vec![id]),
        default_tags: DefaultTags { tags },
        access_key: None,
        secret_key: None,
        skip_credentials_validation: None,
        skip_requesting_account_id: None,
        skip_metadata_api_check: None,
        s3_use_path_style: None,
        endpoints: None,
    };
    if let Target::Emulator { default_endpoint } = env.target {
        let endpoint = file.variable(
            "emulator_endpoint",
            Variable {
                type_: "string".into(),
                description: "URL of the local AWS emulator (moto server)".into(),
                default: Some(json!(default_endpoint)),
            },
        );
        // The emulator accepts any credentials; these are not secrets.
        provider.access_key = Some("test");
        provider.secret_key = Some("test");
        provider.skip_credentials_validation = Some(true);
        provider.skip_requesting_account_id = Some(true);
        provider.skip_metadata_api_check = Some("true");
        provider.s3_use_path_style = Some(true);
        provider.endpoints = Some(EMULATED_SERVICES.iter().map(|s| (*s, endpoint.to_string())).collect());
    }
    file.block("provider", json!({ "aws": provider }));
    file.data("current", CallerIdentity {}).account_id()
}
