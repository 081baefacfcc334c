//! The Terraform state contract, in one place: which bucket holds an
//! environment's state (one per AWS account, made by `bootstrap`), the
//! object key, the KMS key that encrypts it (by its alias), and the shared
//! `terraform` block. The backends (`providers`), the bootstrap bucket and
//! its policy (`bootstrap`) and the deploy roles' rights on state
//! (`delivery`) all read it from here.

use serde_json::json;

use crate::env::{EnvName, Environment, PROJECT, REGION};

use super::providers::AWS_PROVIDER_VERSION;

/// The alias of the key that encrypts Terraform state (bootstrap creates it).
pub const STATE_KEY_ALIAS: &str = "alias/auction-terraform-state";

/// The state bucket of one AWS account: bucket names are global, so the
/// account id makes it unique; bootstrap derives the same name from the
/// account it runs in.
pub fn state_bucket(account_id: &str) -> String {
    format!("{PROJECT}-terraform-state-{account_id}-{REGION}")
}

/// The object that holds `env`'s state (as `remote_state` names it).
pub fn state_key(env: EnvName) -> String {
    format!("{PROJECT}/{env}/terraform.tfstate")
}

/// The S3-native lock file next to the state (`use_lockfile`).
pub fn lock_key(env: EnvName) -> String {
    format!("{}.tflock", state_key(env))
}

/// The state key by its alias, as the S3 backend's `kms_key_id` and the
/// bucket policy name it.
pub fn state_key_alias_arn(account_id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{account_id}:{STATE_KEY_ALIAS}")
}

/// The `terraform` block: provider pin, and for an environment in AWS its
/// S3 backend, encrypted with the state key (without `kms_key_id` the
/// backend would ask for AES256 and override the bucket's KMS default).
pub fn terraform_block(env: Option<&Environment>) -> serde_json::Value {
    let mut settings = json!({
        "required_version": ">= 1.10.0",
        "required_providers": { "aws": { "source": "hashicorp/aws", "version": AWS_PROVIDER_VERSION } },
    });
    if let Some((name, account_id)) = env.and_then(|e| e.account_id.map(|a| (e.name, a))) {
        settings["backend"] = remote_state(name.as_str(), account_id);
    }
    settings
}

/// The S3 backend of a configuration whose state lives in `account_id`'s
/// state bucket under `auction/<state_name>/` (an environment, or
/// `delivery`), encrypted with that account's state key.
pub fn remote_state(state_name: &str, account_id: &str) -> serde_json::Value {
    json!({ "s3": {
        "bucket": state_bucket(account_id),
        "key": format!("{PROJECT}/{state_name}/terraform.tfstate"),
        "region": REGION,
        "encrypt": true,
        "kms_key_id": state_key_alias_arn(account_id),
        "use_lockfile": true,
    }})
}
