//! What the deploy roles may do: exactly the resource types this stack
//! manages, on resources named `auction-<env>-*` wherever the ARN carries
//! the name. Reading (for `terraform plan`) and changing (for `apply`) are
//! separate lists so the plan role cannot change anything.

use crate::env::REGION;

use super::super::state::{STATE_KEY_ALIAS, lock_key, state_bucket, state_key};
use crate::policy::Statement;

use super::super::Context;

/// One service: the ARNs it may touch, what reading and what changing means.
struct Managed {
    sid: &'static str,
    resources: Vec<String>,
    read: &'static [&'static str],
    change: &'static [&'static str],
}

fn managed(ctx: &Context) -> Vec<Managed> {
    let acct = ctx.account_id.to_string();
    let prefix = ctx.name("");
    let arn = |service: &str, resource: String| format!("arn:aws:{service}:{REGION}:{acct}:{resource}");
    vec![
        Managed {
            sid: "OrdersTable",
            resources: vec![arn("dynamodb", format!("table/{prefix}*"))],
            read: &[
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:ListTagsOfResource",
            ],
            change: &[
                "dynamodb:CreateTable",
                "dynamodb:UpdateTable",
                "dynamodb:DeleteTable",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ],
        },
        Managed {
            sid: "Buckets",
            resources: vec![format!("arn:aws:s3:::{prefix}*")],
            read: &[
                "s3:ListBucket",
                "s3:GetBucketPolicy",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketWebsite",
                "s3:GetBucketVersioning",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketLogging",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:GetEncryptionConfiguration",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketTagging",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketOwnershipControls",
            ],
            change: &[
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketVersioning",
                "s3:PutLifecycleConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:PutBucketTagging",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketOwnershipControls",
            ],
        },
        Managed {
            sid: "Functions",
            resources: vec![arn("lambda", format!("function:{prefix}*"))],
            read: &[
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetPolicy",
                "lambda:ListVersionsByFunction",
                "lambda:ListTags",
            ],
            change: &[
                "lambda:CreateFunction",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:DeleteFunction",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
        },
        Managed {
            sid: "RolesAndPolicies",
            resources: vec![
                format!("arn:aws:iam::{acct}:role/{prefix}*"),
                format!("arn:aws:iam::{acct}:policy/{prefix}*"),
            ],
            read: &[
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListPolicyVersions",
            ],
            change: &[
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:CreatePolicy",
                "iam:DeletePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
                "iam:PassRole",
            ],
        },
        Managed {
            sid: "LogGroups",
            resources: ["lambda", "apigateway", "vendedlogs/states", "codebuild"]
                .iter()
                .map(|kind| arn("logs", format!("log-group:/aws/{kind}/{prefix}*")))
                .collect(),
            read: &["logs:ListTagsForResource"],
            change: &[
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:AssociateKmsKey",
                "logs:DisassociateKmsKey",
                "logs:TagResource",
                "logs:UntagResource",
            ],
        },
        Managed {
            sid: "TopicsAndQueues",
            resources: vec![arn("sns", format!("{prefix}*")), arn("sqs", format!("{prefix}*"))],
            read: &[
                "sns:GetTopicAttributes",
                "sns:ListTagsForResource",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListQueueTags",
            ],
            change: &[
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:SetTopicAttributes",
                "sns:TagResource",
                "sns:UntagResource",
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:SetQueueAttributes",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ],
        },
        Managed {
            sid: "PipelineAndSchedule",
            resources: vec![
                arn("states", format!("stateMachine:{prefix}*")),
                arn("scheduler", format!("schedule/default/{prefix}*")),
            ],
            read: &[
                "states:DescribeStateMachine",
                "states:ListStateMachineVersions",
                "states:ListTagsForResource",
                "scheduler:GetSchedule",
                "scheduler:ListTagsForResource",
            ],
            change: &[
                "states:CreateStateMachine",
                "states:UpdateStateMachine",
                "states:DeleteStateMachine",
                "states:TagResource",
                "states:UntagResource",
                "scheduler:CreateSchedule",
                "scheduler:UpdateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:TagResource",
                "scheduler:UntagResource",
            ],
        },
        Managed {
            sid: "AlarmsAndDashboards",
            resources: vec![
                arn("cloudwatch", format!("alarm:{prefix}*")),
                format!("arn:aws:cloudwatch::{acct}:dashboard/{prefix}*"),
            ],
            read: &[
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:GetDashboard",
            ],
            change: &[
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:PutDashboard",
                "cloudwatch:DeleteDashboards",
            ],
        },
        Managed {
            sid: "Delivery",
            resources: vec![
                arn("codepipeline", format!("{prefix}*")),
                arn("codebuild", format!("project/{prefix}*")),
                arn("codeconnections", "connection/*".into()),
                arn("codestar-notifications", "notificationrule/*".into()),
                format!("arn:aws:chatbot::{acct}:chat-configuration/slack-channel/{prefix}*"),
            ],
            read: &[
                "codepipeline:GetPipeline",
                "codepipeline:ListTagsForResource",
                "codebuild:BatchGetProjects",
                "codeconnections:GetConnection",
                "codeconnections:ListTagsForResource",
                "codestar-notifications:DescribeNotificationRule",
                "codestar-notifications:ListTagsForResource",
                "chatbot:DescribeSlackChannelConfigurations",
                "chatbot:ListTagsForResource",
            ],
            change: &[
                "codepipeline:CreatePipeline",
                "codepipeline:UpdatePipeline",
                "codepipeline:DeletePipeline",
                "codepipeline:TagResource",
                "codepipeline:UntagResource",
                "codebuild:CreateProject",
                "codebuild:UpdateProject",
                "codebuild:DeleteProject",
                "codeconnections:CreateConnection",
                "codeconnections:DeleteConnection",
                "codeconnections:TagResource",
                "codeconnections:UntagResource",
                "codestar-notifications:CreateNotificationRule",
                "codestar-notifications:UpdateNotificationRule",
                "codestar-notifications:DeleteNotificationRule",
                "codestar-notifications:Subscribe",
                "codestar-notifications:Unsubscribe",
                "codestar-notifications:TagResource",
                "codestar-notifications:UntagResource",
                "chatbot:CreateSlackChannelConfiguration",
                "chatbot:UpdateSlackChannelConfiguration",
                "chatbot:DeleteSlackChannelConfiguration",
                "chatbot:TagResource",
                "chatbot:UntagResource",
            ],
        },
    ]
}

/// Resources whose ARNs carry generated ids, not names: Cognito pools, HTTP
/// APIs and KMS keys. Scoped to the region and account, and (keys) to the
/// project's aliases where IAM can tell.
fn managed_by_id(ctx: &Context, change: bool) -> Vec<Statement> {
    let acct = ctx.account_id.to_string();
    let cognito_read = [
        "cognito-idp:DescribeUserPool",
        "cognito-idp:DescribeUserPoolClient",
        "cognito-idp:DescribeUserPoolDomain",
        "cognito-idp:DescribeResourceServer",
        "cognito-idp:GetUserPoolMfaConfig",
        "cognito-idp:ListTagsForResource",
    ];
    let cognito_change = [
        "cognito-idp:CreateUserPool",
        "cognito-idp:UpdateUserPool",
        "cognito-idp:DeleteUserPool",
        "cognito-idp:CreateUserPoolClient",
        "cognito-idp:UpdateUserPoolClient",
        "cognito-idp:DeleteUserPoolClient",
        "cognito-idp:CreateUserPoolDomain",
        "cognito-idp:DeleteUserPoolDomain",
        "cognito-idp:CreateResourceServer",
        "cognito-idp:UpdateResourceServer",
        "cognito-idp:DeleteResourceServer",
        "cognito-idp:TagResource",
        "cognito-idp:UntagResource",
    ];
    let api_read = ["apigateway:GET"];
    let api_change = [
        "apigateway:POST",
        "apigateway:PATCH",
        "apigateway:PUT",
        "apigateway:DELETE",
        "apigateway:TagResource",
        "apigateway:UntagResource",
    ];
    let key_read = [
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:ListAliases",
    ];
    let key_change = [
        "kms:CreateKey",
        "kms:CreateAlias",
        "kms:UpdateAlias",
        "kms:DeleteAlias",
        "kms:PutKeyPolicy",
        "kms:EnableKeyRotation",
        "kms:ScheduleKeyDeletion",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:UpdateKeyDescription",
        "kms:CreateGrant",
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    ];
    let pick = |read: &[&str], more: &[&str]| -> Vec<String> {
        read.iter()
            .chain(if change { more } else { &[] })
            .map(|a| a.to_string())
            .collect()
    };
    vec![
        Statement::allow("ClientPool", pick(&cognito_read, &cognito_change))
            .on([format!("arn:aws:cognito-idp:{REGION}:{acct}:userpool/*")]),
        Statement::allow("HttpApi", pick(&api_read, &api_change)).on([
            format!("arn:aws:apigateway:{REGION}::/apis"),
            format!("arn:aws:apigateway:{REGION}::/apis/*"),
        ]),
        // Keys are created before they have an alias, so creation and alias
        // listing cannot be narrowed further than the account.
        Statement::allow("PlatformKey", pick(&key_read, &key_change)).on([
            format!("arn:aws:kms:{REGION}:{acct}:key/*"),
            format!("arn:aws:kms:{REGION}:{acct}:alias/{}*", ctx.name("")),
        ]),
    ]
}

/// Terraform state: this environment's state object and its lock file, and
/// the key that encrypts them (found by its alias).
fn state_access(ctx: &Context) -> Vec<Statement> {
    let bucket = state_bucket(&ctx.account_id.to_string());
    vec![
        Statement::allow("ListStateBucket", ["s3:ListBucket"]).on([format!("arn:aws:s3:::{bucket}")]),
        Statement::allow(
            "ReadWriteStateAndLock",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        )
        .on([
            format!("arn:aws:s3:::{bucket}/{}", state_key(ctx.env.name)),
            format!("arn:aws:s3:::{bucket}/{}", lock_key(ctx.env.name)),
        ]),
        Statement::allow("UseStateKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
            .on([format!("arn:aws:kms:{REGION}:{}:key/*", ctx.account_id)])
            .when("ForAnyValue:StringEquals", "kms:ResourceAliases", [STATE_KEY_ALIAS]),
    ]
}

/// `terraform plan`: read everything the stack manages, lock the state.
pub fn plan(ctx: &Context) -> Vec<Statement> {
    let mut statements: Vec<Statement> = managed(ctx)
        .into_iter()
        .map(|m| Statement::allow(&format!("Read{}", m.sid), m.read.iter().copied()).on(m.resources))
        .collect();
    statements.extend(managed_by_id(ctx, false));
    statements.push(account_reads());
    statements.extend(state_access(ctx));
    statements
}

/// `terraform apply`: read and change everything the stack manages.
pub fn apply(ctx: &Context) -> Vec<Statement> {
    let mut statements: Vec<Statement> = managed(ctx)
        .into_iter()
        .map(|m| Statement::allow(&format!("Manage{}", m.sid), m.read.iter().chain(m.change).copied()).on(m.resources))
        .collect();
    statements.extend(managed_by_id(ctx, true));
    statements.push(account_reads());
    statements.extend(state_access(ctx));
    statements
}

/// Calls that name no resource (who am I, list-style lookups the provider
/// makes before it knows an ARN).
fn account_reads() -> Statement {
    Statement::allow(
        "AccountLevelReads",
        [
            "sts:GetCallerIdentity",
            "kms:ListAliases",
            "sqs:ListQueues",
            "cognito-idp:ListUserPools",
            "chatbot:DescribeSlackChannelConfigurations",
        ],
    )
    .on(["*"])
}
