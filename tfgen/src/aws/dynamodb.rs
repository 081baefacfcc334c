use serde::Serialize;

use super::Enabled;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct DynamodbTable {
    pub name: String,
    pub billing_mode: String,
    pub hash_key: String,
    pub attribute: Vec<Attribute>,
    pub ttl: Option<Ttl>,
    pub point_in_time_recovery: Option<Enabled>,
    pub server_side_encryption: Option<ServerSideEncryption>,
    pub deletion_protection_enabled: Option<bool>,
}
resource!(DynamodbTable = "aws_dynamodb_table" { arn, name, id });

#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ttl {
    pub attribute_name: String,
    pub enabled: bool,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct ServerSideEncryption {
    pub enabled: bool,
    pub kms_key_arn: Option<String>,
}
