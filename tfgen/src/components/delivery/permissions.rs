//! What the deploy roles of one environment may do: exactly the resource
//! types its stack manages, on resources named `auction-<env>-*` wherever
//! the ARN carries the name, and tagged `Environment = <env>` where it
//! carries an id instead ([`super::tagged`]). Reading (for `terraform
//! plan`) and changing (for `apply`) are separate lists so the plan role
//! cannot change anything; roles are changed only under the environment's
//! permissions boundary ([`super::boundary`]).

use crate::core::Ref;
use crate::env::{Environment, REGION};

use super::super::state::{STATE_KEY_ALIAS, lock_key, state_bucket, state_key};
use crate::policy::{LOG_DELIVERY_ACTIONS, Statement};

use super::{boundary, tagged};

/// One deployed environment as the delivery account sees it.
pub struct Scope<'a> {
    pub env: &'a Environment,
    pub account_id: &'a Ref,
}

impl Scope<'_> {
    /// `auction-<env>-`: the start of every name in the environment.
    pub fn prefix(&self) -> String {
        self.env.resource_name("")
    }

    /// `arn:aws:<service>:eu-west-1:<account>:<resource>`.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{REGION}:{}:{resource}", self.account_id)
    }

    /// `arn:aws:iam::<account>:<resource>`.
    pub fn iam_arn(&self, resource: &str) -> String {
        format!("arn:aws:iam::{}:{resource}", self.account_id)
    }

    /// The value of the `Environment` tag every resource of the env carries.
    pub fn tag(&self) -> String {
        self.env.name.to_string()
    }
}

/// One service: the ARNs it may touch, what reading and what changing means.
struct Managed {
    sid: &'static str,
    resources: Vec<String>,
    read: &'static [&'static str],
    change: &'static [&'static str],
}

fn managed(scope: &Scope) -> Vec<Managed> {
    let acct = scope.account_id.to_string();
    let prefix = scope.prefix();
    let arn = |service: &str, resource: String| scope.arn(service, &resource);
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
                // reserved_concurrent_executions (prod's post_lambda; found
                // by the promotion rehearsal with IAM enforced).
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:DeleteFunction",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
        },
        Managed {
            sid: "LogGroups",
            resources: ["lambda", "apigateway", "vendedlogs/states"]
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
        // Present once the environment names a Slack channel. Creating one
        // takes `*` (see `account_level`).
        Managed {
            sid: "ChatbotChannel",
            resources: vec![format!(
                "arn:aws:chatbot::{acct}:chat-configuration/slack-channel/{prefix}*"
            )],
            // chatbot:ListTagsForResource takes only `*`: an account-level read.
            read: &[],
            change: &[
                "chatbot:UpdateSlackChannelConfiguration",
                "chatbot:DeleteSlackChannelConfiguration",
                "chatbot:TagResource",
                "chatbot:UntagResource",
            ],
        },
    ]
}

/// Terraform state: this environment's state object and its lock file,
/// and the key that encrypts them (found by its alias). Only `apply`
/// writes the state; `plan` reads it and takes the lock.
fn state_access(scope: &Scope, write_state: bool) -> Vec<Statement> {
    // The state bucket of the account the deploy roles work in.
    let bucket = state_bucket(&scope.account_id.to_string());
    let state = format!("arn:aws:s3:::{bucket}/{}", state_key(scope.env.name));
    let state_actions: &[&str] = if write_state {
        &["s3:GetObject", "s3:PutObject"]
    } else {
        &["s3:GetObject"]
    };
    vec![
        Statement::allow("ListStateBucket", ["s3:ListBucket"]).on([format!("arn:aws:s3:::{bucket}")]),
        Statement::allow(
            if write_state { "ReadWriteState" } else { "ReadState" },
            state_actions.iter().copied(),
        )
        .on([state.clone()]),
        Statement::allow("TakeStateLock", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
            .on([format!("arn:aws:s3:::{bucket}/{}", lock_key(scope.env.name))]),
        Statement::allow("UseStateKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
            .on([scope.arn("kms", "key/*")])
            .when("ForAnyValue:StringEquals", "kms:ResourceAliases", [STATE_KEY_ALIAS]),
        // The provider reading a table looks up DynamoDB's AWS-managed key
        // (alias/aws/dynamodb) to tell it from the table's own key (found
        // by the deploy dry run with IAM enforced).
        Statement::allow("DescribeDynamodbManagedKey", ["kms:DescribeKey"])
            .on([scope.arn("kms", "key/*")])
            .when(
                "ForAnyValue:StringEquals",
                "kms:ResourceAliases",
                ["alias/aws/dynamodb"],
            ),
    ]
}

/// `terraform plan`: read everything the stack manages, lock the state.
pub fn plan(scope: &Scope) -> Vec<Statement> {
    let mut statements: Vec<Statement> = managed(scope)
        .into_iter()
        .filter(|m| !m.read.is_empty())
        .map(|m| Statement::allow(&format!("Read{}", m.sid), m.read.iter().copied()).on(m.resources))
        .collect();
    statements.extend(tagged::read(scope));
    statements.push(boundary::read_roles(scope));
    statements.push(account_level("AccountLevelReads", ACCOUNT_READS));
    statements.extend(state_access(scope, false));
    statements
}

/// `terraform apply`: read and change everything the stack manages.
pub fn apply(scope: &Scope) -> Vec<Statement> {
    let mut statements: Vec<Statement> = managed(scope)
        .into_iter()
        .map(|m| Statement::allow(&format!("Manage{}", m.sid), m.read.iter().chain(m.change).copied()).on(m.resources))
        .collect();
    statements.extend(tagged::manage(scope));
    statements.push(boundary::read_roles(scope));
    statements.extend(boundary::manage_roles(scope));
    statements.push(account_level("AccountLevelReads", ACCOUNT_READS));
    statements.push(account_level("AccountLevelChanges", &account_changes()));
    statements.extend(state_access(scope, true));
    statements
}

/// Calls that take no resource ARN (IAM accepts only `*` for them): who am
/// I, list-style lookups the provider makes before it knows an ARN, and
/// reads whose resource type is `*` in the Service Authorization Reference.
pub const ACCOUNT_READS: &[&str] = &[
    "sts:GetCallerIdentity",
    "kms:ListAliases",
    "sqs:ListQueues",
    "cognito-idp:ListUserPools",
    "cognito-idp:DescribeUserPoolDomain",
    "chatbot:DescribeSlackChannelConfigurations",
    "chatbot:ListTagsForResource",
    // The provider reads every log group through it; it takes `log-group:*`.
    "logs:DescribeLogGroups",
    // The provider validates a state-machine definition before it creates or
    // updates one (found by the deploy dry run with IAM enforced); `*` only.
    "states:ValidateStateMachineDefinition",
];

/// Changes that take only `*`: HTTP API access logs and Step Functions
/// logging are set up through CloudWatch Logs' log deliveries (API Gateway
/// guide, "Configure logging for HTTP APIs"), and Chatbot creates channel
/// configurations without a resource ARN.
/// (`logs:DescribeLogGroups`, the last of [`LOG_DELIVERY_ACTIONS`], is
/// among the account-level reads.)
pub fn account_changes() -> Vec<&'static str> {
    LOG_DELIVERY_ACTIONS
        .into_iter()
        .filter(|action| !ACCOUNT_READS.contains(action))
        .chain(["chatbot:CreateSlackChannelConfiguration"])
        .collect()
}

fn account_level(sid: &str, actions: &[&str]) -> Statement {
    Statement::allow(sid, actions.iter().copied()).on(["*"])
}
