use serde::Serialize;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct S3Bucket {
    pub bucket: String,
    pub force_destroy: Option<bool>,
}
resource!(S3Bucket = "aws_s3_bucket" { arn, bucket, id });

#[derive(Debug, Clone, Serialize)]
pub struct S3BucketPublicAccessBlock {
    pub bucket: String,
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}
resource!(S3BucketPublicAccessBlock = "aws_s3_bucket_public_access_block" { id });

#[derive(Debug, Clone, Serialize)]
pub struct S3BucketOwnershipControls {
    pub bucket: String,
    pub rule: OwnershipRule,
}
resource!(S3BucketOwnershipControls = "aws_s3_bucket_ownership_controls" { id });

#[derive(Debug, Clone, Serialize)]
pub struct OwnershipRule {
    pub object_ownership: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct S3BucketVersioning {
    pub bucket: String,
    pub versioning_configuration: VersioningConfiguration,
}
resource!(S3BucketVersioning = "aws_s3_bucket_versioning" { id });

#[derive(Debug, Clone, Serialize)]
pub struct VersioningConfiguration {
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct S3BucketServerSideEncryptionConfiguration {
    pub bucket: String,
    pub rule: Vec<SseRule>,
}
resource!(S3BucketServerSideEncryptionConfiguration = "aws_s3_bucket_server_side_encryption_configuration" { id });

#[derive(Debug, Clone, Serialize)]
pub struct SseRule {
    pub bucket_key_enabled: bool,
    pub apply_server_side_encryption_by_default: SseDefault,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct SseDefault {
    pub sse_algorithm: String,
    pub kms_master_key_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct S3BucketLifecycleConfiguration {
    pub bucket: String,
    pub rule: Vec<LifecycleRule>,
}
resource!(S3BucketLifecycleConfiguration = "aws_s3_bucket_lifecycle_configuration" { id });

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct LifecycleRule {
    pub id: String,
    pub status: String,
    /// An empty filter applies the rule to every object.
    pub filter: LifecycleFilter,
    pub noncurrent_version_expiration: Option<NoncurrentVersionExpiration>,
    pub abort_incomplete_multipart_upload: Option<AbortIncompleteMultipartUpload>,
    pub expiration: Option<Expiration>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
pub struct LifecycleFilter {
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoncurrentVersionExpiration {
    pub noncurrent_days: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct AbortIncompleteMultipartUpload {
    pub days_after_initiation: u32,
}

/// Either `days` (current versions expire) or `expired_object_delete_marker`:
/// S3 refuses both in one rule.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct Expiration {
    pub days: Option<u32>,
    pub expired_object_delete_marker: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct S3BucketPolicy {
    pub bucket: String,
    pub policy: String,
}
resource!(S3BucketPolicy = "aws_s3_bucket_policy" { id });
