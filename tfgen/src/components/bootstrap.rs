//! The one-time bootstrap configuration: the S3 bucket (versioned,
//! KMS-encrypted, private) that holds Terraform state for `dev` and `prod`.
//! It keeps its own state locally; see the README for the steps.

use serde_json::json;

use crate::aws::kms::{KmsAlias, KmsKey};
use crate::aws::meta::CallerIdentity;
use crate::core::{Configuration, Output, SynthError, TfFile};
use crate::env::{PROJECT, REGION};
use crate::policy::{PolicyDocument, Principal, Statement};

use super::blocks::{BucketSettings, secure_bucket_accepting};
use super::state::{STATE_KEY_ALIAS, state_bucket, state_key_alias_arn, terraform_block};

pub fn configuration() -> Result<Configuration, SynthError> {
    let mut config = Configuration::new();
    let mut versions = TfFile::new();
    versions.block("terraform", terraform_block(None));
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
    // One state bucket per account: run bootstrap once in each account.
    let account = account_id.to_string();
    let bucket = secure_bucket_accepting(
        &mut state,
        "state",
        BucketSettings {
            name: state_bucket(&account),
            key_arn: key.arn(),
            noncurrent_days: 90,
            current_days: None,
            protect: true,
        },
        &[state_key_alias_arn(&account)],
    );
    state.output(
        "state_bucket",
        Output::new(bucket.bucket(), "Terraform state bucket of this account"),
    );
    config.add("state", state)?;
    Ok(config)
}
