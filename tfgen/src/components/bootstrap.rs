//! The one-time bootstrap configuration: the S3 bucket (versioned,
//! KMS-encrypted, private) that holds Terraform state for `dev` and `prod`.
//! It keeps its own state locally; see the README for the steps.

use serde_json::json;

use crate::aws::kms::{KmsAlias, KmsKey};
use crate::aws::meta::CallerIdentity;
use crate::core::{Configuration, Output, SynthError, TfFile};
use crate::env::{PROJECT, REGION, STATE_BUCKET};
use crate::policy::{PolicyDocument, Principal, Statement};

use super::blocks::{BucketSettings, secure_bucket};
use super::delivery::permissions::STATE_KEY_ALIAS;
use super::providers::AWS_PROVIDER_VERSION;

pub fn configuration() -> Result<Configuration, SynthError> {
    let mut config = Configuration::new();
    let mut versions = TfFile::new();
    versions.block(
        "terraform",
        json!({
            "required_version": ">= 1.10.0",
            "required_providers": { "aws": { "source": "hashicorp/aws", "version": AWS_PROVIDER_VERSION } },
        }),
    );
    config.add("versions", versions)?;

    let mut state = TfFile::new();
    state.block(
        "provider",
        json!({ "aws": { "region": REGION, "default_tags": { "tags": {
            "Project": PROJECT, "Environment": "shared", "ManagedBy": "tfgen",
        }}}}),
    );
    let account_id = state.data("current", CallerIdentity {}).account_id();
    let key = state.resource(
        "state",
        KmsKey {
            description: "Encrypts the Terraform state of every environment".into(),
            enable_key_rotation: true,
            deletion_window_in_days: 30,
            policy: Some(
                PolicyDocument::new([Statement::allow("AccountAdministersKeyThroughIam", ["kms:*"])
                    .principal(Principal::Aws(vec![format!("arn:aws:iam::{account_id}:root")]))
                    .on(["*"])])
                .to_json(),
            ),
        },
    );
    state.resource(
        "state",
        KmsAlias {
            name: STATE_KEY_ALIAS.into(),
            target_key_id: key.key_id().into(),
        },
    );
    let bucket = secure_bucket(
        &mut state,
        "state",
        BucketSettings {
            name: STATE_BUCKET.into(),
            key_arn: key.arn(),
            noncurrent_days: 90,
            current_days: None,
            protect: true,
        },
    );
    state.output(
        "state_bucket",
        Output::new(bucket.bucket(), "Terraform state bucket for dev and prod"),
    );
    config.add("state", state)?;
    Ok(config)
}
