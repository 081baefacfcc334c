//! The platform key: one customer-managed KMS key encrypts the table, the
//! buckets, the topic, the queues, the log groups and Lambda environments.
//! Its policy names every AWS service that must use it on the account's
//! behalf; everything else goes through IAM.

use crate::aws::kms::{KmsAlias, KmsKey};
use crate::core::{Handle, Ref, TfFile};
use crate::env::{Environment, REGION};
use crate::policy::{PolicyDocument, Principal, Statement};

/// What every customer-managed key of the project's policy starts with: the
/// account administers the key through IAM (the key policy must allow it,
/// or nobody can; IAM policies then decide who may use it), and CloudWatch
/// Logs may use it for this account's log groups.
pub fn key_statements(account_id: &Ref, logs_sid: &str) -> Vec<Statement> {
    vec![
        Statement::allow("AccountAdministersKeyThroughIam", ["kms:*"])
            .principal(Principal::Aws(vec![format!("arn:aws:iam::{account_id}:root")]))
            .on(["*"]),
        Statement::allow(
            logs_sid,
            [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:DescribeKey",
            ],
        )
        .principal(Principal::Service(vec![format!("logs.{REGION}.amazonaws.com")]))
        .on(["*"])
        .when(
            "ArnLike",
            "kms:EncryptionContext:aws:logs:arn",
            [format!("arn:aws:logs:{REGION}:{account_id}:log-group:*")],
        ),
    ]
}

pub fn build(env: &Environment, account_id: &Ref, file: &mut TfFile) -> Handle<KmsKey> {
    let mut statements = key_statements(account_id, "CloudWatchLogsEncryptsLogGroups");
    // Alarms publish to the encrypted topic. (No source condition: AWS's
    // own key-policy example for CloudWatch has none.) Delivery
    // notifications have their own topic in `terraform/delivery/`.
    let mut publishers = vec!["cloudwatch.amazonaws.com".to_string()];
    if env.alert_queue {
        // SNS re-encrypts alerts into the encrypted subscriber queue.
        publishers.push("sns.amazonaws.com".into());
    }
    statements.push(
        Statement::allow("ServicesPublishEncryptedAlerts", ["kms:Decrypt", "kms:GenerateDataKey"])
            .principal(Principal::Service(publishers))
            .on(["*"]),
    );
    let key = file.resource(
        "platform",
        KmsKey {
            description: format!("Encrypts the data, messages and logs of {}", env.resource_name("*")),
            enable_key_rotation: true,
            deletion_window_in_days: if env.protect_data { 30 } else { 7 },
            policy: Some(PolicyDocument::new(statements).to_json()),
        },
    );
    file.resource(
        "platform",
        KmsAlias {
            name: format!("alias/{}", env.resource_name("platform")),
            target_key_id: key.key_id().into(),
        },
    );
    key
}
