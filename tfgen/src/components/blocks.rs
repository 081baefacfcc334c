//! Building blocks several components share: a service role with its inline
//! policy, an encrypted log group, a locked-down bucket. One definition each,
//! so a security setting is changed in one place.

use crate::aws::cloudwatch::CloudwatchLogGroup;
use crate::aws::iam::{IamRole, IamRolePolicy};
use crate::aws::s3::*;
use crate::core::{Handle, Meta, Ref, TfFile};
use crate::env::Target;
use crate::policy::{PolicyDocument, Principal, Statement, service_trust};

use super::Context;

/// The permissions boundary every role of a deployed environment carries
/// (delivery/IAM contract: the delivery configuration creates it, the apply
/// role may create roles only with it):
/// `arn:aws:iam::<account>:policy/auction-<env>-boundary` for `dev`/`prod`,
/// none locally (the emulator has no delivery configuration).
pub fn permissions_boundary_arn(ctx: &Context) -> Option<String> {
    (ctx.env.target == Target::Aws).then(|| {
        format!(
            "arn:aws:iam::{}:policy/{}",
            ctx.account_id,
            super::delivery::boundary::name(&ctx.env)
        )
    })
}

/// A role that `service` assumes, with exactly `statements` as its rights,
/// within the environment's permissions boundary.
pub fn service_role(
    ctx: &Context,
    file: &mut TfFile,
    logical: &str,
    name_suffix: &str,
    service: &str,
    statements: Vec<Statement>,
) -> Handle<IamRole> {
    // Lambda does not send aws:SourceAccount when it assumes a role.
    let source_account = (service != "lambda.amazonaws.com").then(|| ctx.account_id.to_string());
    let role = file.resource(
        logical,
        IamRole {
            name: ctx.name(name_suffix),
            description: Some(format!("Assumed by {service} for {}", ctx.name(name_suffix))),
            assume_role_policy: service_trust(service, source_account),
            max_session_duration: None,
            permissions_boundary: permissions_boundary_arn(ctx),
        },
    );
    with_policy(file, logical, role, statements)
}

/// `role` with its one inline policy, `least-privilege`, made of `statements`.
pub fn with_policy(
    file: &mut TfFile,
    logical: &str,
    role: Handle<IamRole>,
    statements: Vec<Statement>,
) -> Handle<IamRole> {
    file.resource(
        logical,
        IamRolePolicy {
            name: "least-privilege".into(),
            role: role.id().into(),
            policy: PolicyDocument::new(statements).to_json(),
        },
    );
    role
}

/// A log group with the environment's retention, encrypted with the
/// platform key.
pub fn log_group(ctx: &Context, file: &mut TfFile, logical: &str, name: String) -> Handle<CloudwatchLogGroup> {
    file.resource(
        logical,
        CloudwatchLogGroup {
            name,
            retention_in_days: ctx.env.log_retention_days,
            kms_key_id: Some(ctx.key.arn().into()),
        },
    )
}

/// What differs between the project's buckets.
pub struct BucketSettings {
    pub name: String,
    /// KMS key that encrypts every object.
    pub key_arn: Ref,
    /// Days a replaced or deleted object version is kept.
    pub noncurrent_days: u32,
    /// Days before even the current version expires (short-lived data such
    /// as pipeline artifacts); `None` keeps current versions.
    pub current_days: Option<u32>,
    /// Kept data: Terraform refuses to destroy the bucket and never empties
    /// it; otherwise `terraform destroy` may empty and remove it.
    pub protect: bool,
}

/// A private, KMS-encrypted, versioned bucket that refuses plain HTTP, with
/// old versions expiring. Returns the bucket; its companions are in `file`.
pub fn secure_bucket(file: &mut TfFile, logical: &str, settings: BucketSettings) -> Handle<S3Bucket> {
    secure_bucket_accepting(file, logical, settings, &[])
}

