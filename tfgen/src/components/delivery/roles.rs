//! The delivery roles. Each stage has its own: the build role reads the
//! commit and writes only the `built` artifact; an environment's plan role
//! reads what its stack manages and writes only that environment's plan
//! artifact; its apply role changes the stack and reads only the commit and
//! that plan; the pipeline role moves artifacts and starts builds.

use crate::aws::cloudwatch::CloudwatchLogGroup;
use crate::aws::iam::IamRole;
use crate::aws::kms::KmsKey;
use crate::aws::s3::S3Bucket;
use crate::core::{Handle, Ref, TfFile};
use crate::policy::{Statement, service_trust};

use super::super::blocks::with_policy;
use super::stages::Artifact;

/// A role `service` assumes (from this account only), with exactly
/// `statements`. Delivery roles carry no permissions boundary: an
/// administrator applies them, and the environments' apply roles are
/// denied them.
pub fn role(
    file: &mut TfFile,
    logical: &str,
    name: String,
    service: &str,
    account_id: &Ref,
    statements: Vec<Statement>,
) -> Handle<IamRole> {
    let role = file.resource(
        logical,
        IamRole {
            description: Some(format!("Assumed by {service} for {name}")),
            name,
            assume_role_policy: service_trust(service, Some(account_id.to_string())),
            max_session_duration: None,
            permissions_boundary: None,
        },
    );
    with_policy(file, logical, role, statements)
}

/// Where every delivery role works: the artifact bucket and its key.
pub struct Workspace<'a> {
    pub bucket: &'a Handle<S3Bucket>,
    pub key: &'a Handle<KmsKey>,
    pub logs: &'a Handle<CloudwatchLogGroup>,
}

impl Workspace<'_> {
    /// What a CodeBuild project needs: write its logs, read `read`, write
    /// `write`, use the key.
    pub fn codebuild(&self, read: &[Artifact], write: &[Artifact]) -> Vec<Statement> {
        let objects = |artifacts: &[Artifact]| -> Vec<String> {
            artifacts
                .iter()
                .map(|a| format!("{}/{}", self.bucket.arn(), a.objects()))
                .collect()
        };
        let mut statements = vec![
            Statement::allow("WriteBuildLogs", ["logs:CreateLogStream", "logs:PutLogEvents"])
                .on([format!("{}:*", self.logs.arn())]),
            Statement::allow("ReadArtifacts", ["s3:GetObject", "s3:GetObjectVersion"]).on(objects(read)),
            Statement::allow("LocateArtifacts", ["s3:GetBucketLocation", "s3:ListBucket"]).on([self.bucket.arn()]),
            Statement::allow("UseArtifactKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
                .on([self.key.arn()]),
        ];
        if !write.is_empty() {
            statements.push(Statement::allow("WriteOwnArtifact", ["s3:PutObject"]).on(objects(write)));
        }
        statements
    }

    /// The pipeline moves every artifact (it writes `source` itself).
    pub fn pipeline(&self) -> Vec<Statement> {
        vec![
            Statement::allow(
                "ReadWriteArtifacts",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            )
            .on([format!("{}/*", self.bucket.arn())]),
            Statement::allow(
                "LocateArtifacts",
                ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
            )
            .on([self.bucket.arn()]),
            Statement::allow("UseArtifactKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
                .on([self.key.arn()]),
        ]
    }
}
