use serde::Serialize;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct KmsKey {
    pub description: String,
    pub enable_key_rotation: bool,
    pub deletion_window_in_days: u32,
    pub policy: Option<String>,
}
resource!(KmsKey = "aws_kms_key" { arn, key_id, id });

#[derive(Debug, Clone, Serialize)]
pub struct KmsAlias {
    pub name: String,
    pub target_key_id: String,
}
resource!(KmsAlias = "aws_kms_alias" { arn, name });