/// [`secure_bucket`], whose policy also accepts writes that name the key
/// by these other ids (the state key's alias ARN, which the S3 backend sends).
pub fn secure_bucket_accepting(
    file: &mut TfFile,
    logical: &str,
    settings: BucketSettings,
    other_key_ids: &[String],
) -> Handle<S3Bucket> {
    let key_ids: Vec<String> = std::iter::once(settings.key_arn.to_string())
        .chain(other_key_ids.iter().cloned())
        .collect();
    let meta = Meta {
        prevent_destroy: settings.protect,
        ..Meta::default()
    };
    let bucket = file.resource_with(
        logical,
        S3Bucket {
            bucket: settings.name,
            force_destroy: Some(!settings.protect),
        },
        meta,
    );
    let id: String = bucket.id().into();
    file.resource(
        logical,
        S3BucketPublicAccessBlock {
            bucket: id.clone(),
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        },
    );
    file.resource(
        logical,
        S3BucketOwnershipControls {
            bucket: id.clone(),
            rule: OwnershipRule {
                object_ownership: "BucketOwnerEnforced".into(),
            },
        },
    );
    file.resource(
        logical,
        S3BucketServerSideEncryptionConfiguration {
            bucket: id.clone(),
            rule: vec![SseRule {
                bucket_key_enabled: true,
                apply_server_side_encryption_by_default: SseDefault {
                    sse_algorithm: "aws:kms".into(),
                    kms_master_key_id: Some(settings.key_arn.into()),
                },
            }],
        },
    );
    let versioning = file.resource(
        logical,
        S3BucketVersioning {
            bucket: id.clone(),
            versioning_configuration: VersioningConfiguration {
                status: "Enabled".into(),
            },
        },
    );
    file.resource_with(
        logical,
        S3BucketLifecycleConfiguration {
            bucket: id.clone(),
            rule: vec![LifecycleRule {
                id: "expire-old-versions".into(),
                status: "Enabled".into(),
                filter: LifecycleFilter::default(),
                noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
                    noncurrent_days: settings.noncurrent_days,
                }),
                abort_incomplete_multipart_upload: Some(AbortIncompleteMultipartUpload {
                    days_after_initiation: 7,
                }),
                expiration: Some(Expiration {
                    days: None,
                    expired_object_delete_marker: Some(true),
                }),
            }]
            .into_iter()
            .chain(settings.current_days.map(|days| LifecycleRule {
                id: "expire-current-versions".into(),
                status: "Enabled".into(),
                filter: LifecycleFilter::default(),
                noncurrent_version_expiration: None,
                abort_incomplete_multipart_upload: None,
                expiration: Some(Expiration {
                    days: Some(days),
                    expired_object_delete_marker: None,
                }),
            }))
            .collect(),
        },
        // S3 rejects noncurrent-version rules until versioning is on.
        Meta {
            depends_on: vec![versioning.dependency()],
            ..Meta::default()
        },
    );
    let arn = bucket.arn();
    file.resource(
        logical,
        S3BucketPolicy {
            bucket: id,
            policy: PolicyDocument::new([
                Statement::deny("DenyInsecureTransport", ["s3:*"])
                    .principal(Principal::Anyone)
                    .on([arn.to_string(), format!("{arn}/*")])
                    .when("Bool", "aws:SecureTransport", ["false"]),
                // A write without encryption headers gets the bucket's KMS
                // default; one that asks for anything else is refused (the
                // Null condition: only when the header is sent).
                Statement::deny("DenyOtherEncryption", ["s3:PutObject"])
                    .principal(Principal::Anyone)
                    .on([format!("{arn}/*")])
                    .when("StringNotEquals", "s3:x-amz-server-side-encryption", ["aws:kms"])
                    .when("Null", "s3:x-amz-server-side-encryption", ["false"]),
                Statement::deny("DenyOtherKeys", ["s3:PutObject"])
                    .principal(Principal::Anyone)
                    .on([format!("{arn}/*")])
                    .when(
                        "StringNotEquals",
                        "s3:x-amz-server-side-encryption-aws-kms-key-id",
                        key_ids,
                    )
                    .when("Null", "s3:x-amz-server-side-encryption-aws-kms-key-id", ["false"]),
            ])
            .to_json(),
        },
    );
    bucket
}
