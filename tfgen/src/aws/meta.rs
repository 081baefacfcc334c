//! Data sources about the account and provider.

use serde::Serialize;

/// The account the provider's credentials belong to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallerIdentity {}
data_source!(CallerIdentity = "aws_caller_identity" { account_id });
